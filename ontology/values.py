"""Value sets of the reference definitions: probability, modifiers, changes, answer types,
and the quality criteria with their grade caps (QBA seed, section 3a).

Quality options are encoded as integers, larger = better, as QBA's raw encodings are;
`quality_mappings()` gives the table written to `quality_mappings.csv`.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def option(criterion: str, value: str | int) -> QualityOption:
    """Look up a quality option by name or by its integer code."""
    options = EXTRACTION_CRITERIA.get(criterion) or QA_CRITERIA.get(criterion)
    if options is None:
        raise KeyError(f"unknown quality criterion {criterion!r}")
    for opt in options:
        if opt.name == value or (isinstance(value, int) and opt.code == value):
            return opt
    raise KeyError(f"unknown value {value!r} for quality criterion {criterion!r}")


def quality_grade(criterion: str, value: str | int | None) -> str:
    """The grade cap of one criterion value; unknown criteria or empty values cap nothing."""
    if value is None or criterion not in EXTRACTION_CRITERIA and criterion not in QA_CRITERIA:
        return GRADES[0]
    return option(criterion, value).max_grade


def grade_of(quality: dict[str, str | int | float | None]) -> str:
    """The grade of a quality record: the minimum of its criteria's caps."""
    caps = [quality_grade(k, v if not isinstance(v, float) else int(v)) for k, v in quality.items()]
    return min_grade(caps)


def quality_mappings() -> list[dict[str, str | int]]:
    """Rows of quality_mappings.csv: criterion, code, name, max grade, level."""
    rows: list[dict[str, str | int]] = []
    for level, table in (("extraction", EXTRACTION_CRITERIA), ("qa", QA_CRITERIA)):
        for criterion, options in table.items():
            for opt in options:
                rows.append(
                    {
                        "level": level,
                        "criterion": criterion,
                        "code": opt.code,
                        "name": opt.name,
                        "max_grade": opt.max_grade,
                    }
                )
    rows += [
        {"level": "grade", "criterion": "grade", "code": grade_rank(g), "name": g, "max_grade": g}
        for g in GRADES
    ]
    return rows
