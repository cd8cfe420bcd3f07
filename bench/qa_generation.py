"""QA pairs per second: Cypher over the graph vs the same questions made in Python from JSON.

    python bench/qa_generation.py                 # demo sample and 2,000 replicated studies
    python bench/qa_generation.py --studies 5000

It also times writing the whole QBA release (qa.zip, scene_data.zip, tables, stats, exports)
against generation alone, on the replicated graph.

Both paths share the answer assembly (`qa_gen.families`, `answers`, `grading`); what differs
is where the facts come from. The Cypher path runs the named queries in `cypher/qa/` over
batches of 200 studies. The baseline computes the same rows (which observations answer
which question, and how) directly from the parsed scene-graph JSON in Python, with the
parsing excluded from its time. The script checks that both produce identical questions
(ids, types, answers) before it prints any figure. The ontology is not synced here, so
both sides see the same facts (the baseline has no ontology traversal to mirror).
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import socket
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from cxrkg.app.demo import demo_dir  # noqa: E402
from cxrkg.config import Settings  # noqa: E402
from cxrkg.cypher.store import FalkorDBStore  # noqa: E402
from cxrkg.demo.replicate import replicate  # noqa: E402
from cxrkg.ingest.graph_rows import localization_props, observation_props  # noqa: E402
from cxrkg.ingest.load import load_scene_graphs  # noqa: E402
from cxrkg.ingest.model import SceneGraph  # noqa: E402
from cxrkg.ingest.sources.qba import QBASource  # noqa: E402
from cxrkg.qa_gen.generate import (  # noqa: E402
    all_study_ids,
    generate_qa,
    iter_qa,
    study_questions,
)
from cxrkg.qa_gen.model import Question  # noqa: E402
from cxrkg.qa_gen.sampling import SamplingWeights, study_targets  # noqa: E402
from cxrkg.qa_gen.scopes import (  # noqa: E402
    ACQUISITION_CATEGORIES,
    ARTIFACT_ENTITIES,
    DEVICE_CATEGORIES,
)
from cxrkg.qa_gen.study_data import StudyData  # noqa: E402

DEFINITE = ("certain", "likely")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the Python baseline: the rows of cypher/qa/*.cypher computed from SceneGraph objects ----
class PyStudy:
    """Indexes of one scene graph that the family rows need."""

    def __init__(self, sg: SceneGraph):
        self.sg = sg
        self.oind = sg.indication.answer_for_indication if sg.indication else None
        self.obs = {
            k: observation_props(sg.study_id, o, top_level=k in sg.top_level_obs_ids)
            for k, o in sg.observations.items()
        }
        self.located: dict[str, list[str]] = defaultdict(list)  # region -> obs ids
        self.regions_of: dict[str, list[str]] = defaultdict(list)  # obs id -> regions
        for rel in sg.located_at_relations:
            if rel.observation_id in self.obs:
                self.located[rel.region].append(rel.observation_id)
                self.regions_of[rel.observation_id].append(rel.region)
        self.children: dict[str, list[str]] = defaultdict(list)
        self.parent: dict[str, list[str]] = defaultdict(list)
        self.side: dict[str, set[str]] = defaultdict(set)
        for rr in sg.region_region_relations:
            if rr.relation_type == "sub_region":
                self.children[rr.region].append(rr.related_region)
                self.parent[rr.related_region].append(rr.region)
            elif rr.relation_type in ("left", "right"):
                self.side[rr.region].add(rr.related_region)
                self.side[rr.related_region].add(rr.region)

    def _closure(self, start: str, step: dict[str, list[str]], include: bool) -> list[str]:
        seen, todo, out = {start}, [start], [start] if include else []
        while todo:
            for nxt in step.get(todo.pop(), []):
                if nxt not in seen:
                    seen.add(nxt)
                    out.append(nxt)
                    todo.append(nxt)
        return out

    def located_in(self, regions: list[str]) -> list[str]:
        return list(dict.fromkeys(o for r in regions for o in self.located.get(r, [])))


def _is_device(o: dict[str, Any]) -> bool:
    return any(c in DEVICE_CATEGORIES for c in o.get("categories", []))


def _classify(obs: dict[str, dict[str, Any]], ids: list[str]) -> dict[str, list[str]]:
    findings = [
        i
        for i in ids
        if not any(
            c in DEVICE_CATEGORIES or c in ACQUISITION_CATEGORIES
            for c in obs[i].get("categories", [])
        )
    ]
    return {
        "abn_ids": findings,
        **{f"abn_{k}": v for k, v in _classify_plain(obs, findings).items()},
        **_classify_plain(obs, ids),
    }


def _classify_plain(obs: dict[str, dict[str, Any]], ids: list[str]) -> dict[str, list[str]]:
    return {
        "pos_ids": [i for i in ids if obs[i].get("positiveness") == "pos"],
        "definite_pos_ids": [
            i
            for i in ids
            if obs[i].get("positiveness") == "pos" and obs[i].get("certainty") in DEFINITE
        ],
        "uncertain_ids": [i for i in ids if obs[i].get("certainty", "certain") not in DEFINITE],
    }


def py_study_data(ps: PyStudy, previous_id: str | None) -> StudyData:
    sg = ps.sg
    study = {
        "top_level_obs_ids": sg.top_level_obs_ids,
        **{f"q_{k}": v for k, v in sg.study_quality.items() if v is not None},
    }
    sd = StudyData(sg.study_id, sg.patient_id, study, [], None, previous_id)
    sent = {s.sent_id: s for s in sg.sentences.values()}
    sents_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rel in sg.obs_sent_relations:
        s = sent[rel.sentence_id]
        sents_of[rel.observation_id].append(
            {"sent_id": s.sent_id, "text": s.sentence, "section": s.section}
        )
    child_rels: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rel in sg.obs_relations:
        child_rels[rel.parent_observation_id].append(
            {"obs_id": rel.child_observation_id, "child_type": rel.child_type}
        )
    all_obs = dict(ps.obs)
    if ps.oind is not None:
        all_obs[ps.oind.obs_id] = observation_props(
            sg.study_id, ps.oind, top_level=False, is_indication_answer=True
        )
    src = sg.all_observations()
    for oid, props in all_obs.items():
        sd.obs[oid] = {
            "study_id": sg.study_id,
            "obs_id": oid,
            "obs": props,
            "children": sorted(child_rels.get(oid, []), key=lambda c: c["obs_id"]),
            "sentences": sorted(sents_of.get(oid, []), key=lambda s: s["sent_id"]),
            "located_at": [],
            "localization": [
                {"image_id": k, **localization_props(v)}
                for k, v in sorted(src[oid].localization.items())
            ],
        }
        for child in sd.obs[oid]["children"]:
            sd.parent_of.setdefault(child["obs_id"], oid)
    for name, region in sg.regions.items():
        sd.regions[name] = {
            "region": name,
            "laterality": region.laterality,
            "localization": [
                {"image_id": k, **localization_props(v)}
                for k, v in sorted(region.localization.items())
            ],
        }
    return sd


def py_mentions(ps: PyStudy) -> dict[str, Any]:
    located = [r for o in ps.obs for r in ps.regions_of.get(o, [])]
    parents = [p for r in located for p in ps._closure(r, ps.parent, include=False)]
    return {
        "study_id": ps.sg.study_id,
        "regions": located,
        "region_parents": parents,
        "region_ontology_parents": [],
        "entities": [o.get("entities", []) for o in ps.obs.values()],
        "entity_parents": [o.get("entities_parents", []) for o in ps.obs.values()],
        "entity_ontology_parents": [],
    }


def py_rows(
    ps: PyStudy, prev: PyStudy | None, regions: list[str], findings: list[str]
) -> dict[str, list[dict[str, Any]]]:
    obs, sg = ps.obs, ps.sg
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if sg.indication and ps.oind is not None:
        ind = sg.indication
        rows["a"].append(
            {
                "summary": ind.indication_summary,
                "indication": ind.indication,
                "evaluation": ind.evaluation,
                "answer_obs_id": ps.oind.obs_id,
                "associated_obs_ids": [o for o in ind.associated_obs_ids if o in obs],
            }
        )
    scopes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for oid in sorted(o for o in obs if obs[o]["top_level"]):
        o = obs[oid]
        keys = [("all", "")] + [("subcat", s) for s in o.get("subcategories", [])]
        if _is_device(o):
            keys.append(("device", ""))
        if any(c in ACQUISITION_CATEGORIES for c in o.get("categories", [])):
            keys.append(("acquisition", ""))
        if any(
            e in ARTIFACT_ENTITIES for e in o.get("entities", []) + o.get("entities_parents", [])
        ):
            keys.append(("artifacts", ""))
        for key in dict.fromkeys(keys):
            scopes[key].append(oid)
    for (kind, value), ids in sorted(scopes.items()):
        rows["b"].append({"kind": kind, "value": value, "obs_ids": ids, **_classify(obs, ids)})
    devices = [o for o in obs if _is_device(obs[o])]
    for region in regions:
        inside = ps._closure(region, ps.children, include=True) if region in sg.regions else []
        sub = ps.located_in(inside)
        anc = ps.located_in(ps._closure(region, ps.parent, include=False)) if inside else []
        side = (
            ps.located_in(
                [
                    x
                    for s in ps.side.get(region, ())
                    for x in ps._closure(s, ps.children, include=True)
                ]
            )
            if inside
            else []
        )
        cls = _classify(obs, sub)
        dev = [o for o in sub if _is_device(obs[o])]
        rows["c"].append(
            {
                "region": region,
                "in_study": region in sg.regions,
                "sub_ids": sub,
                **cls,
                "device_ids": dev,
                "definite_device_ids": [o for o in dev if o in cls["definite_pos_ids"]],
                "parent_region_ids": [o for o in anc if o not in sub],
                "other_side_ids": [o for o in side if o not in sub],
                "study_device_ids": devices,
            }
        )
    for f in findings:
        matched = [
            o
            for o in obs
            if f in obs[o].get("entities", []) or f in obs[o].get("entities_parents", [])
        ]
        named_parents: list[str] = []
        for o in matched:
            named_parents += [
                p for p in obs[o].get("entities_parents", []) if p not in named_parents and p != f
            ]
        same = {r for o in matched for r in obs[o].get("regions", [])}
        same_ids = [
            o
            for o in obs
            if o not in matched
            and obs[o].get("positiveness") == "pos"
            and any(r in same for r in obs[o].get("regions", []))
        ]
        parent_ids = [
            o
            for o in obs
            if o not in matched and any(e in named_parents for e in obs[o].get("entities", []))
        ]
        direct = [o for o in matched if f in obs[o].get("entities", [])]
        acquisition = bool(matched) and all(
            any(c in ACQUISITION_CATEGORIES for c in obs[o].get("categories", []))
            and not any(
                e in ARTIFACT_ENTITIES
                for e in obs[o].get("entities", []) + obs[o].get("entities_parents", [])
            )
            for o in matched
        )
        definite = [
            o
            for o in sorted(matched)
            if obs[o].get("positiveness") == "pos" and obs[o].get("certainty") in DEFINITE
        ]
        definite_regions: list[str] = []
        severities: list[str] = []
        for o in definite:
            definite_regions += [r for r in obs[o].get("regions", []) if r not in definite_regions]
            severities += [
                m[9:]
                for m in obs[o].get("modifiers", [])
                if m.startswith("severity:") and m[9:] not in severities
            ]
        rows["d"].append(
            {
                "definite_regions": definite_regions,
                "severities": severities,
                "finding": f,
                "obs_ids": matched,
                "direct_ids": direct,
                **_classify(obs, matched),
                "negated_ancestor_ids": [],
                "is_device": any(_is_device(obs[o]) for o in direct),
                "is_acquisition": acquisition,
                "same_region_ids": [o for o in dict.fromkeys(same_ids) if o not in parent_ids],
                "parent_finding_ids": parent_ids,
            }
        )
    if prev is not None:
        cur = [o for o in obs.values() if o["top_level"]]
        prv = [o for o in prev.obs.values() if o["top_level"]]
        names: list[str] = []
        for o in cur + prv:
            names += [e for e in o.get("entities", []) if e not in names]
        for f in names:
            c = [o["obs_id"] for o in cur if f in o.get("entities", [])]
            p = [o["obs_id"] for o in prv if f in o.get("entities", [])]
            cc, pc = _classify(obs, c), _classify(prev.obs, p)
            rows["e"].append(
                {
                    "kind": "finding",
                    "name": f,
                    "previous_study_id": prev.sg.study_id,
                    "cur_ids": c,
                    "cur_pos_ids": cc["pos_ids"],
                    "cur_definite_pos_ids": cc["definite_pos_ids"],
                    "cur_uncertain_ids": cc["uncertain_ids"],
                    "cur_changes": [x for o in c for x in obs[o].get("changes", [])],
                    "prev_ids": p,
                    "prev_pos_ids": pc["pos_ids"],
                    "prev_definite_pos_ids": pc["definite_pos_ids"],
                    "prev_uncertain_ids": pc["uncertain_ids"],
                    "changes": [],
                    "phrase": None,
                }
            )
    return rows


def python_baseline(graphs: list[SceneGraph], seed: int) -> dict[str, list[Question]]:
    """Every study's questions made from the scene graphs alone."""
    studies = {sg.study_id: PyStudy(sg) for sg in graphs}
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for ps in studies.values():
        for o in ps.obs.values():
            if o.get("positiveness") in ("pos", "neg"):
                col = 0 if o["positiveness"] == "pos" else 1
                for r in o.get("regions", []):
                    counts[("region", r)][col] += 1
                for e in o.get("entities", []):
                    counts[("finding", e)][col] += 1
    weights = SamplingWeights.from_counts(
        [{"kind": k, "name": n, "positive": v[0], "negative": v[1]} for (k, n), v in counts.items()]
    )
    by_patient: dict[str, list[SceneGraph]] = defaultdict(list)
    for sg in graphs:
        by_patient[sg.patient_id].append(sg)
    previous: dict[str, str] = {}
    for chain in by_patient.values():
        chain.sort(
            key=lambda g: (
                g.study_order if g.study_order is not None else 0,
                g.study_datetime or "",
            )
        )
        for a, b in zip(chain, chain[1:], strict=False):
            previous[b.study_id] = a.study_id
    out: dict[str, list[Question]] = {}
    datas: dict[str, StudyData] = {}
    for sid, ps in studies.items():
        prev_id = previous.get(sid)
        targets = study_targets(py_mentions(ps), weights, seed)
        rows = py_rows(
            ps, studies.get(prev_id) if prev_id else None, targets.regions, targets.findings
        )
        sd = datas.setdefault(sid, py_study_data(ps, prev_id))
        prev_sd = None
        if rows.get("e") and prev_id:
            prev_sd = datas.setdefault(
                prev_id, py_study_data(studies[prev_id], previous.get(prev_id))
            )
        out[sid] = study_questions(sd, rows, seed, prev_sd)
    return out


# -- the run --------------------------------------------------------------------------------
def signature(questions: list[Question]) -> list[str]:
    """Each question as the release writes it (ids, types, answers, grades), sorted."""
    return sorted(json.dumps(q.to_release_json(), sort_keys=True) for q in questions)


def measure(
    label: str, store: FalkorDBStore, graphs: list[SceneGraph], seed: int, workers: int
) -> None:
    ids = all_study_ids(store)
    t0 = time.perf_counter()
    cypher = {i.study.study_id: i.questions for i in iter_qa(store, ids, seed=seed)}
    t_cypher = time.perf_counter() - t0
    t_workers = None
    if workers > 1:
        t0 = time.perf_counter()
        again = {
            i.study.study_id: i.questions for i in iter_qa(store, ids, seed=seed, workers=workers)
        }
        t_workers = time.perf_counter() - t0
        assert again == cypher, "worker threads changed the output"
    texts = [g.model_dump_json() for g in graphs]
    t0 = time.perf_counter()
    parsed = [SceneGraph.model_validate_json(text) for text in texts]
    t_parse = time.perf_counter() - t0
    t0 = time.perf_counter()
    python = python_baseline(parsed, seed)
    t_python = time.perf_counter() - t0
    n = sum(len(q) for q in cypher.values())
    mismatched = [s for s in cypher if signature(cypher[s]) != signature(python.get(s, []))]
    if mismatched:
        sid = mismatched[0]
        a, b = set(signature(cypher[sid])), set(signature(python[sid]))
        print(f"{label}: {len(mismatched)} studies differ, e.g. {sid}:", file=sys.stderr)

        def brief(lines: set[str]) -> list[str]:
            return sorted(f"{d['question_type']} {d['variables']}" for d in map(json.loads, lines))

        print("  cypher only:", brief(a - b)[:6], file=sys.stderr)
        print("  python only:", brief(b - a)[:6], file=sys.stderr)

        for x, y in zip(sorted(a - b)[:2], sorted(b - a)[:2], strict=False):
            xs = json.dumps(json.loads(x), indent=1, sort_keys=True).splitlines()
            ys = json.dumps(json.loads(y), indent=1, sort_keys=True).splitlines()
            for line in list(difflib.unified_diff(xs, ys, "cypher", "python", n=2))[:40]:
                print("  " + line, file=sys.stderr)
        raise SystemExit(1)
    print(
        f"| {label} | {len(ids):,} | {n:,} | {n / t_cypher:,.0f} |"
        + (f" {n / t_workers:,.0f} |" if t_workers else " - |")
        + f" {n / t_python:,.0f} | {n / (t_python + t_parse):,.0f} | {t_python / t_cypher:.2f} |"
    )


def release_cost(store: FalkorDBStore, out: Path, seed: int) -> None:
    """Generation alone vs generation writing the whole QBA release (zips, tables, stats,
    both exports) for the same studies, in this process."""
    ids = all_study_ids(store)
    t0 = time.perf_counter()
    alone = generate_qa(store, ids, seed=seed)
    t_alone = time.perf_counter() - t0
    t0 = time.perf_counter()
    written = generate_qa(store, ids, out, seed=seed)
    t_release = time.perf_counter() - t0
    assert written.questions == alone.questions
    print(
        f"\nrelease: {len(ids):,} studies, {alone.questions:,} QA pairs; generation alone"
        f" {t_alone:.1f}s ({alone.questions / t_alone:,.0f} QA pairs/s), with the release"
        f" {t_release:.1f}s ({alone.questions / t_release:,.0f} QA pairs/s);"
        f" ratio {t_release / t_alone:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--studies", type=int, default=2000, help="size of the larger graph")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    demo = [g for g in QBASource(demo_dir()) if isinstance(g, SceneGraph)]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp), falkordb_port=free_port(), graph="bench_qa")
        store = FalkorDBStore(settings)
        try:
            store.setup_schema()
            print(
                "| graph | studies | QA pairs | Cypher QA pairs/s | Cypher, "
                f"{args.workers} threads | Python from parsed JSON | Python incl. JSON parsing |"
                " Cypher speed / Python speed |"
            )
            print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            load_scene_graphs(store, demo, progress=False)
            measure("demo", store, demo, args.seed, args.workers)
            store.clear()
            store.setup_schema()
            big = list(replicate(demo, args.studies))
            load_scene_graphs(store, big, progress=False)
            measure(
                f"demo x{args.studies // len(demo)} (replicated)",
                store,
                big,
                args.seed,
                args.workers,
            )
            release_cost(store, Path(tmp) / "release", args.seed)
        finally:
            store.server.stop()
            store.close()


if __name__ == "__main__":
    main()
