"""Extraction quality and mapping speed, printed as the figures BENCHMARKS.md records.

python bench/extraction.py mcc            # rule extractor on all IU reports vs MeSH
python bench/extraction.py mapping        # 100,000 mentions through the concept mapper
python bench/extraction.py padchest       # the PadChest source over all 160,000 rows
"""

from __future__ import annotations

import os
import random
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def bench_mcc(limit: int | None = None) -> None:
    from cxrkg.ingest.evaluate import evaluate_labels, predicted_concepts, reference_from_terms
    from cxrkg.ingest.extract.pipeline import ReportPipeline
    from cxrkg.ingest.model import SceneGraph
    from cxrkg.ingest.sources.iu import iu_reference_labels, iu_scene_graphs

    t0 = time.perf_counter()
    pipeline = ReportPipeline()
    predicted = {}
    for sg in iu_scene_graphs(pipeline, limit=limit, with_images=False):
        if isinstance(sg, SceneGraph):
            predicted[sg.study_id] = predicted_concepts(sg)
    t_extract = time.perf_counter() - t0
    # Baseline in the same run: every lexicon mention in FINDINGS/IMPRESSION counts as
    # positive (no negation, uncertainty or region statements), ancestors included.
    from cxrkg.ingest.extract.lexicon import tokenize

    baseline: dict[str, set[str]] = {}
    for sg in iu_scene_graphs(pipeline, limit=limit, with_images=False):
        if not isinstance(sg, SceneGraph):
            continue
        found: set[str] = set()
        for sent in sg.sentences.values():
            if sent.section_type in ("FINDINGS", "IMPRESSION"):
                for span in pipeline.lexicon.find(tokenize(sent.sentence), sent.sentence):
                    if span.kind == "finding" and span.name not in ("normal", "no finding"):
                        found |= {span.name, *pipeline.onto.ancestors(span.name)}
        found.discard("abnormal")
        baseline[sg.study_id] = found or {"normal"}
    for automatic in (True, False):
        terms = iu_reference_labels(limit=limit, automatic=automatic)
        reference, coverage = reference_from_terms(terms, pipeline.mapper)
        result = evaluate_labels(predicted, reference)
        which = "major + automatic" if automatic else "major only"
        print(f"\n## MeSH {which}")
        if automatic:
            print(
                f"IU reports: {len(predicted)} studies extracted in {t_extract:.1f} s "
                f"({1000 * t_extract / max(1, len(predicted)):.1f} ms/report)"
            )
        print(
            f"MeSH terms: {coverage['terms']}, unmapped {coverage['unmapped']}; "
            f"most frequent unmapped: {coverage['top_unmapped'][:5]}; studies never indexed "
            f"(left out): {coverage['not_indexed_studies']}; studies scored: {result.studies}"
        )
        print(f"classes: {len(result.classes)}; micro MCC (all classes): {result.micro:.3f}")
        top = result.top(10)
        micro10 = evaluate_labels(predicted, reference, classes=[c.name for c in top]).micro
        print(f"micro MCC (10 most frequent classes): {micro10:.3f}")
        base = evaluate_labels(baseline, reference, classes=[c.name for c in result.classes])
        base10 = evaluate_labels(baseline, reference, classes=[c.name for c in top])
        print(
            f"baseline (mentions, no negation): micro MCC all classes {base.micro:.3f}, "
            f"10 most frequent {base10.micro:.3f}; rule extractor / baseline = "
            f"{result.micro / base.micro:.2f}x, {micro10 / base10.micro:.2f}x"
        )
        print("| class | studies with the reference label | TP | FP | FN | MCC |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for c in top:
            print(f"| {c.name} | {c.support} | {c.tp} | {c.fp} | {c.fn} | {c.mcc:.3f} |")


def bench_mapping(n: int = 100_000) -> None:
    from cxrkg.ingest.extract.pipeline import ReportPipeline
    from cxrkg.ingest.mapping import ConceptMapper
    from cxrkg.ingest.model import SceneGraph
    from cxrkg.ingest.sources.iu import iu_reference_labels, iu_scene_graphs
    from cxrkg.ingest.sources.padchest import parse_groups, read_rows
    from cxrkg.ingest.sources.txv_wheel import PADCHEST_LABELS, open_member

    pipeline = ReportPipeline(use_embeddings=False)
    # Real mention texts: observation names the rule extractor wrote for IU reports (free
    # text like an LLM's), IU MeSH terms, and PadChest labels.
    mentions: list[str] = []
    for sg in iu_scene_graphs(pipeline, limit=1500, with_images=False):
        if isinstance(sg, SceneGraph):
            mentions += [o.name for o in sg.observations.values() if o.from_report]
    mentions += [p for ts in iu_reference_labels().values() for t in ts for p in t.split("/")]
    with open_member(PADCHEST_LABELS) as fh:
        df = read_rows(fh, limit=20000, compression="gzip")
    for v in df["LabelsLocalizationsBySentence"]:
        for g in parse_groups(v) or []:
            mentions += [x for x in g if not x.startswith("loc ")]
    rng = random.Random(0)
    sample = [rng.choice(mentions) for _ in range(n)]
    print(f"{n} mentions drawn from {len(mentions)} real ones ({len(set(sample))} distinct)")
    from cxrkg.ingest.mapping import embedder_for

    mapper = ConceptMapper(pipeline.onto)
    tl = time.perf_counter()
    embedder_for(mapper.model).encode(["warm up"])  # load the model once, timed apart
    t0 = time.perf_counter()
    print(f"embedding model loaded in {t0 - tl:.2f} s")
    mapper.ontology_matrix("finding")  # from the disk cache after the first run
    t1 = time.perf_counter()
    out = mapper.map_many(sample, "finding")
    t2 = time.perf_counter()
    resolved = sum(1 for m in out if m.name)
    print(
        f"ontology embeddings ready in {t1 - t0:.2f} s; mapping {n} mentions: {t2 - t1:.2f} s "
        f"({resolved / n:.1%} resolved); methods: {mapper.stats}"
    )
    # Baseline in the same run: one mention at a time through a fresh mapper (no batching).
    fresh = ConceptMapper(pipeline.onto)
    fresh.ontology_matrix("finding")
    few = sample[:2000]
    t3 = time.perf_counter()
    for text in few:
        fresh.map(text, "finding")
    t4 = time.perf_counter()
    per = (t4 - t3) / len(few)
    print(
        f"baseline, one at a time: {per * 1e3:.2f} ms/mention -> "
        f"{per * n:.1f} s for {n}; batched is {per * n / max(t2 - t1, 1e-9):.1f}x faster"
    )


def bench_padchest() -> None:
    from cxrkg.ingest.model import Rejected
    from cxrkg.ingest.sources.padchest import padchest_scene_graphs

    t0 = time.perf_counter()
    n = rejected = 0
    for item in padchest_scene_graphs():
        if isinstance(item, Rejected):
            rejected += 1
        else:
            n += 1
    dt = time.perf_counter() - t0
    print(
        f"PadChest: {n} studies ({rejected} rejected) from all rows in {dt:.1f} s "
        f"({n / dt:.0f} studies/s)"
    )


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "mcc"
    {"mcc": bench_mcc, "mapping": bench_mapping, "padchest": bench_padchest}[what]()
