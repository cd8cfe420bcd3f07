"""QA made in Python from scene-graph JSON, without a database: the baseline of
bench/qa_generation.py.

It computes, from parsed SceneGraph objects and the ontology, the same rows the named
queries in cypher/qa/ return from the graph (the graph is built by the same row builder the
loader uses, `ingest.graph_rows.study_rows`, and ingest mirrors the ontology, so both sides
see the same facts), then hands them to the same answer assembly (`qa_gen.generate.
study_questions`). The benchmark refuses to print a figure unless both sides give identical
questions, so this file is also an executable second reading of what each query decides.
Chest ImaGenome region comparisons (E02) are not mirrored: the benchmark's graphs have none.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from typing import Any

from cxrkg.ingest.graph_rows import study_rows
from cxrkg.ingest.model import SceneGraph
from cxrkg.qa_gen.generate import gc_paused, study_questions
from cxrkg.qa_gen.model import Question
from cxrkg.qa_gen.sampling import SamplingWeights, study_targets
from cxrkg.qa_gen.scopes import family_params
from cxrkg.qa_gen.study_data import StudyData

DEFINITE = ("certain", "likely")
OBS_KEYS = (
    "obs_id",
    "name",
    "summary_sentence",
    "laterality",
    "regions",
    "entities",
    "entities_parents",
    "categories",
    "subcategories",
    "certainty",
    "positiveness",
    "modifiers",
    "from_report",
    "q_region_quality",
    "q_entity_quality",
    "q_sentence_name_quality",
    "q_change_quality",
    "q_issue_level",
    "q_localization_quality",
)
STUDY_KEYS = (
    "patient_id",
    "top_level_obs_ids",
    "grade",
    "num_observations",
    "split",
    "study_datetime",
    "metadata_json",
    "extra_json",
    "q_region_quality",
    "q_entity_quality",
    "q_sentence_name_quality",
    "q_change_quality",
    "q_issue_level",
    "q_localization_quality",
)
LOC_KEYS = (
    "bboxes_flat",
    "localization_reference_ids",
    "instance_mask_ids",
    "missing_localization",
    "is_fallback",
    "localization_quality",
)


def _outside(obs: dict, located: dict, sub: list[str], where: list[str]) -> list[str]:
    return [oid for oid in obs if oid not in sub and any(loc in where for loc in located[oid])]


def _uniq(items: Any) -> list[Any]:
    return list(dict.fromkeys(items))


class Onto:
    """The ontology relations the graph mirrors (PART_OF, SUBCLASS_OF, IS_A, HAS_ENTITY)."""

    def __init__(self, onto: Any) -> None:
        self.onto = onto
        self._up: dict[tuple[str, str], list[str]] = {}

    def up(self, name: str, kind: str) -> list[str]:
        """Strict ancestors, or [] when the ontology has no concept of that exact name."""
        key = (name, kind)
        if key not in self._up:
            pool = self.onto.findings if kind == "finding" else self.onto.regions
            self._up[key] = list(self.onto.ancestors(name)) if name in pool else []
        return self._up[key]

    def down(self, name: str) -> list[str]:
        """Strict descendant regions (PART_OF*1.. inwards), or [] for an unknown region."""
        key = (name, "below")
        if key not in self._up:
            known = name in self.onto.regions
            self._up[key] = list(self.onto.descendants(name)) if known else []
        return self._up[key]

    def known(self, name: str, kind: str) -> bool:
        return name in (self.onto.findings if kind == "finding" else self.onto.regions)

    def is_device(self, name: str) -> bool:
        c = self.onto.findings.get(name)
        return bool(c and c.is_device)


class PyStudy:
    """One scene graph as the graph holds it: the loader's rows, indexed."""

    def __init__(self, sg: SceneGraph, onto: Onto):
        self.sg = sg
        rows = study_rows(sg)
        self.study = rows["studies"][0]["props"]
        self.obs = {r["props"]["obs_id"]: r["props"] for r in rows["observations"]}
        self.oind = rows["indications"][0]["answer"] if rows["indications"] else None
        self.indication = rows["indications"][0]["props"] if rows["indications"] else None
        self.images = [r["props"] for r in rows["images"]]
        self.region_props = {r["props"]["region"]: r["props"] for r in rows["regions"]}
        sid = sg.study_id
        local = len(sid) + 1
        self.loc: dict[str, list[dict[str, Any]]] = defaultdict(list)  # obs key -> boxes
        for r in rows["obs_loc"]:
            self.loc[r["key"][local:]].append({"image_id": r["image_id"], **r["props"]})
        self.region_loc: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in rows["region_loc"]:
            self.region_loc[r["key"][local:]].append({"image_id": r["image_id"], **r["props"]})
        self.children: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in rows["children"]:
            self.children[r["parent"][local:]].append(
                {"obs_id": r["child"][local:], "child_type": r["props"].get("child_type")}
            )
        self.located: dict[str, list[str]] = defaultdict(list)  # obs -> regions
        self.stated: dict[str, set[str]] = defaultdict(set)  # obs -> regions the report states
        for r in rows["located_at"]:
            self.located[r["obs"][local:]].append(r["region"][local:])
            if r["props"].get("where_specified", "direct") != "default":
                self.stated[r["obs"][local:]].add(r["region"][local:])
        self.sub_of: dict[str, list[str]] = defaultdict(list)  # region -> study parents
        for r in rows["sub_region_of"]:
            self.sub_of[r["from"][local:]].append(r["to"][local:])
        self.side: dict[str, list[str]] = defaultdict(list)
        for kind in ("left_of", "right_of"):
            for r in rows[kind]:
                a, b = r["from"][local:], r["to"][local:]
                self.side[a].append(b)
                self.side[b].append(a)
        self.o = onto

    def up(self, region: str) -> list[str]:
        """SUB_REGION_OF*1.. within the study."""
        out: list[str] = []
        todo = list(self.sub_of.get(region, []))
        while todo:
            r = todo.pop(0)
            if r not in out:
                out.append(r)
                todo.extend(self.sub_of.get(r, []))
        return out

    def onto_regions(self, region: str) -> list[str]:
        """IS_A -> PART_OF*0.. : the region's anatomy and its ancestors."""
        if not self.o.known(region, "region"):
            return []
        return [region, *self.o.up(region, "region")]


def _pos(o: dict[str, Any], normal: list[str]) -> bool:
    ents = o.get("entities") or []
    return o.get("positiveness") == "pos" and not (ents and all(e in normal for e in ents))


def _uncertain(o: dict[str, Any]) -> bool:
    return (o.get("certainty") or "certain") not in DEFINITE


def _cats(o: dict[str, Any]) -> list[str]:
    return o.get("categories") or []


def study_data(ps: PyStudy, previous_id: str | None) -> StudyData:
    study = {k: ps.study.get(k) for k in STUDY_KEYS}
    ind = ps.indication
    sd = StudyData(
        ps.sg.study_id,
        ps.study.get("patient_id") or "",
        study,
        sorted(
            (
                {
                    k: i.get(k)
                    for k in (
                        "image_id",
                        "view_position",
                        "patient_orientation",
                        "width",
                        "height",
                        "is_frontal",
                        "localization_quality",
                    )
                }
                for i in ps.images
            ),
            key=lambda i: i.get("image_id") or "",
        ),
        {k: ind.get(k) for k in ("summary", "indication", "evaluation")} if ind else None,
        previous_id,
    )
    every = dict(ps.obs)
    if ps.oind is not None:
        every[ps.oind["obs_id"]] = ps.oind
    for oid, props in every.items():
        sd.obs[oid] = {
            "study_id": ps.sg.study_id,
            "obs_id": oid,
            "obs": {k: props.get(k) for k in OBS_KEYS},
            "children": sorted(ps.children.get(oid, []), key=lambda c: c["obs_id"]),
            "localization": sorted(
                (
                    {"image_id": x["image_id"], **{k: x.get(k) for k in LOC_KEYS}}
                    for x in ps.loc[oid]
                ),
                key=lambda x: x["image_id"],
            ),
        }
        for child in sd.obs[oid]["children"]:
            sd.parent_of.setdefault(child["obs_id"], oid)
    for name, props in ps.region_props.items():
        sd.regions[name] = {
            "study_id": ps.sg.study_id,
            "region": name,
            "laterality": props.get("laterality"),
            "localization": sorted(
                (
                    {"image_id": x["image_id"], **{k: x.get(k) for k in LOC_KEYS}}
                    for x in ps.region_loc[name]
                ),
                key=lambda x: x["image_id"],
            ),
        }
    return sd


def mentions(ps: PyStudy) -> dict[str, Any]:
    located = [r for o in ps.obs for r in ps.located.get(o, [])]
    return {
        "study_id": ps.sg.study_id,
        "regions": located,
        "region_parents": [p for r in located for p in ps.up(r)],
        "region_ontology_parents": [a for r in located for a in ps.o.up(r, "region")],
        "entities": [o.get("entities") or [] for o in ps.obs.values()],
        "entity_parents": [o.get("entities_parents") or [] for o in ps.obs.values()],
        "entity_ontology_parents": [
            a
            for o in ps.obs.values()
            for e in _uniq(o.get("entities") or [])
            if ps.o.known(e, "finding")
            for a in ps.o.up(e, "finding")
        ],
    }


def _classify(ids: list[str], obs: dict[str, dict[str, Any]], p: dict[str, Any]) -> dict[str, Any]:
    normal = p["normal_entities"]
    pos = [i for i in ids if _pos(obs[i], normal)]
    return {
        "pos_ids": pos,
        "definite_pos_ids": [i for i in pos if obs[i].get("certainty") in DEFINITE],
        "uncertain_ids": [i for i in ids if _uncertain(obs[i])],
    }


def _neutral(o: dict[str, Any], p: dict[str, Any]) -> bool:
    subs = o.get("subcategories") or []
    return bool(subs) and all(s in p["neutral_subcategories"] for s in subs)


def _other(o: dict[str, Any], p: dict[str, Any]) -> bool:
    cats = _cats(o)
    return any(
        c in p["device_categories"] or c in p["acquisition_categories"] for c in cats
    ) or _neutral(o, p)


def rows_a(ps: PyStudy) -> list[dict[str, Any]]:
    if ps.indication is None or ps.oind is None:
        return []
    ind = ps.indication
    return [
        {
            "summary": ind.get("summary"),
            "indication": ind.get("indication"),
            "evaluation": ind.get("evaluation"),
            "answer_obs_id": ps.oind["obs_id"],
            "associated_obs_ids": [o for o in ind.get("associated_obs_ids") or [] if o in ps.obs],
        }
    ]


def rows_b(ps: PyStudy, p: dict[str, Any]) -> list[dict[str, Any]]:
    obs = ps.obs
    scopes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for oid, o in obs.items():
        device = any(c in p["device_categories"] for c in _cats(o))
        keys = [("all", "")]
        if not device:
            keys += [
                ("subcat", s)
                for s in o.get("subcategories") or []
                if s not in p["skipped_subcategories"]
            ]
        else:
            keys.append(("device", ""))
            keys += [
                ("device_subcat", s)
                for s in o.get("subcategories") or []
                if s in p["device_subcategories"]
            ]
        if any(c in p["acquisition_categories"] for c in _cats(o)):
            keys.append(("acquisition", ""))
        if any(
            e in p["artifact_entities"]
            for e in (o.get("entities") or []) + (o.get("entities_parents") or [])
        ):
            keys.append(("artifacts", ""))
        for key in keys:  # an observation counts once per scope row, as collect() does
            scopes[key].append(oid)
    out = []
    for (kind, value), ids in scopes.items():
        abn = [i for i in ids if not _other(obs[i], p)]
        cls, acls = _classify(ids, obs, p), _classify(abn, obs, p)
        out.append(
            {
                "kind": kind,
                "value": value,
                "obs_ids": ids,
                **cls,
                "abn_ids": abn,
                **{f"abn_{k}": v for k, v in acls.items()},
            }
        )
    return out


def rows_c(ps: PyStudy, p: dict[str, Any], targets: list[str]) -> list[dict[str, Any]]:
    obs = ps.obs
    regs = {
        r: {"up": ps.up(r), "onto": ps.onto_regions(r), "side": ps.side.get(r, [])}
        for r in ps.region_props
    }
    located = {oid: ps.located.get(oid, []) for oid in obs}
    normal = p["normal_entities"]

    def dev(o: dict[str, Any]) -> bool:
        return any(c in p["device_categories"] for c in _cats(o))

    def stmt(o: dict[str, Any]) -> bool:
        return (
            o.get("positiveness") == "neg"
            and o.get("certainty") == "certain"
            and any(e in p["normal_statement_entities"] for e in o.get("entities") or [])
        )

    study_devices = [oid for oid, o in obs.items() if dev(o)]
    spans = p["device_spans"]
    gaps = set(p["normal_statement_gaps"])

    def reachable(name: str) -> list[str]:
        """The study's present or uncertain devices that may lie in the region."""
        known = ps.o.known(name, "region")
        near = {name, *ps.o.up(name, "region"), *ps.o.down(name)} if known else set()
        out = []
        for oid in study_devices:
            o = obs[oid]
            subs = o.get("subcategories") or []
            if not (o.get("positiveness") == "pos" or _uncertain(o)):
                continue
            if (
                not known
                or not any(sc in spans for sc in subs)
                or any(sc in p["device_subcategories"] and sc not in spans for sc in subs)
                or any(sc in spans and any(r in near for r in spans[sc]) for sc in subs)
            ):
                out.append(oid)
        return out

    out = []
    for name in targets:
        own = name in regs
        inside = [r for r, v in regs.items() if r == name or name in v["up"] or name in v["onto"]]
        above = _uniq(
            [
                *(ps.o.up(name, "region") if ps.o.known(name, "region") else []),
                *(regs[name]["up"] if own else []),
            ]
        )
        sides = regs[name]["side"] if own else []
        other_side = [r for r, v in regs.items() if r in sides or any(u in sides for u in v["up"])]
        sub = [oid for oid in obs if any(loc in inside for loc in located[oid])]
        abn = [i for i in sub if not _neutral(obs[i], p) and not _other(obs[i], p)]
        cls, acls = _classify(sub, obs, p), _classify(abn, obs, p)
        devices = [i for i in sub if dev(obs[i])]

        in_above = _outside(obs, located, sub, above)
        out.append(
            {
                "region": name,
                "in_study": own,
                "sub_ids": sub,
                **cls,
                "abn_ids": abn,
                **{f"abn_{k}": v for k, v in acls.items()},
                "device_ids": devices,
                "definite_device_ids": [
                    i
                    for i in devices
                    if _pos(obs[i], normal) and obs[i].get("certainty") in DEFINITE
                ],
                "parent_region_ids": in_above if sub else [],
                "normal_above_ids": []
                if name in gaps or any(a in gaps for a in above)
                else [i for i in in_above if stmt(obs[i])],
                "open_above_ids": [
                    i
                    for i in in_above
                    if not _neutral(obs[i], p)
                    and not _other(obs[i], p)
                    and (_pos(obs[i], normal) or _uncertain(obs[i]))
                ],
                "other_side_ids": _outside(obs, located, sub, other_side) if sub else [],
                "study_device_ids": study_devices,
                "reachable_device_ids": reachable(name),
            }
        )
    return out


def rows_d(
    ps: PyStudy, p: dict[str, Any], targets: list[str], infer_absent: bool
) -> list[dict[str, Any]]:
    obs = {oid: ps.obs[oid] for oid in sorted(ps.obs)}
    normal = p["normal_entities"]
    view = {}
    for oid, o in obs.items():
        ents = o.get("entities") or []
        linked = [e for e in _uniq(ents) if ps.o.known(e, "finding")]
        view[oid] = {
            "entities": ents,
            "parents": o.get("entities_parents") or [],
            "linked": linked,
            "onto_up": [a for e in linked for a in ps.o.up(e, "finding")],
            "pos": _pos(o, normal),
        }
    out = []
    for f in targets:
        onto_anc = ps.o.up(f, "finding") if ps.o.known(f, "finding") else []
        matched = [
            oid
            for oid, v in view.items()
            if f in v["entities"] or f in v["parents"] or f in v["onto_up"]
        ]
        direct = [oid for oid in matched if f in view[oid]["entities"]]
        named_parents = _uniq(p2 for oid in matched for p2 in view[oid]["parents"] if p2 != f)
        matched_regions = _uniq(r for oid in matched for r in obs[oid].get("regions") or [])
        anc = [
            oid
            for oid, v in view.items()
            if any(e in onto_anc for e in v["entities"] + v["linked"])
        ]
        parent_ids = [
            oid
            for oid, v in view.items()
            if oid not in matched
            and any(e in named_parents or e in onto_anc for e in v["entities"])
        ]
        same_region = [
            oid
            for oid, v in view.items()
            if oid not in matched
            and v["pos"]
            and any(r in matched_regions for r in obs[oid].get("regions") or [])
        ]
        definite = [
            oid for oid in matched if view[oid]["pos"] and obs[oid].get("certainty") in DEFINITE
        ]
        severities = _uniq(
            m[9:]
            for oid in definite
            for m in obs[oid].get("modifiers") or []
            if m.startswith("severity:")
        )
        negated = (
            anc
            if infer_absent
            and anc
            and all(
                obs[oid].get("positiveness") == "neg" and obs[oid].get("certainty") == "certain"
                for oid in anc
            )
            else []
        )
        out.append(
            {
                "finding": f,
                "obs_ids": matched,
                "direct_ids": direct,
                "pos_ids": [oid for oid in matched if view[oid]["pos"]],
                "definite_pos_ids": definite,
                "definite_regions": _uniq(
                    r for oid in definite for r in obs[oid].get("regions") or []
                ),
                "definite_stated_regions": _uniq(
                    r
                    for oid in definite
                    for r in obs[oid].get("regions") or []
                    if r in ps.stated.get(oid, ())
                ),
                "severities": severities,
                "uncertain_ids": [oid for oid in matched if _uncertain(obs[oid])],
                "negated_ancestor_ids": negated,
                "is_device": ps.o.is_device(f)
                or any(any(c in p["device_categories"] for c in _cats(obs[o])) for o in direct),
                "is_acquisition": bool(matched)
                and all(
                    any(c in p["acquisition_categories"] for c in _cats(obs[o]))
                    and not any(
                        e in p["artifact_entities"]
                        for e in view[o]["entities"] + view[o]["parents"]
                    )
                    for o in matched
                ),
                "same_region_ids": [o for o in same_region if o not in parent_ids],
                "parent_finding_ids": parent_ids,
            }
        )
    return out


def rows_e(ps: PyStudy, prev: PyStudy | None) -> list[dict[str, Any]]:
    if prev is None:
        return []
    cur = [o for o in ps.obs.values() if o.get("top_level")]
    prv = [o for o in prev.obs.values() if o.get("top_level")]
    names = _uniq(e for o in cur + prv for e in o.get("entities") or [])
    out = []
    for f in names:
        c = [o for o in cur if f in (o.get("entities") or [])]
        q = [o for o in prv if f in (o.get("entities") or [])]

        def split(xs: list[dict[str, Any]]) -> dict[str, list[str]]:
            pos = [x for x in xs if x.get("positiveness") == "pos"]
            return {
                "ids": [x["obs_id"] for x in xs],
                "pos_ids": [x["obs_id"] for x in pos],
                "definite_pos_ids": [x["obs_id"] for x in pos if x.get("certainty") in DEFINITE],
                "uncertain_ids": [x["obs_id"] for x in xs if _uncertain(x)],
            }

        cs, ps_ = split(c), split(q)
        out.append(
            {
                "kind": "finding",
                "name": f,
                "previous_study_id": prev.sg.study_id,
                "cur_ids": cs["ids"],
                "cur_pos_ids": cs["pos_ids"],
                "cur_definite_pos_ids": cs["definite_pos_ids"],
                "cur_uncertain_ids": cs["uncertain_ids"],
                "cur_changes": [ch for x in c for ch in x.get("changes") or []],
                "prev_ids": ps_["ids"],
                "prev_pos_ids": ps_["pos_ids"],
                "prev_definite_pos_ids": ps_["definite_pos_ids"],
                "prev_uncertain_ids": ps_["uncertain_ids"],
                "changes": [],
                "phrase": None,
            }
        )
    return out


def sampling_weights(studies: dict[str, PyStudy]) -> SamplingWeights:
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for ps in studies.values():
        for o in ps.obs.values():
            pol = o.get("positiveness")
            if pol in ("pos", "neg"):
                col = 0 if pol == "pos" else 1
                for r in o.get("regions") or []:
                    counts[("region", r)][col] += 1
                for e in o.get("entities") or []:
                    counts[("finding", e)][col] += 1
    return SamplingWeights.from_counts(
        [{"kind": k, "name": n, "positive": v[0], "negative": v[1]} for (k, n), v in counts.items()]
    )


def previous_studies(graphs: list[SceneGraph]) -> dict[str, str]:
    """NEXT_STUDY as the loader links it: per patient by study order, date, then id."""
    by_patient: dict[str, list[SceneGraph]] = defaultdict(list)
    for sg in graphs:
        by_patient[sg.patient_id].append(sg)
    previous: dict[str, str] = {}
    for chain in by_patient.values():
        chain.sort(key=lambda g: (g.study_order or 0, g.study_datetime or "", g.study_id))
        for a, b in zip(chain, chain[1:], strict=False):
            previous[b.study_id] = a.study_id
    return previous


def python_qa(
    graphs: list[SceneGraph], onto: Any, seed: int = 0, infer_absent: bool = True
) -> dict[str, list[Question]]:
    """Every study's questions made from the scene graphs and the ontology alone (with the
    garbage collector paused and what was made frozen, as the Cypher path does per batch)."""
    freeze = gc.get_freeze_count() == 0
    with gc_paused(freeze=freeze):
        out = _python_qa(graphs, onto, seed, infer_absent)
    if freeze:
        gc.unfreeze()
    return out


def _python_qa(
    graphs: list[SceneGraph], onto: Any, seed: int, infer_absent: bool
) -> dict[str, list[Question]]:
    o = Onto(onto)
    p = family_params()
    studies = {sg.study_id: PyStudy(sg, o) for sg in graphs}
    weights = sampling_weights(studies)
    previous = previous_studies(graphs)
    datas: dict[str, StudyData] = {}
    out: dict[str, list[Question]] = {}
    for sid, ps in studies.items():
        prev_id = previous.get(sid)
        targets = study_targets(mentions(ps), weights, seed)
        prev = studies.get(prev_id) if prev_id else None
        rows = {
            "a": rows_a(ps),
            "b": rows_b(ps, p),
            "c": rows_c(ps, p, targets.regions),
            "d": rows_d(ps, p, targets.findings, infer_absent),
            "e": rows_e(ps, prev),
        }
        sd = datas.setdefault(sid, study_data(ps, prev_id))
        prev_sd = None
        if rows["e"] and prev is not None:
            prev_sd = datas.setdefault(prev_id, study_data(prev, previous.get(prev_id)))
        out[sid] = study_questions(sd, rows, seed, prev_sd)
    return out
