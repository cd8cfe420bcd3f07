"""Synthetic studies shaped like real MIMIC-Ext-CXR-QBA ones, for benchmarks at scale.

    from cxrkg.bench.qba_shapes import qba_studies, shape_counts
    for sg in qba_studies(10_000, seed=0): ...

Seeded and deterministic: study i is the same whatever else is generated (its random
stream is keyed by the seed and i), so the first 1,000 of 100,000 studies are the 1,000
studies of a run of 1,000. Every name is the bundled ontology's, so the studies link to
it. A study holds what a QBA scene graph holds (seed document, "Scene graphs"):

- a patient with several studies (1-6, mean ~3.5 as in MIMIC-CXR) chained by study_order;
- a PA and a lateral image, and in about a third of studies a second frontal (AP) one;
- observations (positive findings with their regions, some with children; devices; the
  pre-defined negative defaults), each from a report sentence, localized on every
  frontal image by the boxes of its regions;
- the region tree: every mentioned region with all its ancestors up to `chest`, the
  bilateral composites (`lungs` = left + right lung: two boxes), left/right relations
  between counterparts, a box per frontal image for each region that has boxes;
- an indication with its answer observation;
- quality records with the six criteria.

About 65 graph nodes and 95 scene-graph relations per study (`shape_counts` says).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from tqdm import tqdm

from cxrkg.ingest.graph_rows import study_rows
from cxrkg.ingest.model import SceneGraph
from cxrkg.ingest.sources.qba import META_SUFFIX, SCENE_SUFFIX, scene_graph_files, study_path
from cxrkg.ontology import load_ontology
from cxrkg.ontology.model import Ontology

# Findings radiologists report positively most often (MIMIC-CXR label frequencies).
_COMMON = (
    "atelectasis",
    "pleural effusion",
    "cardiomegaly",
    "lung opacity",
    "pulmonary edema",
    "consolidation",
    "pneumonia",
    "pneumothorax",
    "nodule",
    "vascular congestion",
    "hyperaeration",
    "scoliosis",
    "hiatal hernia",
    "granuloma",
    "emphysema",
)
_DEFAULT_NEGATIVES = ("pneumothorax", "pleural effusion", "consolidation", "pulmonary edema")
_NEGATIVE_ANATOMY = (
    "cardiac silhouette",
    "mediastinum",
    "hila",
    "bones",
    "diaphragm",
)
_SEVERITY = ("mild", "moderate", "small", "large", "minimal")
_CHANGES = ("stable", "unchanged", "improved", "worsened", "new")
_QUALITY = {
    "region_quality": "RESOLVED_REGIONS_ONLY",
    "entity_quality": "RESOLVED_ENTITIES_ONLY",
    "sentence_name_quality": "NO_ISSUES",
    "change_quality": "NO_ISSUES",
    "issue_level": "NO_ISSUES",
    "localization_quality": "BBOX_LOCALIZATION",
}
_INDICATIONS = (
    ("shortness of breath", "Evaluate for pneumonia.", "pneumonia"),
    ("cough and fever", "Evaluate for consolidation.", "consolidation"),
    ("chest pain", "Evaluate for acute cardiopulmonary process.", "pulmonary edema"),
    ("status post line placement", "Evaluate line position and pneumothorax.", "pneumothorax"),
    ("hypoxia", "Evaluate for effusion.", "pleural effusion"),
)
# Normalized boxes (x1, y1, x2, y2) of the regions everything else is placed inside;
# the patient's left is on the image's right.
_ANCHORS = {
    "chest": (0.04, 0.03, 0.96, 0.97),
    "right hemithorax": (0.06, 0.08, 0.5, 0.9),
    "left hemithorax": (0.5, 0.08, 0.94, 0.9),
    "mediastinum": (0.38, 0.08, 0.62, 0.75),
    "neck": (0.3, 0.0, 0.7, 0.1),
    "abdomen": (0.1, 0.8, 0.9, 1.0),
}


@dataclass(frozen=True)
class ShapeCounts:
    """What the studies hold on average, counted as the graph stores it."""

    studies: int
    graph_nodes: float  # study, images, sentences, observations, indication, answer, regions
    scene_graph_relations: float  # obs-obs, obs-sentence, obs-region, region-region
    graph_relationships: float  # every edge a study's write creates (boxes, ontology links too)
    images: float
    observations: float
    regions: float
    boxed_regions: float
    sentences: float
    patients: int

    def lines(self) -> list[str]:
        return [
            f"{self.studies:,} studies of {self.patients:,} patients",
            f"graph nodes per study          {self.graph_nodes:6.1f}"
            f"  (images {self.images:.1f}, observations {self.observations:.1f},"
            f" regions {self.regions:.1f} of which {self.boxed_regions:.1f} boxed,"
            f" sentences {self.sentences:.1f})",
            f"scene-graph relations per study {self.scene_graph_relations:6.1f}"
            "  (obs-obs, obs-sentence, obs-region, region-region)",
            f"graph relationships per study  {self.graph_relationships:6.1f}"
            "  (also HAS_*, LOCALIZED_IN per box set, HAS_ENTITY, IS_A, HAS_STUDY)",
        ]


class QBAShapes:
    """The builder: the ontology's names and trees, prepared once."""

    def __init__(self, seed: int = 0, ontology: Ontology | None = None):
        self.seed = seed
        self.onto = ontology or load_ontology()

    @cached_property
    def _findings(self) -> list[str]:
        pool = [
            c.name
            for c in self.onto.findings.values()
            if not c.is_device and not c.deprecated and c.default_regions
        ]
        common = [n for n in _COMMON if n in self.onto.findings]
        return common * 4 + sorted(pool)  # common findings four times as likely

    @cached_property
    def _devices(self) -> list[str]:
        return sorted(c.name for c in self.onto.findings.values() if c.is_device)

    @cached_property
    def _sided(self) -> dict[str, list[str]]:
        """Left/right regions with boxes, by the bilateral region they belong to."""
        out: dict[str, list[str]] = {}
        for c in self.onto.regions.values():
            if c.composite and c.composite[0] == "union":
                parts = [p for p in c.composite[1] if p in self.onto.regions]
                if parts:
                    out[c.name] = parts
        return out

    @cached_property
    def _lung_regions(self) -> list[str]:
        return sorted(
            c.name
            for c in self.onto.regions.values()
            if c.has_box and c.laterality in ("left", "right") and "LUNG" in c.categories
        )

    # -- ids ------------------------------------------------------------------------
    def _rng(self, *key: object) -> random.Random:
        return random.Random(":".join(str(k) for k in (self.seed, *key)))

    def _dicom_id(self, study_id: str, k: int) -> str:
        h = hashlib.blake2b(f"{self.seed}:{study_id}:{k}".encode(), digest_size=20).hexdigest()
        return "-".join(h[i : i + 8] for i in range(0, 40, 8))

    # -- patients -----------------------------------------------------------------------
    def patients(self, n_studies: int) -> Iterator[tuple[int, int, int]]:
        """(study index, patient index, study_order) for the first n studies."""
        i = p = 0
        while i < n_studies:
            k = self._rng("patient", p).choice((1, 1, 2, 2, 3, 3, 4, 5, 6, 8))
            for order in range(1, k + 1):
                if i >= n_studies:
                    return
                yield i, p, order
                i += 1
            p += 1

    def studies(self, n: int) -> Iterator[SceneGraph]:
        for i, p, order in self.patients(n):
            yield self.study(i, p, order)

    # -- one study ----------------------------------------------------------------------
    def study(self, i: int, patient: int, order: int) -> SceneGraph:
        rng = self._rng("study", i)
        pid = f"p{10_000_000 + patient:08d}"
        sid = f"s{50_000_000 + i:08d}"
        images = self._images(rng, pid, sid)
        frontal = [k for k, v in images.items() if v["view_position"] in ("PA", "AP")]

        draft = _Draft(self, rng, sid, frontal, images)
        draft.observe()
        regions = draft.region_tree()
        data: dict[str, Any] = {
            "patient_id": pid,
            "study_id": sid,
            "sentences": draft.sentences,
            "top_level_obs_ids": draft.top,
            "observations": draft.observations,
            "indication": draft.indication(),
            "regions": regions,
            "located_at_relations": draft.located_at,
            "obs_relations": draft.obs_relations,
            "obs_sent_relations": draft.obs_sent,
            "region_region_relations": draft.region_relations(regions),
            "study_quality": dict(_QUALITY),
            "study_img_localization_quality": {
                k: ("BBOX_LOCALIZATION" if k in frontal else "NO_LOCALIZATION") for k in images
            },
            "images": images,
            "metadata": {
                "split": "test" if rng.random() < 0.02 else "train",
                "procedure": "CHEST (PA AND LAT)",
                "num_observations": len(draft.observations),
                "timestamp_since_first": float((order - 1) * rng.randint(1, 400)),
                "study_order": order,
            },
            "study_order": order,
        }
        return SceneGraph.model_validate(data)

    def _images(self, rng: random.Random, pid: str, sid: str) -> dict[str, dict[str, Any]]:
        views = ["PA", "LATERAL"] + (["AP"] if rng.random() < 0.35 else [])
        out = {}
        for k, view in enumerate(views):
            image_id = self._dicom_id(sid, k)
            width, height = rng.choice(((2544, 3056), (3056, 2544), (2539, 3050), (2500, 3000)))
            out[image_id] = {
                "image_id": image_id,
                "view_position": view,
                "width": width,
                "height": height,
                "path": f"files/{pid[:3]}/{pid}/{sid}/{image_id}.jpg",
            }
        return out

    # -- geometry -------------------------------------------------------------------------
    def unit_box(self, region: str) -> tuple[float, float, float, float]:
        """Where a region lies on a frontal image, in [0, 1] coordinates (deterministic)."""
        return self._unit_boxes.get(region) or self._place(region, 0)

    @cached_property
    def _unit_boxes(self) -> dict[str, tuple[float, float, float, float]]:
        return dict(_ANCHORS)

    def _place(self, region: str, depth: int) -> tuple[float, float, float, float]:
        c = self.onto.regions.get(region)
        parent = next((p for p in (c.parents if c else ()) if p in self.onto.regions), None)
        if parent is None or depth > 20:
            base = _ANCHORS["chest"]
        else:
            base = self._unit_boxes.get(parent) or self._place(parent, depth + 1)
        x1, y1, x2, y2 = base
        if c is not None and c.laterality in ("left", "right") and x2 - x1 > 0.5:
            mid = (x1 + x2) / 2  # a sided part of a bilateral parent: its half
            x1, x2 = (mid, x2) if c.laterality == "left" else (x1, mid)
        h = int(hashlib.blake2b(region.encode(), digest_size=4).hexdigest(), 16)
        fw, fh = 0.45 + (h % 40) / 100, 0.35 + (h // 40 % 50) / 100
        ox, oy = (h // 2000 % 100) / 100, (h // 200_000 % 100) / 100
        w, hh = (x2 - x1) * fw, (y2 - y1) * fh
        box = (
            round(x1 + (x2 - x1 - w) * ox, 4),
            round(y1 + (y2 - y1 - hh) * oy, 4),
            round(x1 + (x2 - x1 - w) * ox + w, 4),
            round(y1 + (y2 - y1 - hh) * oy + hh, 4),
        )
        self._unit_boxes[region] = box
        return box


class _Draft:
    """One study while it is being built."""

    def __init__(
        self,
        shapes: QBAShapes,
        rng: random.Random,
        sid: str,
        frontal: list[str],
        images: dict[str, dict[str, Any]],
    ):
        self.s = shapes
        self.onto = shapes.onto
        self.rng = rng
        self.sid = sid
        self.frontal = frontal
        self.images = images
        self.sentences: dict[str, dict[str, Any]] = {}
        self.observations: dict[str, dict[str, Any]] = {}
        self.top: list[str] = []
        self.located_at: list[dict[str, Any]] = []
        self.obs_relations: list[dict[str, Any]] = []
        self.obs_sent: list[dict[str, Any]] = []
        self.mentioned: list[str] = []
        self._why = rng.choice(_INDICATIONS)

    # -- text ---------------------------------------------------------------------------
    def sentence(self, section: str, text: str) -> str:
        sent_id = f"S{len(self.sentences) + 1:02d}"
        self.sentences[sent_id] = {
            "sent_id": sent_id,
            "section": section,
            "section_type": section,
            "sentence": text,
        }
        return sent_id

    # -- observations ---------------------------------------------------------------------
    def observe(self) -> None:
        rng = self.rng
        self.sentence("INDICATION", f"___ with {self._why[0]}. {self._why[1]}")
        n_pos = rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5))
        findings = list(dict.fromkeys(rng.choice(self.s._findings) for _ in range(n_pos)))
        positive = []
        for name in findings:
            regions = self._regions_for(name)
            side = self.onto.regions[regions[0]].laterality if regions else None
            severity = rng.choice(_SEVERITY) if rng.random() < 0.6 else None
            label = " ".join(x for x in (severity, side, name) if x)
            text = f"There is {label}" + (f" in the {regions[0]}" if regions else "") + "."
            sent = self.sentence("FINDINGS", text[0].upper() + text[1:])
            prob = rng.choice(("positive", "positive", "positive", "probable", "possible"))
            obs_id = self.add(name, label, text, sent, regions, prob, severity=severity)
            positive.append(obs_id)
            if rng.random() < 0.45:  # a child: an associated or described finding
                child = rng.choice(self.s._findings)
                regions_c = self._regions_for(child)
                text_c = f"There is associated {child}."
                self.add(
                    child,
                    child,
                    text_c,
                    sent,
                    regions_c,
                    "positive",
                    parent=obs_id,
                    child_type=rng.choice(("associated_with", "located_at", "described_by")),
                )
        if rng.random() < 0.4 and self.s._devices:  # a line or tube
            device = rng.choice(self.s._devices)
            regions = self._regions_for(device) or ["mediastinum"]
            sent = self.sentence("FINDINGS", f"A {device} is in place, unchanged in position.")
            self.add(device, device, f"There is a {device}.", sent, regions, "positive")
        negatives = self.sentence(
            "FINDINGS", "There is no pneumothorax, pleural effusion, or focal consolidation."
        )
        for name in _DEFAULT_NEGATIVES:
            if name in self.onto.findings and name not in findings:
                regions = list(self.onto.findings[name].default_regions)[:2]
                self.add(
                    name,
                    f"no {name}",
                    f"There is no {name}.",
                    negatives,
                    regions,
                    "negative",
                    where="default",
                )
        normal = self.sentence("FINDINGS", "The cardiomediastinal and hilar contours are normal.")
        for region in _NEGATIVE_ANATOMY:
            if region in self.onto.regions:
                self.add(
                    "abnormal",
                    f"normal {region}",
                    f"The {region} is normal.",
                    normal,
                    [region],
                    "negative",
                )
        summary = ", ".join(self.observations[o]["name"] for o in positive) or "no acute process"
        self.sentence("IMPRESSION", f"{summary[0].upper()}{summary[1:]}.")
        if rng.random() < 0.5:
            self.sentence("IMPRESSION", "No acute cardiopulmonary process otherwise.")

    def _regions_for(self, finding: str) -> list[str]:
        c = self.onto.findings.get(finding)
        out = []
        for region in (c.default_regions if c else ())[:2]:
            parts = self.s._sided.get(region)
            out.append(self.rng.choice(parts) if parts and self.rng.random() < 0.7 else region)
        if not out:
            out.append(self.rng.choice(self.s._lung_regions))
        return [r for r in out if r in self.onto.regions]

    def add(
        self,
        finding: str,
        name: str,
        text: str,
        sent: str,
        regions: list[str],
        probability: str,
        *,
        severity: str | None = None,
        parent: str | None = None,
        child_type: str | None = None,
        where: str = "direct",
    ) -> str:
        if parent is None:
            obs_id = f"O{len(self.top) + 1:02d}"
            self.top.append(obs_id)
        else:
            n = sum(1 for k in self.observations if k.startswith(parent + "."))
            obs_id = f"{parent}.{n + 1:02d}"
            self.obs_relations.append(
                {
                    "parent_observation_id": parent,
                    "child_observation_id": obs_id,
                    "child_type": child_type,
                }
            )
        c = self.onto.findings.get(finding)
        negative = probability == "negative"
        sides = {self.onto.regions[r].laterality for r in regions} - {None}
        changes = [self.rng.choice(_CHANGES)] if not negative and self.rng.random() < 0.3 else []
        self.observations[obs_id] = {
            "obs_id": obs_id,
            "name": name,
            "summary_sentence": text,
            "child_type": child_type,
            "child_level": 0 if parent is None else 1,
            "regions": [{"region": r, "distances": []} for r in regions],
            "laterality": sides.pop() if len(sides) == 1 else None,
            "default_regions": list(c.default_regions) if c and where == "default" else [],
            "obs_entities": [finding],
            "obs_entities_parents": list(c.parents) if c else [],
            "obs_categories": list(c.categories) if c else [],
            "obs_subcategories": list(c.subcategories) if c else [],
            "probability": probability,
            "certainty": "certain" if probability in ("positive", "negative") else "uncertain",
            "positiveness": "neg" if negative else "pos",
            "modifiers": {
                "temporal": [],
                "severity": [severity] if severity else [],
                "texture": [],
                "spread": [],
            },
            "changes": changes,
            "change_sentence": text if changes else None,
            "obs_quality": dict(_QUALITY),
            "localization": {} if negative else self._localize(regions),
        }
        self.obs_sent.append({"observation_id": obs_id, "sentence_id": sent})
        self.located_at += [
            {"region": r, "observation_id": obs_id, "distances": [], "where_specified": where}
            for r in regions
        ]
        self.mentioned += regions
        return obs_id

    def _localize(self, regions: list[str]) -> dict[str, dict[str, Any]]:
        boxed = [r for r in regions if self.onto.regions[r].has_box]
        if not boxed:
            return {}
        out = {}
        for image_id in self.frontal:
            boxes = [b for r in boxed for b in self._boxes(r, image_id)]
            out[image_id] = {
                "image_id": image_id,
                "localization_reference_ids": boxed,
                "bboxes": boxes,
                "instance_mask_ids": boxed,
                "missing_localization": [],
                "is_fallback": False,
                "localization_quality": "BBOX_LOCALIZATION",
            }
        return out

    def _boxes(self, region: str, image_id: str) -> list[list[float]]:
        c = self.onto.regions[region]
        parts = (
            [p for p in c.composite[1] if p in self.onto.regions]
            if c.composite and c.composite[0] == "union"
            else [region]
        )
        img = self.images[image_id]
        w, h = img["width"], img["height"]
        jitter = random.Random(f"{image_id}:{region}")
        out = []
        for part in parts:
            x1, y1, x2, y2 = self.s.unit_box(part)
            dx, dy = jitter.uniform(-0.01, 0.01), jitter.uniform(-0.01, 0.01)
            out.append(
                [
                    round(max(x1 + dx, 0.0) * w, 1),
                    round(max(y1 + dy, 0.0) * h, 1),
                    round(min(x2 + dx, 1.0) * w, 1),
                    round(min(y2 + dy, 1.0) * h, 1),
                ]
            )
        return out

    # -- indication ---------------------------------------------------------------------------
    def indication(self) -> dict[str, Any]:
        complaint, evaluation, finding = self._why
        related = [k for k, o in self.observations.items() if o["obs_entities"] == [finding]]
        found = any(self.observations[k]["positiveness"] == "pos" for k in related)
        c = self.onto.findings.get(finding)
        answer_text = f"{'Yes' if found else 'No'}, there is {'' if found else 'no '}{finding}."
        return {
            "indication_summary": f"Patient with {complaint}; {evaluation.lower()}",
            "patient_info": f"Patient with {complaint}.",
            "indication": complaint.capitalize() + ".",
            "evaluation": evaluation,
            "associated_sentence_ids": sorted(
                {r["sentence_id"] for r in self.obs_sent if r["observation_id"] in related}
            ),
            "associated_obs_ids": related,
            "answer_for_indication": {
                "obs_id": "OIND",
                "name": "answer for indication",
                "summary_sentence": answer_text,
                "child_level": 0,
                "default_regions": list(c.default_regions) if c else [],
                "obs_entities": [finding],
                "obs_categories": list(c.categories) if c else [],
                "obs_subcategories": list(c.subcategories) if c else [],
                "probability": "positive" if found else "negative",
                "certainty": "certain",
                "positiveness": "pos" if found else "neg",
                "obs_quality": {**_QUALITY, "region_quality": "NO_REGIONS"},
            },
        }

    # -- regions --------------------------------------------------------------------------------
    def region_tree(self) -> dict[str, dict[str, Any]]:
        """Every mentioned region with its ancestors (QBA fills missing intermediate
        regions from the reference data), with boxes on each frontal image."""
        tree: dict[str, None] = {}
        todo = list(dict.fromkeys(self.mentioned))
        while todo:
            name = todo.pop()
            if name in tree or name not in self.onto.regions:
                continue
            tree[name] = None
            c = self.onto.regions[name]
            todo += list(c.parents)
            if c.composite and c.composite[0] == "union":  # `lungs`: left and right lung
                todo += list(c.composite[1])
        out = {}
        for name in sorted(tree):
            c = self.onto.regions[name]
            loc = {}
            if c.has_box:
                for image_id in self.frontal:
                    loc[image_id] = {
                        "image_id": image_id,
                        "localization_reference_ids": [name],
                        "bboxes": self._boxes(name, image_id),
                        "instance_mask_ids": [name],
                        "missing_localization": [],
                        "is_fallback": False,
                        "localization_quality": "BBOX_LOCALIZATION",
                    }
            out[name] = {
                "region": name,
                "laterality": c.laterality,
                "localization": loc,
                "region_localization_quality": "BBOX_LOCALIZATION" if loc else "NO_LOCALIZATION",
            }
        return out

    def region_relations(self, regions: dict[str, Any]) -> list[dict[str, Any]]:
        rels = []
        for name in regions:
            c = self.onto.regions[name]
            rels += [
                {"region": p, "related_region": name, "relation_type": "sub_region"}
                for p in c.parents
                if p in regions
            ]
            if c.laterality == "left" and c.counterpart in regions:
                rels.append(
                    {"region": name, "related_region": c.counterpart, "relation_type": "right"}
                )
                rels.append(
                    {"region": c.counterpart, "related_region": name, "relation_type": "left"}
                )
        return rels


def qba_studies(n: int, seed: int = 0, ontology: Ontology | None = None) -> Iterator[SceneGraph]:
    """The first n QBA-shaped studies of this seed."""
    return QBAShapes(seed, ontology).studies(n)


def write_tree(root: Path, n: int, seed: int = 0, progress: bool = True) -> Path:
    """The first n studies of this seed as a QBA tree under `root` (reused when a tree of
    at least n studies of the same seed is there: `shapes.json` says what it holds)."""
    manifest = root / "shapes.json"
    if manifest.is_file():
        have = json.loads(manifest.read_text())
        if have.get("seed") == seed and have.get("studies", 0) >= n:
            return root
    root.mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=n, unit="study", desc="QBA-shaped tree", disable=not progress)
    for sg in qba_studies(n, seed):
        scene, meta = scene_graph_files(sg)
        path = root / study_path(sg.patient_id, sg.study_id, SCENE_SUFFIX)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(scene)
        (root / study_path(sg.patient_id, sg.study_id, META_SUFFIX)).write_bytes(meta)
        bar.update(1)
    bar.close()
    manifest.write_text(json.dumps({"seed": seed, "studies": n}))
    return root


def shape_counts(graphs: list[SceneGraph]) -> ShapeCounts:
    """Average sizes of these studies, counted from the rows the loader writes."""
    nodes = sg_rels = rels = images = obs = regions = boxed = sents = 0
    node_kinds = ("studies", "images", "sentences", "observations", "indications", "regions")
    edge_kinds = (
        "children", "obs_sent", "located_at", "sub_region_of", "left_of", "right_of",
        "other_region_rels", "obs_loc", "region_loc", "ind_sent", "ind_obs", "entity_links",
        "anatomy_links",
    )  # fmt: skip
    for sg in graphs:
        rows = study_rows(sg)
        answers = sum(1 for r in rows["indications"] if r["answer"])
        nodes += sum(len(rows[k]) for k in node_kinds) + answers
        # each node but the study hangs off it (HAS_IMAGE, ..., ANSWERED_BY), plus HAS_STUDY
        rels += sum(len(rows[k]) for k in node_kinds) + answers
        rels += sum(len(rows[k]) for k in edge_kinds)
        sg_rels += (
            len(sg.obs_relations)
            + len(sg.obs_sent_relations)
            + len(sg.located_at_relations)
            + len(sg.region_region_relations)
        )
        images += len(sg.images)
        obs += len(sg.all_observations())
        regions += len(sg.regions)
        boxed += sum(1 for r in sg.regions.values() if r.localization)
        sents += len(sg.sentences)
    n = max(len(graphs), 1)
    return ShapeCounts(
        studies=len(graphs),
        graph_nodes=nodes / n,
        scene_graph_relations=sg_rels / n,
        graph_relationships=rels / n,
        images=images / n,
        observations=obs / n,
        regions=regions / n,
        boxed_regions=boxed / n,
        sentences=sents / n,
        patients=len({sg.patient_id for sg in graphs}),
    )


if __name__ == "__main__":
    import argparse
    import time

    parser = argparse.ArgumentParser(description="Counts of QBA-shaped studies")
    parser.add_argument("--studies", type=int, default=1000)
    parser.add_argument("--count", type=int, default=2000, help="studies counted (at most)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", type=Path, help="also write them as a QBA tree here")
    args = parser.parse_args()
    if args.write:
        write_tree(args.write, args.studies, args.seed)
    n = min(args.studies, args.count)
    t0 = time.perf_counter()
    graphs = list(qba_studies(n, args.seed))
    took = time.perf_counter() - t0
    print("\n".join(shape_counts(graphs).lines()))
    print(f"generated in {took:.1f}s ({n / took:,.0f} studies/s)")
