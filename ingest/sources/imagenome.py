"""Chest ImaGenome scene graphs: one `<image_id>_SceneGraph.json` per frontal image.

The images of one study are merged into one SceneGraph. Objects become study regions
with their original-pixel boxes per image; each attribute (`category|yes/no|label` of
one report phrase) becomes an observation located at every object the phrase names;
comparison relations are kept and linked to the previous study's regions on load.
Ids follow QBA's convention (`p<patient>`, `s<study>`) so both sources meet in one graph.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cxrkg.ingest.model import (
    IngestError,
    LocatedAt,
    Rejected,
    SceneGraph,
    hostile_value,
    validation_rejection,
)
from cxrkg.ingest.sources.raw import Unreadable, internal_error, parse_json, read_file

SUFFIX = "_SceneGraph.json"
_STUDY_ID = re.compile(rb'"study_id"\s*:\s*"?(\d+)')

# Chest ImaGenome categoryIDs → QBA categories.
CATEGORY = {
    "anatomicalfinding": "ANATOMICAL_FINDING",
    "disease": "DISEASE",
    "technicalassessment": "TECHNICAL_ASSESSMENT",
    "tubesandlines": "TUBES_AND_LINES",
    "devices": "DEVICE",
    "nlp": "NLP",
}
_SEVERITY_UNCERTAIN = "hedge"


def _prefixed(prefix: str, value: Any) -> str:
    text = str(value)
    return text if text.startswith(prefix) else prefix + text


class ImaGenomeSource:
    """Iterates merged per-study `SceneGraph | Rejected` over a folder of ImaGenome JSON.
    The ontology (default: the configured one) gives each observation its subcategories and
    parent findings, and the indication its answer from the study's observations."""

    def __init__(self, path: Path, onto: Any = None):
        self._onto = onto
        if not path.is_dir():
            raise IngestError(f"{path}: not a folder of *{SUFFIX} files")
        self.path = path
        files = sorted(path.rglob("*" + SUFFIX))
        if not files:
            raise IngestError(f"{path}: no *{SUFFIX} files found")
        # Pass 1: which files belong to which study (read from the top of each file).
        self._studies: dict[str, list[Path]] = defaultdict(list)
        self._unknown: list[Path] = []
        for file in files:
            with file.open("rb") as fh:
                m = _STUDY_ID.search(fh.read(4096))
            if m:
                self._studies[m.group(1).decode()].append(file)
            else:
                self._unknown.append(file)

    def count(self) -> int:
        return len(self._studies) + len(self._unknown)

    def __iter__(self) -> Iterator[SceneGraph | Rejected]:
        for file in self._unknown:
            yield Rejected(file=str(file), field="study_id", reason="no study_id found in the file")
        for study, files in self._studies.items():
            try:
                yield self._study(study, files)
            except Exception as exc:  # noqa: BLE001 - one study must not end the run
                yield internal_error(str(files[0]), _prefixed("s", study), exc)

    def _study(self, study: str, files: list[Path]) -> SceneGraph | Rejected:
        study_id = _prefixed("s", study)
        images: list[dict[str, Any]] = []
        image_files: dict[str, Path] = {}
        for file in files:
            try:
                data = parse_json(read_file(file))
            except Unreadable as exc:
                return Rejected(file=str(file), study_id=study_id, reason=str(exc))
            if not isinstance(data, dict):
                return Rejected(file=str(file), study_id=study_id, reason="not a JSON object")
            problem = hostile_value(data)
            if problem is not None:
                return Rejected(
                    file=str(file), study_id=study_id, field=problem.field, reason=problem.problem
                )
            for required in ("image_id", "patient_id", "study_id"):
                if required not in data:
                    return Rejected(
                        file=str(file), study_id=study_id, field=required, reason="field required"
                    )
            image_id = str(data["image_id"])
            if image_id in image_files:
                return Rejected(
                    file=str(file),
                    study_id=study_id,
                    field="image_id",
                    reason=f"image {image_id} is also described by {image_files[image_id]}",
                )
            image_files[image_id] = file
            images.append(data)
        try:
            sg = SceneGraph.model_validate(merge_images(images))
        except ValidationError as exc:
            return validation_rejection(exc, str(files[0]), study_id)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            return Rejected(
                file=str(files[0]),
                study_id=study_id,
                reason=f"unexpected ImaGenome structure: {exc!r}",
            )
        self._with_ontology(sg)
        return sg.with_origin(
            str(files[0]) if len(files) == 1 else f"{files[0]} (+{len(files) - 1})"
        )

    def _with_ontology(self, sg: SceneGraph) -> None:
        """Subcategories and parents of each observation's findings (ImaGenome gives only a
        category), and the indication's answer built from the observations (ImaGenome gives
        only the reason for the exam)."""
        from cxrkg.ingest.extract.concepts import Concepts
        from cxrkg.ingest.extract.indication import parse_indication
        from cxrkg.ingest.extract.indication_answer import indication
        from cxrkg.ingest.extract.lexicon import Lexicon
        from cxrkg.ingest.mapping import ConceptMapper

        if self._onto is None:
            from cxrkg.ontology import load_ontology

            self._onto = load_ontology()
            self._concepts = Concepts(self._onto)
            self._lexicon = Lexicon.from_ontology(self._onto)
            self._mapper = ConceptMapper(self._onto, use_embeddings=False)
        elif not hasattr(self, "_concepts"):
            self._concepts = Concepts(self._onto)
            self._lexicon = Lexicon.from_ontology(self._onto)
            self._mapper = ConceptMapper(self._onto, use_embeddings=False)
        c = self._concepts
        for o in sg.observations.values():
            found = [x for x in (c.finding(e) for e in o.obs_entities) if x is not None]
            o.obs_subcategories = list(dict.fromkeys(sc for x in found for sc in x.subcategories))
            o.obs_entities_parents = list(
                dict.fromkeys(
                    a for e in o.obs_entities for a in c.ancestors(e) if a not in o.obs_entities
                )
            )
        reason = sg.reason_for_exam
        raw = parse_indication(reason, self._lexicon) if reason else None
        if raw is None:
            return
        sent_by_obs: dict[str, list[str]] = {}
        for rel in sg.obs_sent_relations:
            sent_by_obs.setdefault(rel.observation_id, []).append(rel.sentence_id)
        ind = indication(raw, sg.observations, sent_by_obs, c, self._mapper)
        if ind is not None:
            ind.indication_summary = ind.indication_summary or reason
            sg.indication = ind
            answer = ind.answer_for_indication
            if answer is not None:
                for r in answer.regions:
                    if r.region in sg.regions:
                        sg.located_at_relations.append(
                            LocatedAt(
                                region=r.region,
                                observation_id="OIND",
                                distances=[],
                                where_specified="direct",
                            )
                        )


def _box(obj: dict[str, Any]) -> list[float] | None:
    coords = [obj.get(f"original_{k}") for k in ("x1", "y1", "x2", "y2")]
    if any(c is None for c in coords):
        return None
    return [float(c) for c in coords]


def _laterality(region: str) -> str | None:
    first = region.split()[0] if region else ""
    return first if first in ("left", "right") else None


def merge_images(images: list[dict[str, Any]]) -> dict[str, Any]:
    """The SceneGraph dict of one study from its per-image ImaGenome scene graphs."""
    first = images[0]
    study_id = _prefixed("s", first["study_id"])
    patient_id = _prefixed("p", first["patient_id"])
    img_meta: dict[str, dict[str, Any]] = {}
    objects: list[dict[str, Any]] = []
    attributes: list[dict[str, Any]] = []
    comparisons: dict[str, dict[str, Any]] = {}
    boxes: dict[str, dict[str, list[list[float]]]] = defaultdict(dict)  # region -> image -> boxes
    for img in images:
        image_id = str(img["image_id"])
        img_meta[image_id] = {"image_id": image_id, "view_position": img.get("viewpoint")}
        for obj in img.get("objects", []):
            objects.append({**obj, "image_id": image_id})
            box = _box(obj)
            if box is not None:
                boxes[obj["bbox_name"]].setdefault(image_id, []).append(box)
        for att in img.get("attributes", []):
            attributes.append({**att, "image_id": image_id})
        for rel in img.get("relationships", []):
            comparisons.setdefault(rel["relationship_id"], rel)

    sentences: dict[str, dict[str, Any]] = {}
    # One observation per (phrase, relation): the labels a phrase asserts together ("left
    # basilar opacity likely reflects atelectasis": lung opacity, atelectasis) are one
    # observation with several entities, located at every object naming it; one answer
    # per phrase, not one per label.
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for att in attributes:
        region = att["bbox_name"]
        for i, phrase in enumerate(att.get("phrases", [])):
            pid = att["phrase_IDs"][i] if i < len(att.get("phrase_IDs", [])) else f"{study_id}|{i}"
            sent_id = f"S{pid.rsplit('|', 1)[-1]}"
            sentences.setdefault(
                sent_id,
                {
                    "sent_id": sent_id,
                    "sentence": phrase,
                    "section": (att.get("sections") or [None] * (i + 1))[i],
                    "section_type": (att.get("sections") or [None] * (i + 1))[i],
                },
            )
            labels = att["attributes"][i] if i < len(att.get("attributes", [])) else []
            cues = {
                k: (att.get(f"{k}_cues") or [[]] * (i + 1))[i]
                for k in ("comparison", "temporal", "severity", "texture")
            }
            for label_text in labels:
                category, relation, label = label_text.split("|", 2)
                key = (sent_id, relation)
                obs = found.get(key)
                if obs is None:
                    obs = found[key] = _observation(label, category, relation, phrase, cues)
                    obs["_sent"] = sent_id
                elif label not in obs["obs_entities"]:
                    _add_label(obs, label, category, relation == "yes")
                if region not in obs["_regions"]:
                    obs["_regions"].append(region)

    observations: dict[str, dict[str, Any]] = {}
    located, obs_sent = [], []
    for n, obs in enumerate(found.values(), start=1):
        oid = f"O{n:02d}"
        regions = obs.pop("_regions")
        sent_id = obs.pop("_sent")
        loc = {}
        for image_id in img_meta:
            region_boxes = [b for r in regions for b in boxes.get(r, {}).get(image_id, [])]
            missing = [r for r in regions if image_id not in boxes.get(r, {})]
            if region_boxes:
                loc[image_id] = {
                    "image_id": image_id,
                    "localization_reference_ids": [r for r in regions if r not in missing],
                    "bboxes": region_boxes,
                    "missing_localization": missing,
                    "is_fallback": False,
                    "localization_quality": "INCOMPLETE_LOCALIZATION"
                    if missing
                    else "BBOX_LOCALIZATION",
                }
        obs.update(
            {
                "obs_id": oid,
                "regions": [{"region": r, "distances": []} for r in regions],
                "laterality": _side(regions),
                "localization": loc,
            }
        )
        obs["obs_quality"]["localization_quality"] = (
            "NO_LOCALIZATION"
            if not loc
            else min(
                (v["localization_quality"] for v in loc.values()),
                key=["INCOMPLETE_LOCALIZATION", "BBOX_LOCALIZATION"].index,
            )
        )
        observations[oid] = obs
        located += [
            {"region": r, "observation_id": oid, "distances": [], "where_specified": "direct"}
            for r in regions
        ]
        obs_sent.append({"observation_id": oid, "sentence_id": sent_id})

    region_names = sorted(
        set(boxes)
        | {a["bbox_name"] for a in attributes}
        | {r["region"] for o in observations.values() for r in o["regions"]}
    )
    regions = {}
    for name in region_names:
        loc = {
            image_id: {
                "image_id": image_id,
                "localization_reference_ids": [name],
                "bboxes": b,
                "instance_mask_ids": [],
                "is_fallback": False,
                "localization_quality": "BBOX_LOCALIZATION",
            }
            for image_id, b in boxes.get(name, {}).items()
        }
        regions[name] = {
            "region": name,
            "laterality": _laterality(name),
            "localization": loc,
            "region_localization_quality": "BBOX_LOCALIZATION" if loc else "NO_LOCALIZATION",
        }

    reason = first.get("reason_for_exam")
    return {
        "patient_id": patient_id,
        "study_id": study_id,
        "source": "imagenome",
        "sentences": sentences,
        "observations": observations,
        "top_level_obs_ids": list(observations),
        "regions": regions,
        "located_at_relations": located,
        "obs_sent_relations": obs_sent,
        "indication": {"indication_summary": reason, "indication": reason} if reason else None,
        "images": img_meta,
        "image_objects": objects,
        "attribute_relations": attributes,
        "comparison_relations": list(comparisons.values()),
        "study_order": first.get("StudyOrder"),
        "study_datetime": first.get("StudyDateTime"),
        "gender": first.get("gender"),
        "age_decile": first.get("age_decile"),
        "reason_for_exam": reason,
        "study_quality": _study_quality(observations),
    }


def _side(regions: list[str]) -> str | None:
    sides = {_laterality(r) for r in regions} - {None}
    return "bilateral" if len(sides) == 2 else (sides.pop() if sides else None)


def _observation(
    label: str, category: str, relation: str, phrase: str, cues: dict[str, list[str]]
) -> dict[str, Any]:
    positive = relation == "yes"
    hedged = _SEVERITY_UNCERTAIN in cues["severity"]
    probability = ("possible" if hedged else "positive") if positive else "negative"
    changes = [c.rsplit("|", 1)[-1] for c in cues["comparison"]]
    return {
        "name": label if positive else f"no {label}",
        "summary_sentence": phrase,
        "obs_entities": [label],
        "obs_categories": [CATEGORY.get(category, category.upper())],
        "probability": probability,
        "certainty": "uncertain" if hedged and positive else "certain",
        "positiveness": "pos" if positive else "neg",
        "modifiers": {
            "temporal": list(cues["temporal"]),
            "severity": [c for c in cues["severity"] if c != _SEVERITY_UNCERTAIN],
            "texture": list(cues["texture"]),
            "spread": [],
        },
        "changes": changes,
        "change_sentence": phrase if changes else None,
        "from_report": True,
        "obs_quality": {
            "region_quality": "RESOLVED_REGIONS_ONLY",
            "entity_quality": "RESOLVED_ENTITIES_ONLY",
            # ImaGenome keeps the raw phrase: where it states a change, the change
            # is still in the sentence, which QBA grades CHANGE_IN_SENTENCE_OR_NAME.
            "sentence_name_quality": "CHANGE_IN_SENTENCE_OR_NAME" if changes else "NO_ISSUES",
            "change_quality": "NO_ISSUES",
            "issue_level": "NO_ISSUES",
        },
        "_regions": [],
    }


def _add_label(obs: dict[str, Any], label: str, category: str, positive: bool) -> None:
    """Another label of the same phrase and relation joins its observation."""
    obs["obs_entities"].append(label)
    cat = CATEGORY.get(category, category.upper())
    if cat not in obs["obs_categories"]:
        obs["obs_categories"].append(cat)
    names = " and ".join(obs["obs_entities"]) if positive else " or ".join(obs["obs_entities"])
    obs["name"] = names if positive else f"no {names}"


def _study_quality(observations: dict[str, dict[str, Any]]) -> dict[str, str]:
    if not observations:
        return {"entity_quality": "NO_ENTITIES", "region_quality": "NO_REGIONS"}
    loc = [o["obs_quality"]["localization_quality"] for o in observations.values()]
    order = ["NO_LOCALIZATION", "INCOMPLETE_LOCALIZATION", "BBOX_LOCALIZATION"]
    return {
        "region_quality": "RESOLVED_REGIONS_ONLY",
        "entity_quality": "RESOLVED_ENTITIES_ONLY",
        "sentence_name_quality": "NO_ISSUES",
        "change_quality": "NO_ISSUES",
        "issue_level": "NO_ISSUES",
        "localization_quality": min(loc, key=order.index),
    }
