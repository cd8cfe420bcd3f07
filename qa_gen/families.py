"""Question families A–E: each turns the rows of its Cypher query into questions.

The queries decide which observations answer a question and how (positive, definite,
uncertain, related); this module only picks wordings and assembles the answer trees.
"""

from __future__ import annotations

from typing import Any

from cxrkg.ontology.values import CHANGE_DIRECTION
from cxrkg.qa_gen.answers import (
    DETAILS,
    MAIN,
    RELATED,
    not_mentioned,
    obs_answers,
    template_answer,
    top_level,
)
from cxrkg.qa_gen.sampling import DEVICE_REGIONS
from cxrkg.qa_gen.scopes import REPORTED_DEVICE_SUBCATEGORIES
from cxrkg.qa_gen.study_data import StudyData
from cxrkg.qa_gen.templates import (
    Wording,
    answer_text,
    concept_words,
    device_words,
    join_words,
    located_regions,
    question_text,
    region_words,
    subcategory_words,
)

STRATEGY = {
    "A": "indication",
    "B": "abnormal",
    "C": "region_abnormal",
    "D": "finding",
    "E": "longitudinal",
}
QUESTION_TYPES: tuple[str, ...] = (
    "A_indication",
    "B01_describe_all",
    "B02_describe_abnormal",
    "B03_is_abnormal",
    "B04_is_normal",
    "B08_describe_subcat",
    "B09_describe_abnormal_subcat",
    "B10_is_abnormal_subcat",
    "B11_is_normal_subcat",
    "B12_describe_device",
    "B13_has_devices",
    "B14_describe_acquisition",
    "B15_describe_imaging_artifacts",
    "B16_has_imaging_artifacts",
    "C01_describe_region",
    "C02_describe_abnormal_region",
    "C03_is_abnormal_region",
    "C04_is_normal_region",
    "C07_describe_region_device",
    "C08_has_region_device",
    "D01_describe_finding",
    "D02_has_finding",
    "D03_where_is_finding",
    "D04_how_severe_is_finding",
    "D05_describe_device",
    "D06_has_device",
    "D07_where_is_device",
    "E01_has_finding_changed",
    "E02_describe_region_change",
)


def question(
    sd: StudyData, qtype: str, variables: dict[str, Any], text: str, answers: list[dict[str, Any]]
) -> dict[str, Any]:
    """A question record in the qa.json layout (ids and grades are filled in later)."""
    return {
        "question_id": "",
        "question_type": qtype,
        "question_strategy": STRATEGY[qtype[0]],
        "variables": variables,
        "obs_ids": [],
        "contains_report_answers": False,
        "contains_template_answers": False,
        "extraction_quality": {},
        "question_img_localization_quality": {},
        "question": text,
        "answers": answers,
        "question_quality": {},
    }


def incomplete(q: dict[str, Any], sd: StudyData) -> dict[str, Any]:
    """A question answered "nothing there" while part of the report could not be read (a
    sentence that gave no observation may hold a finding the extractor missed): graded as
    the seed's INCOMPLETE_MISLEADING (C), so training sets filtered at B leave it out."""
    if sd.unread_sentences:
        q["question_quality"]["completeness"] = "INCOMPLETE_MISLEADING"
    return q


def _yes_no(
    row: dict[str, Any],
    ids: str = "obs_ids",
    pos: str = "pos_ids",
    definite: str = "definite_pos_ids",
    uncertain: str = "uncertain_ids",
) -> str | None:
    """'yes' if something is definitely positive, 'no' if everything is certainly negative,
    None when the graph cannot guarantee either (uncertain findings only)."""
    if row[definite]:
        return "yes"
    if row[ids] and not row[pos] and not row[uncertain]:
        return "no"
    return None


def _obs(sd: StudyData, obs_id: str) -> dict[str, Any]:
    """An observation's properties."""
    return sd.obs.get(obs_id, {}).get("obs") or {}


def _side(name: str) -> str | None:
    first = name.split(" ", 1)[0]
    return first if first in ("left", "right") else None


def _half_said(sd: StudyData, ids: list[str], regions: list[str] | None = None) -> bool:
    """Whether a "nothing there" rests on what the report says of one side only ("the left
    lung is clear"), while the question covers both: the other side went unsaid."""
    sides = set()
    for oid in ids:
        o = _obs(sd, oid)
        if o.get("from_report"):
            sides.add(o.get("laterality") if o.get("laterality") in ("left", "right") else None)
    if len(sides) != 1 or None in sides:
        return False
    (said,) = sides
    return not any(_side(r) == said for r in regions or [])


def _findings_only(row: dict[str, Any]) -> dict[str, Any]:
    """The row's abnormality view: devices and technique are neither abnormal nor normal."""
    return {
        **row,
        "obs_ids": row["abn_ids"],
        "pos_ids": row["abn_pos_ids"],
        "definite_pos_ids": row["abn_definite_pos_ids"],
        "uncertain_ids": row["abn_uncertain_ids"],
    }


def _yes_no_answers(
    sd: StudyData,
    qtype: str,
    verdict: str,
    fmt: dict[str, str],
    details: list[str],
    *,
    regions: list[str] | None = None,
    entities: list[str] | None = None,
    key: str | None = None,
) -> list[dict[str, Any]]:
    main = template_answer(
        answer_text(qtype, key or verdict, **fmt),
        MAIN,
        positiveness="pos" if verdict == "yes" else "neg",
        regions=regions,
        entities=entities,
        sd=sd,
    )
    return [main, *obs_answers(sd, details, DETAILS)]


# -- A: indication ---------------------------------------------------------------------
def indication_questions(sd: StudyData, row: dict[str, Any], rng: Wording) -> list[dict[str, Any]]:
    text = row["summary"] or " ".join(t for t in (row["indication"], row["evaluation"]) if t)
    if not text or row["answer_obs_id"] not in sd.obs:
        return []
    answers = obs_answers(sd, [row["answer_obs_id"]], MAIN)
    answers += obs_answers(
        sd,
        [o for o in row["associated_obs_ids"] if o in sd.obs],
        DETAILS,
        exclude={row["answer_obs_id"]},
    )
    return [
        question(
            sd,
            "A_indication",
            {"indication": text},
            question_text("A_indication", rng, indication=text),
            answers,
        )
    ]


# -- B: abnormal -----------------------------------------------------------------------
def _describe(
    sd: StudyData,
    qtype: str,
    variables: dict[str, Any],
    rng: Wording,
    ids: list[str],
    fmt: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    if not ids:
        return []
    return [
        question(
            sd,
            qtype,
            variables,
            question_text(qtype, rng, **(fmt or {})),
            obs_answers(sd, ids, MAIN),
        )
    ]


def _describe_abnormal(
    sd: StudyData,
    qtype: str,
    variables: dict[str, Any],
    rng: Wording,
    row: dict[str, Any],
    fmt: dict[str, str],
    related: list[dict[str, Any]] | None = None,
    regions: list[str] | None = None,
) -> list[dict[str, Any]]:
    if row["pos_ids"]:
        answers = obs_answers(sd, row["pos_ids"], MAIN)
    elif (
        row["obs_ids"]
        and not row["uncertain_ids"]
        and not row.get("open_above_ids")
        and not _half_said(sd, row["obs_ids"], regions)
    ):
        answers = [
            template_answer(
                answer_text(qtype, "none", **fmt), MAIN, positiveness="neg", regions=regions, sd=sd
            ),
            *obs_answers(sd, row["obs_ids"], DETAILS),
        ]
        none = question(
            sd, qtype, variables, question_text(qtype, rng, **fmt), answers + (related or [])
        )
        return [incomplete(none, sd)]
    else:
        return []
    return [
        question(sd, qtype, variables, question_text(qtype, rng, **fmt), answers + (related or []))
    ]


def _is_abnormal(
    sd: StudyData,
    qtype: str,
    variables: dict[str, Any],
    rng: Wording,
    row: dict[str, Any],
    fmt: dict[str, str],
    normal: bool,
    related: list[dict[str, Any]] | None = None,
    regions: list[str] | None = None,
) -> list[dict[str, Any]]:
    verdict = _yes_no(row)
    if verdict is None or (
        verdict == "no" and (row.get("open_above_ids") or _half_said(sd, row["obs_ids"], regions))
    ):
        # a finding in a broader region may lie here, or the report spoke of one side only:
        # the graph cannot say "no"
        return []
    details = row["pos_ids"] if verdict == "yes" else row["obs_ids"]
    # "nothing abnormal there", however asked: "Is X abnormal? No" and "Is X normal? Yes"
    absent = verdict == "no"
    if normal:  # "is normal" inverts the verdict, not the evidence
        verdict = "no" if verdict == "yes" else "yes"
    answers = _yes_no_answers(sd, qtype, verdict, fmt, details, regions=regions)
    if normal:
        answers[0]["positiveness"] = "neg" if verdict == "yes" else "pos"
    q = question(sd, qtype, variables, question_text(qtype, rng, **fmt), answers + (related or []))
    return [incomplete(q, sd) if absent else q]


def abnormal_questions(
    sd: StudyData, rows: list[dict[str, Any]], rng: Wording
) -> list[dict[str, Any]]:
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_kind.setdefault(row["kind"], []).append(row)
    out: list[dict[str, Any]] = []
    for row in by_kind.get("all", []):
        out += _describe(sd, "B01_describe_all", {}, rng, row["obs_ids"])
        study = _findings_only(row)
        if sd.judged_normal:
            # "No acute cardiopulmonary abnormality." judges the whole study: a hedged
            # negative beside it ("no large pleural effusion") leaves its own finding open,
            # not the study's verdict. A possible finding still does.
            study["uncertain_ids"] = [
                o for o in study["uncertain_ids"] if _obs(sd, o).get("positiveness") != "neg"
            ]
        out += _describe_abnormal(sd, "B02_describe_abnormal", {}, rng, study, {})
        out += _is_abnormal(sd, "B03_is_abnormal", {}, rng, study, {}, normal=False)
        out += _is_abnormal(sd, "B04_is_normal", {}, rng, study, {}, normal=True)
    for row in by_kind.get("subcat", []):
        var = {"subcategory": row["value"]}
        fmt = subcategory_words(row["value"])
        out += _describe(sd, "B08_describe_subcat", var, rng, row["obs_ids"], fmt)
        out += _describe_abnormal(
            sd, "B09_describe_abnormal_subcat", var, rng, _findings_only(row), fmt
        )
        out += _is_abnormal(
            sd, "B10_is_abnormal_subcat", var, rng, _findings_only(row), fmt, normal=False
        )
        out += _is_abnormal(
            sd, "B11_is_normal_subcat", var, rng, _findings_only(row), fmt, normal=True
        )
    devices = by_kind.get("device", [])
    for row in devices:
        out += _presence(
            sd, "B12_describe_device", "B13_has_devices", {}, device_words(None), rng, row
        )
    for row in by_kind.get("device_subcat", []):
        var = {"device_subcategory": row["value"]}
        out += _presence(
            sd, "B12_describe_device", "B13_has_devices", var, device_words(row["value"]), rng, row
        )
    if sd.names_its_devices:
        # a read report names every line, tube and device it sees: "No, no devices can be seen."
        named = {row["value"] for row in by_kind.get("device_subcat", [])}
        for sub in [None, *REPORTED_DEVICE_SUBCATEGORIES] if not devices else []:
            out += _absent(
                sd, "B12_describe_device", "B13_has_devices", device_words(sub), rng, sub
            )
        for sub in REPORTED_DEVICE_SUBCATEGORIES if devices else []:
            if sub not in named:
                out += _absent(
                    sd, "B12_describe_device", "B13_has_devices", device_words(sub), rng, sub
                )
    for row in by_kind.get("acquisition", []):
        out += _describe(sd, "B14_describe_acquisition", {}, rng, row["obs_ids"])
    artifacts = by_kind.get("artifacts", [])
    for row in artifacts:
        out += _describe_abnormal(sd, "B15_describe_imaging_artifacts", {}, rng, row, {})
        out += _presence(sd, None, "B16_has_imaging_artifacts", {}, {}, rng, row)
    if not artifacts and not by_kind.get("acquisition") and sd.read:
        # a report that remarks on technique ("underpenetrated", "limited by body habitus")
        # may be naming what a reader would call an artifact: no "no artifacts" for it
        out += _absent(
            sd, "B15_describe_imaging_artifacts", "B16_has_imaging_artifacts", {}, rng, None
        )
    return out


def _presence(
    sd: StudyData,
    describe: str | None,
    has: str,
    var: dict[str, Any],
    fmt: dict[str, str],
    rng: Wording,
    row: dict[str, Any],
) -> list[dict[str, Any]]:
    """Describe-and-has questions about what the study mentions (devices, artifacts)."""
    out = _describe(sd, describe, var, rng, row["obs_ids"], fmt) if describe else []
    verdict = _yes_no(row)
    if verdict:
        details = row["pos_ids"] if verdict == "yes" else row["obs_ids"]
        out.append(
            question(
                sd,
                has,
                var,
                question_text(has, rng, **fmt),
                _yes_no_answers(sd, has, verdict, fmt, details),
            )
        )
    return out


def _absent(
    sd: StudyData,
    describe: str,
    has: str,
    fmt: dict[str, str],
    rng: Wording,
    device_subcategory: str | None,
) -> list[dict[str, Any]]:
    """A read report that mentions none of them: template negatives graded as negatives the
    report does not state (ALIGNED_NEGATIVE_NOT_MENTIONED, A at best)."""
    var = {"device_subcategory": device_subcategory} if device_subcategory else {}
    none = template_answer(answer_text(describe, "none", **fmt), MAIN, positiveness="neg", sd=sd)
    no = template_answer(answer_text(has, "no", **fmt), MAIN, positiveness="neg", sd=sd)
    return [
        incomplete(
            question(sd, describe, var, question_text(describe, rng, **fmt), [not_mentioned(none)]),
            sd,
        ),
        incomplete(question(sd, has, var, question_text(has, rng, **fmt), [not_mentioned(no)]), sd),
    ]


# -- C: region -------------------------------------------------------------------------
def region_questions(
    sd: StudyData, rows: list[dict[str, Any]], rng: Wording
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for row in rows:
        region = row["region"]
        var, fmt = {"region": region}, region_words(region)
        row = {**row, "obs_ids": row["sub_ids"]}
        main_ids = set(top_level(sd, row["sub_ids"]))
        related_ids = [
            o for o in row["parent_region_ids"] + row["other_side_ids"] if o not in row["sub_ids"]
        ]

        def related(
            main: set[str] = main_ids, ids: list[str] = related_ids
        ) -> list[dict[str, Any]]:
            return obs_answers(sd, ids, RELATED, exclude=main)

        abn = _findings_only(row)
        if row["sub_ids"]:
            out.append(
                question(
                    sd,
                    "C01_describe_region",
                    var,
                    question_text("C01_describe_region", rng, **fmt),
                    obs_answers(sd, row["sub_ids"], MAIN) + related(),
                )
            )
        if not abn["obs_ids"] and row["normal_above_ids"] and not row["open_above_ids"]:
            # "The mediastinum is unremarkable" answers for the hila it holds
            abn = {**abn, "obs_ids": row["normal_above_ids"]}
        if abn["obs_ids"] or row["sub_ids"]:
            out += _describe_abnormal(
                sd, "C02_describe_abnormal_region", var, rng, abn, fmt, related(), regions=[region]
            )
            out += _is_abnormal(
                sd, "C03_is_abnormal_region", var, rng, abn, fmt, False, related(), regions=[region]
            )
            out += _is_abnormal(
                sd, "C04_is_normal_region", var, rng, abn, fmt, True, related(), regions=[region]
            )
        out += _region_device_questions(sd, row, var, fmt, rng)
    return out


def _region_device_questions(
    sd: StudyData, row: dict[str, Any], var: dict[str, Any], fmt: dict[str, str], rng: Wording
) -> list[dict[str, Any]]:
    """C07/C08: devices in the region. Where the report was read, a default region is asked
    about even without devices (`DEVICE_REGIONS`): "no" (the report describes none there;
    graded as a negative the report does not state)."""
    region = var["region"]
    out: list[dict[str, Any]] = []
    device_row = {
        "obs_ids": row["device_ids"],
        "definite_pos_ids": row["definite_device_ids"],
        "pos_ids": [o for o in row["device_ids"] if o in row["pos_ids"]],
        "uncertain_ids": [o for o in row["device_ids"] if o in row["uncertain_ids"]],
    }
    verdict = _yes_no(device_row)
    elsewhere: list[str] = []
    unstated = False
    if verdict is None and not row["device_ids"] and sd.names_its_devices:
        asked = row["in_study"] or row["sub_ids"] or region in DEVICE_REGIONS
        if row["study_device_ids"]:
            # The report describes the study's devices, none of them in this region, nor
            # of a kind that may reach it (a pacemaker's leads pass the SVC, unsaid).
            if asked and not row["reachable_device_ids"]:
                verdict, elsewhere, unstated = "no", row["study_device_ids"], True
        elif region in DEVICE_REGIONS:
            verdict, unstated = "no", True  # a read report that names no device
    if row["device_ids"]:
        out.append(
            question(
                sd,
                "C07_describe_region_device",
                var,
                question_text("C07_describe_region_device", rng, **fmt),
                obs_answers(sd, row["device_ids"], MAIN),
            )
        )
    elif unstated:
        none = not_mentioned(
            template_answer(
                answer_text("C07_describe_region_device", "none", **fmt),
                MAIN,
                positiveness="neg",
                regions=[region],
                sd=sd,
            )
        )
        out.append(
            incomplete(
                question(
                    sd,
                    "C07_describe_region_device",
                    var,
                    question_text("C07_describe_region_device", rng, **fmt),
                    [none, *obs_answers(sd, elsewhere, RELATED)],
                ),
                sd,
            )
        )
    if verdict:
        details = device_row["pos_ids"] if verdict == "yes" else row["device_ids"]
        answers = _yes_no_answers(
            sd, "C08_has_region_device", verdict, fmt, details, regions=[region]
        )
        if unstated:
            not_mentioned(answers[0])
        answers += obs_answers(sd, elsewhere, RELATED)
        q = question(
            sd,
            "C08_has_region_device",
            var,
            question_text("C08_has_region_device", rng, **fmt),
            answers,
        )
        out.append(incomplete(q, sd) if unstated else q)
    return out


# -- D: finding ------------------------------------------------------------------------
def finding_questions(
    sd: StudyData, rows: list[dict[str, Any]], rng: Wording
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for row in rows:
        if row["is_acquisition"]:
            continue  # technique (rotation, inspiration) is asked by B14, not as a finding
        finding = row["finding"]
        var, fmt = {"finding": finding}, concept_words(finding, "finding")
        device = bool(row["is_device"])
        describe, has, where = (
            ("D05_describe_device", "D06_has_device", "D07_where_is_device")
            if device
            else ("D01_describe_finding", "D02_has_finding", "D03_where_is_finding")
        )
        shown = set(top_level(sd, row["obs_ids"])) | set(row["negated_ancestor_ids"])
        related = obs_answers(
            sd, row["same_region_ids"] + row["parent_finding_ids"], RELATED, exclude=shown
        )
        if row["obs_ids"]:
            out.append(
                question(
                    sd,
                    describe,
                    var,
                    question_text(describe, rng, **fmt),
                    obs_answers(sd, row["obs_ids"], MAIN) + related,
                )
            )
        verdict = _yes_no(row)
        details = row["pos_ids"] if verdict == "yes" else row["obs_ids"]
        if verdict is None and not row["obs_ids"] and row["negated_ancestor_ids"]:
            # Never mentioned, but a broader finding is certainly absent: so is this one.
            verdict, details = "no", row["negated_ancestor_ids"]
        if verdict == "no" and _half_said(sd, details):
            verdict = None  # "the left lung is clear" says nothing of the right
        if verdict:
            regions = row["definite_regions"] if verdict == "yes" else []
            q = question(
                sd,
                has,
                var,
                question_text(has, rng, **fmt),
                _yes_no_answers(sd, has, verdict, fmt, details, regions=regions, entities=[finding])
                + related,
            )
            # a "no" the report does not state (a default negative, or inferred from a
            # broader finding) rests on the report being read in full
            stated = any(_obs(sd, o).get("from_report") for o in details)
            out.append(incomplete(q, sd) if verdict == "no" and not stated else q)
        definite = row["definite_pos_ids"]
        # a device is where the report puts it: its default region is a guess ("pacemaker":
        # the heart, where its leads are, not the chest wall, where its generator is)
        # and a "where" that only repeats the finding's name ("the flattened diaphragm is
        # located in the diaphragm") says nothing
        located = located_regions(
            finding, row["definite_stated_regions"] if device else row["definite_regions"]
        )
        if definite and located:
            main = template_answer(
                answer_text(where, "answer", **fmt, regions=join_words(located)),
                MAIN,
                positiveness="pos",
                regions=located,
                entities=[finding],
                sd=sd,
            )
            out.append(
                question(
                    sd,
                    where,
                    var,
                    question_text(where, rng, **fmt),
                    [main, *obs_answers(sd, definite, DETAILS)] + related,
                )
            )
        severity, regions = row["severities"], row["definite_regions"]
        if definite and severity and not device:
            qtype = "D04_how_severe_is_finding"
            main = template_answer(
                answer_text(qtype, "answer", **fmt, severity=join_words(severity)),
                MAIN,
                positiveness="pos",
                regions=regions,
                entities=[finding],
                sd=sd,
            )
            main["modifiers"] = [["severity", s] for s in severity]
            out.append(
                question(
                    sd,
                    qtype,
                    var,
                    question_text(qtype, rng, **fmt),
                    [main, *obs_answers(sd, definite, DETAILS)] + related,
                )
            )
    return out


# -- E: longitudinal -------------------------------------------------------------------
def longitudinal_questions(
    sd: StudyData, rows: list[dict[str, Any]], previous: StudyData | None, rng: Wording
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for row in rows:
        if row["kind"] == "finding":
            out += _finding_change(sd, row, previous, rng)
        elif row["kind"] == "region" and row["changes"]:
            qtype = "E02_describe_region_change"
            region = row["name"]
            changes = join_words(row["changes"])
            main = template_answer(
                answer_text(qtype, "answer", **region_words(region), changes=changes),
                MAIN,
                regions=[region],
                sd=sd,
            )
            if row["phrase"]:
                main["text"] = main["text"] + " " + row["phrase"].strip()
            out.append(
                question(
                    sd,
                    qtype,
                    {"region": region, "previous_study_id": row["previous_study_id"]},
                    question_text(qtype, rng, **region_words(region)),
                    [main, *obs_answers(sd, row["cur_ids"], DETAILS)],
                )
            )
    return out


def _finding_change(
    sd: StudyData, row: dict[str, Any], previous: StudyData | None, rng: Wording
) -> list[dict[str, Any]]:
    qtype = "E01_has_finding_changed"
    finding = row["name"]
    directions = [CHANGE_DIRECTION[c] for c in row["cur_changes"] if c in CHANGE_DIRECTION]
    key, direction = None, ""
    stated = [c for c in ("new", "resolved", "removed") if c in row["cur_changes"]]
    if stated:
        if len(set(directions)) > 1:
            return []  # e.g. "new" next to "stable": the report is not clear
        key = stated[0]
    elif directions and len(set(directions)) == 1:
        direction = directions[0]
        key = "unchanged" if direction == "no change" else "changed"
    elif not directions:
        prev_pos, cur_pos = bool(row["prev_definite_pos_ids"]), bool(row["cur_definite_pos_ids"])
        prev_neg = (
            bool(row["prev_ids"]) and not row["prev_pos_ids"] and not row["prev_uncertain_ids"]
        )
        cur_neg = bool(row["cur_ids"]) and not row["cur_pos_ids"] and not row["cur_uncertain_ids"]
        if prev_pos and cur_neg:
            key = "resolved"
        elif prev_neg and cur_pos:
            key = "new"
        elif prev_neg and cur_neg:
            key = "still_absent"
    if key is None:
        return []  # both present without a stated change, or conflicting changes
    main = template_answer(
        answer_text(qtype, key, **concept_words(finding, "finding"), direction=direction),
        MAIN,
        positiveness="neg" if key in ("unchanged", "still_absent") else "pos",
        entities=[finding],
        sd=sd,
    )
    answers = [main, *obs_answers(sd, row["cur_ids"], DETAILS)]
    if previous is not None:
        answers += obs_answers(previous, [o for o in row["prev_ids"] if o in previous.obs], RELATED)
    return [
        question(
            sd,
            qtype,
            {"finding": finding, "previous_study_id": row["previous_study_id"]},
            question_text(qtype, rng, **concept_words(finding, "finding")),
            answers,
        )
    ]
