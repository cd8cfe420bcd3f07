"""Value sets of the reference definitions: probability, modifiers, changes, answer types,
and the quality criteria with their grade caps (QBA seed, section 3a).

Quality options are encoded as integers, larger = better, as QBA's raw encodings are;
`quality_mappings()` gives the table written to `quality_mappings.csv`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

# Grades, best first. A QA pair's rating is the minimum over everything that made it.
GRADES: tuple[str, ...] = ("A++", "A+", "A", "B", "C", "D")
_GRADE_RANK = {g: len(GRADES) - i for i, g in enumerate(GRADES)}  # A++ -> 6 ... D -> 1
UNRATED = "unrated"


def grade_rank(grade: str) -> int:
    return _GRADE_RANK[grade]


def min_grade(grades: list[str] | tuple[str, ...]) -> str:
    """The worst of the given grades (A++ if none)."""
    return min(grades, key=grade_rank) if grades else GRADES[0]


def at_least(grade: str, floor: str) -> bool:
    return grade in _GRADE_RANK and grade_rank(grade) >= grade_rank(floor)


# --- probability / certainty / positiveness ---------------------------------------------
# QBA probability values and what they mean for certainty and positiveness.
PROBABILITY: dict[str, tuple[str, str]] = {
    "positive": ("certain", "pos"),
    "high probability": ("likely", "pos"),
    "probable": ("likely", "pos"),
    "may": ("uncertain", "pos"),
    "possible": ("uncertain", "pos"),
    "uncertain": ("uncertain", "pos"),
    "unlikely": ("unlikely", "neg"),
    "low probability": ("unlikely", "neg"),
    "negative": ("certain", "neg"),
}
CERTAINTY: tuple[str, ...] = ("certain", "likely", "uncertain", "unlikely")
# Findings that say whether something is normal rather than name a finding ("within normal
# limits", "abnormality", "no acute disease"): normal statements are their negative
# observations, and no question is ever asked about them as a finding.
GENERIC_FINDINGS: tuple[str, ...] = ("normal", "no finding", "abnormal", "disease")
# Of those, the ones whose positive mention means "nothing abnormal" (Chest ImaGenome's
# `normal`, PadChest's `normal` label, CheXpert's `No Finding`).
NORMAL_FINDINGS: tuple[str, ...] = ("normal", "no finding")
POSITIVENESS: tuple[str, ...] = ("pos", "neg")

# --- modifiers ------------------------------------------------------------------------
MODIFIERS: dict[str, tuple[str, ...]] = {
    "temporal": ("acute", "subacute", "chronic", "old", "healed", "recent", "longstanding"),
    "severity": (
        "minimal",
        "tiny",
        "trace",
        "small",
        "mild",
        "moderate",
        "large",
        "severe",
        "extensive",
        "massive",
        "marked",
        "prominent",
        "subtle",
        "borderline",
    ),
    "texture": (
        "patchy",
        "hazy",
        "streaky",
        "linear",
        "nodular",
        "reticular",
        "reticulonodular",
        "ground-glass",
        "interstitial",
        "alveolar",
        "airspace",
        "calcified",
        "confluent",
        "ill-defined",
        "well-defined",
        "dense",
        "faint",
    ),
    "spread": (
        "focal",
        "multifocal",
        "diffuse",
        "widespread",
        "scattered",
        "localized",
        "bilateral",
        "unilateral",
        "segmental",
        "lobar",
    ),
}

# --- changes (longitudinal) -----------------------------------------------------------
CHANGES: tuple[str, ...] = (
    "new",
    "no new",
    "worsened",
    "increased",
    "improved",
    "decreased",
    "unchanged",
    "stable",
    "resolved",
    "partially resolved",
    "persistent",
    "recurrent",
    "removed",
    "repositioned",
    "interval placement",
)
# Coarse direction of each change value (Chest ImaGenome's improved/worsened/no change).
CHANGE_DIRECTION: dict[str, str] = {
    "new": "worsened",
    "worsened": "worsened",
    "increased": "worsened",
    "recurrent": "worsened",
    "improved": "improved",
    "decreased": "improved",
    "resolved": "improved",
    "partially resolved": "improved",
    "removed": "improved",
    "unchanged": "no change",
    "stable": "no change",
    "persistent": "no change",
    "no new": "no change",
    "repositioned": "no change",
    "interval placement": "worsened",
}

ANSWER_TYPES: tuple[str, ...] = ("main_answer", "details", "related_information")
CHILD_TYPES: tuple[str, ...] = (
    "associated_with",
    "located_at",
    "described_as",
    "caused_by",
    "suggestive_of",
    "differential_diagnosis",
    "example_of",
    "part_of",
)
WHERE_SPECIFIED: tuple[str, ...] = ("direct", "default", "parent", "child")


# --- quality criteria (seed section 3a) -----------------------------------------------
@dataclass(frozen=True)
class QualityOption:
    criterion: str
    name: str
    code: int  # larger = better
    max_grade: str


def _criterion(name: str, options: list[tuple[str, str]]) -> tuple[QualityOption, ...]:
    """`options` listed best first; codes count down so that larger = better."""
    n = len(options)
    return tuple(QualityOption(name, opt, n - 1 - i, cap) for i, (opt, cap) in enumerate(options))


EXTRACTION_CRITERIA: dict[str, tuple[QualityOption, ...]] = {
    c[0].criterion: c
    for c in (
        _criterion(
            "region_quality",
            [
                ("RESOLVED_REGIONS_ONLY", "A++"),
                ("CONTAINS_NON_RESOLVED_REGIONS", "A"),
                ("CONTAINS_DEFAULT_REGIONS", "A"),
                ("DEFAULT_REGIONS_ONLY", "B"),
                ("NO_REGIONS", "B"),
            ],
        ),
        _criterion(
            "entity_quality",
            [
                ("RESOLVED_ENTITIES_ONLY", "A++"),
                ("CONTAINS_NON_RESOLVED_ENTITIES", "A"),
                ("NO_ENTITIES", "B"),
            ],
        ),
        _criterion(
            "sentence_name_quality",
            [
                ("NO_ISSUES", "A++"),
                ("UNDERSCORES_IN_SENTENCE_OR_NAME", "A"),
                ("CHANGE_IN_SENTENCE_OR_NAME", "B"),
            ],
        ),
        _criterion(
            "change_quality",
            [
                ("NO_ISSUES", "A++"),
                ("CONTAINS_NON_RESOLVED_CHANGES", "A"),
                ("UNDERSCORES_IN_CHANGE_SENTENCE", "A"),
                ("CHANGE_SENTENCE_REMOVED", "B"),
            ],
        ),
        _criterion(
            "issue_level",
            [
                ("NO_ISSUES", "A++"),
                ("FIXABLE", "A+"),
                ("IGNORABLE", "A"),
                ("MOSTLY_INTERPRETABLE", "B"),
                ("NON_INTERPRETABLE", "C"),
                ("DISCARDED", "D"),
            ],
        ),
        _criterion(
            "localization_quality",
            [
                ("BBOX_AND_MASK_LOCALIZATION", "A++"),
                ("BBOX_LOCALIZATION", "A++"),
                ("INCOMPLETE_LOCALIZATION", "A"),
                ("FALLBACK_LOCALIZATION", "B"),
                ("NO_LOCALIZATION", "B"),
            ],
        ),
    )
}

QA_CRITERIA: dict[str, tuple[QualityOption, ...]] = {
    c[0].criterion: c
    for c in (
        _criterion(
            "entailment",
            [
                ("ALIGNED_MENTIONED", "A++"),
                ("ALIGNED_INFERABLE", "A++"),
                ("ALIGNED_NEGATIVE_NOT_MENTIONED", "A"),
                ("ALIGNED_GENERAL_STATEMENT", "A"),
                ("NON_ALIGNED_NON_INFERABLE", "B"),
                ("NON_ALIGNED_MISLEADING", "C"),
                ("NON_ALIGNED_CONTRADICTING", "D"),
            ],
        ),
        # Relevance depends on the answer type it is judged for; see relevance_cap().
        _criterion(
            "relevance",
            [
                ("RELEVANT_MAIN_ANSWER", "A++"),
                ("RELATED_INFO", "A++"),
                ("REDUNDANT_INFO", "A"),
                ("IRRELEVANT_INFO", "A"),
            ],
        ),
        _criterion(
            "completeness",
            [
                ("FULLY_COMPLETE", "A++"),
                ("DETAILS_MISSING", "A+"),
                ("NOT_ANSWERED", "B"),
                ("INCOMPLETE_NON_MISLEADING", "B"),
                ("INCOMPLETE_MISLEADING", "C"),
            ],
        ),
        _criterion(
            "question_clarity",
            [
                ("OPTIMAL", "A++"),
                ("UNUSUAL_SENTENCE_STRUCTURE", "A"),
                ("GRAMMATICAL_ERRORS", "A"),
                ("UNCLEAR_QUESTION", "B"),
                ("UNRELATED_TO_CHEST_XRAY", "B"),
                ("UNANSWERABLE", "C"),
            ],
        ),
        _criterion(
            "answer_clarity",
            [
                ("OPTIMAL", "A++"),
                ("UNUSUAL_SENTENCE_STRUCTURE", "A"),
                ("GRAMMATICAL_ERRORS", "A"),
                ("UNCLEAR_ANSWER", "B"),
                ("NOT_UNDERSTANDABLE", "C"),
            ],
        ),
    )
}


def relevance_cap(option: str, answer_type: str) -> str:
    """Relevance caps depend on the answer type being judged (seed section 3a)."""
    if option == "RELEVANT_MAIN_ANSWER":
        return "A" if answer_type == "related_information" else "A++"
    if option == "RELATED_INFO":
        return "A++" if answer_type == "related_information" else "A+"
    return "A"


@cache  # grading looks up the same few values millions of times
def option(criterion: str, value: str | int) -> QualityOption:
    """Look up a quality option by name or by its integer code."""
    options = EXTRACTION_CRITERIA.get(criterion) or QA_CRITERIA.get(criterion)
    if options is None:
        raise KeyError(f"unknown quality criterion {criterion!r}")
    for opt in options:
        if opt.name == value or (isinstance(value, int) and opt.code == value):
            return opt
    raise KeyError(f"unknown value {value!r} for quality criterion {criterion!r}")


@cache
def quality_grade(criterion: str, value: str | int | None) -> str:
    """The grade cap of one criterion value; unknown criteria or empty values cap nothing."""
    if value is None or criterion not in EXTRACTION_CRITERIA and criterion not in QA_CRITERIA:
        return GRADES[0]
    return option(criterion, value).max_grade


def grade_of(quality: dict[str, str | int | float | None]) -> str:
    """The grade of a quality record: the minimum of its criteria's caps."""
    caps = [quality_grade(k, v if not isinstance(v, float) else int(v)) for k, v in quality.items()]
    return min_grade(caps)


# --- the release's spelling and encoding ------------------------------------------------
# Public readers of the real MIMIC-Ext-CXR-QBA files rely on these key names; the seed's
# table uses the short ones, which cxrkg keeps inside (graph properties, grading).
RELEASE_KEYS: dict[str, str] = {
    "region_quality": "region_extract_quality",
    "entity_quality": "entity_extract_quality",
    "sentence_name_quality": "sentence_name_quality",
    "change_quality": "change_quality",
    "issue_level": "general_issue_level",
    "localization_quality": "localization_quality",
}
_CRITERION_OF: dict[str, str] = {
    **{k: k for k in (*EXTRACTION_CRITERIA, *QA_CRITERIA)},
    **{v: k for k, v in RELEASE_KEYS.items()},
}
# Ratings in files and tables are raw codes too (larger = better); unrated is below D.
RATING_KEYS: tuple[str, ...] = ("rating", "extraction_rating")
GRADE_CODES: dict[str, int] = {g: len(GRADES) - 1 - i for i, g in enumerate(GRADES)} | {UNRATED: -1}
_GRADE_OF_CODE = {c: g for g, c in GRADE_CODES.items()}
_CANONICAL = {
    (c, o.name)
    for table in (EXTRACTION_CRITERIA, QA_CRITERIA)
    for c, opts in table.items()
    for o in opts
} | {(k, g) for k in RATING_KEYS for g in GRADE_CODES}
# Keys a quality record may carry besides criteria and ratings (kept as they are).
QUALITY_NOTES: tuple[str, ...] = ("judge_error",)


def criterion_of(key: str) -> str | None:
    """The criterion a quality key names, in either spelling (None: not a criterion)."""
    return _CRITERION_OF.get(key)


def release_key(criterion: str) -> str:
    return RELEASE_KEYS.get(criterion, criterion)


def _as_int(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def quality_name(criterion: str, value: object) -> str | None:
    """A criterion's value as its option name, from a code (int, or a float like 4.0) or a
    name; ValueError names the criterion and the value when neither fits."""
    if value is None:
        return None
    value = _as_int(value)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{release_key(criterion)}: {value!r} is not a quality value")
    return _quality_name(criterion, value)


@cache
def _quality_name(criterion: str, value: str | int) -> str:
    options = EXTRACTION_CRITERIA.get(criterion) or QA_CRITERIA.get(criterion) or ()
    for opt in options:
        if (isinstance(value, str) and opt.name == value) or (
            isinstance(value, int) and opt.code == value
        ):
            return opt.name
    known = ", ".join(o.name for o in options)
    raise ValueError(
        f"{release_key(criterion)}: unknown value {value!r} (codes 0–{len(options) - 1} or {known})"
    )


def quality_code(criterion: str, value: object) -> int | None:
    """A criterion's value as its option code (see `quality_name`)."""
    if value is None or isinstance(value, str | int | float):
        # the release tables ask this millions of times for a few dozen distinct values;
        # the type is part of the key, so True (not a quality value) is never taken for 1
        return _quality_code(criterion, value, type(value))
    name = quality_name(criterion, value)  # raises: not a quality value
    return None if name is None else option(criterion, name).code


@cache
def _quality_code(criterion: str, value: object, _kind: type) -> int | None:
    name = quality_name(criterion, value)
    return None if name is None else option(criterion, name).code


def rating_name(value: object) -> str | None:
    """A rating as its grade name (A++ ... D, unrated), from a code or a name."""
    if value is None:
        return None
    value = _as_int(value)
    if isinstance(value, str) and value in GRADE_CODES:
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value in _GRADE_OF_CODE:
        return _GRADE_OF_CODE[value]
    raise ValueError(f"rating: unknown value {value!r} (codes -1–5 or {', '.join(GRADE_CODES)})")


def rating_code(value: object) -> int | None:
    name = rating_name(value)
    return None if name is None else GRADE_CODES[name]


def read_quality(values: dict[str, object] | None) -> dict[str, object]:
    """A quality record in either spelling, codes or names, with cxrkg's keys and option
    names. Keys that are not criteria are kept as they are (`unknown_quality_keys`)."""
    try:  # the common case, already in cxrkg's form: nothing to look up
        if all((k, v) in _CANONICAL for k, v in (values or {}).items()):
            return dict(values or {})
    except TypeError:  # an unhashable value: the long way says what is wrong with it
        pass
    out: dict[str, object] = {}
    for key, value in (values or {}).items():
        criterion = criterion_of(key)
        if criterion is not None:
            out[criterion] = quality_name(criterion, value)
        elif key in RATING_KEYS:
            out[key] = rating_name(value)
        else:
            out[key] = value
    return out


def unknown_quality_keys(values: dict[str, object] | None) -> list[str]:
    """Keys of a quality record that no criterion, rating or known note has."""
    return [
        k
        for k in (values or {})
        if criterion_of(k) is None and k not in RATING_KEYS and k not in QUALITY_NOTES
    ]


def release_quality(values: dict[str, object] | None) -> dict[str, object]:
    """A quality record as the release writes it: real key names, raw integer codes."""
    out: dict[str, object] = {}
    for key, value in (values or {}).items():
        criterion = criterion_of(key)
        if criterion is not None:
            out[release_key(criterion)] = quality_code(criterion, value)
        elif key in RATING_KEYS:
            out[key] = rating_code(value)
        else:
            out[key] = value
    return out


def quality_mappings() -> list[dict[str, str | int]]:
    """Rows of quality_mappings.csv: the raw code of every quality value and rating in the
    JSON files and metadata tables, its name and the grade it caps at."""
    rows: list[dict[str, str | int]] = []
    for level, table in (("extraction", EXTRACTION_CRITERIA), ("qa", QA_CRITERIA)):
        for criterion, options in table.items():
            for opt in options:
                rows.append(
                    {
                        "level": level,
                        "criterion": release_key(criterion),
                        "seed_name": criterion,
                        "code": opt.code,
                        "name": opt.name,
                        "max_grade": opt.max_grade,
                    }
                )
    rows += [
        {
            "level": "rating",
            "criterion": "rating",
            "seed_name": "rating",
            "code": code,
            "name": g,
            "max_grade": g,
        }
        for g, code in GRADE_CODES.items()
    ]
    return rows
