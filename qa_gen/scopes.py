"""What the question families treat as devices, technique, artifacts and normal statements:
the parameters every family query takes, in one place."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from cxrkg.ontology.values import GENERIC_FINDINGS, NORMAL_FINDINGS

DATA = Path(__file__).parent / "data"

# Finding categories of devices: support devices and implants, and tubes, lines and
# catheters. A device is neither normal nor abnormal, whatever its category.
DEVICE_CATEGORIES: tuple[str, ...] = ("DEVICE", "TUBES_AND_LINES")
# Ontology categories (ontology/authoring/findings.txt) that scope B14 (technique).
ACQUISITION_CATEGORIES: tuple[str, ...] = ("TECHNICAL_ASSESSMENT",)
ARTIFACT_ENTITIES: tuple[str, ...] = ("artifact",)
# Device subcategories, each asked about on its own (B12/B13 "Are there any vascular lines
# or catheters?"); devices are never in the finding subcategories of B08-B11.
DEVICE_SUBCATEGORIES: tuple[str, ...] = (
    "AIRWAY_TUBES",
    "CARDIAC_DEVICES",
    "FOREIGN_BODY",
    "GI_TUBES",
    "OTHER_DEVICES",
    "THORACIC_TUBES",
    "VASCULAR_LINES",
)
# Lines and tubes a report always names when it sees them: a read report that names none
# answers "no" for each (B12/B13, graded as a negative the report does not state).
REPORTED_DEVICE_SUBCATEGORIES: tuple[str, ...] = (
    "AIRWAY_TUBES",
    "GI_TUBES",
    "THORACIC_TUBES",
    "VASCULAR_LINES",
)
# Subcategories too general to ask about as a group (B08-B11).
SKIPPED_SUBCATEGORIES: tuple[str, ...] = ("GENERAL",)
# An observation with only these subcategories is neither normal nor abnormal: "status post
# sternotomy" in an otherwise normal study (a lobectomy, with LUNG_FIELD too, is abnormal).
NEUTRAL_SUBCATEGORIES: tuple[str, ...] = ("POSTSURGICAL",)
# A negative observation of these says its region is normal ("the mediastinum is
# unremarkable", "no acute cardiopulmonary abnormality").
NORMAL_STATEMENT_ENTITIES: tuple[str, ...] = ("abnormal",)
# A normal statement about these regions together, about the chest, or about no region
# ("no acute cardiopulmonary abnormality", "negative for acute abnormality") is the
# radiologist's judgment of the whole study.
WHOLE_STUDY_REGIONS: tuple[str, ...] = ("heart", "lungs")
# A report that describes surgery of these subcategories ("median sternotomy", "spinal
# fusion") may leave its hardware unnamed, or masked as in IU's "sternotomy XXXX": its
# silence about devices answers nothing.
HARDWARE_SUBCATEGORIES: tuple[str, ...] = ("POSTSURGICAL",)


@lru_cache(maxsize=1)
def device_spans() -> dict[str, list[str]]:
    """Where a device of each subcategory may lie (`data/device_spans.json`): C08 answers
    "no device there" only for a region none of the study's devices may reach."""
    spans = json.loads((DATA / "device_spans.json").read_text(encoding="utf-8"))
    return {k: list(v) for k, v in spans.items() if not k.startswith("_")}


@lru_cache(maxsize=1)
def normal_statement_gaps() -> tuple[str, ...]:
    """Regions a broader region's normal statement does not call normal
    (`data/normal_statement_gaps.txt`)."""
    lines = (DATA / "normal_statement_gaps.txt").read_text(encoding="utf-8").splitlines()
    return tuple(x.strip() for x in lines if x.strip() and not x.startswith("#"))


def family_params() -> dict[str, Any]:
    """The scope parameters of the `cypher/qa/` family queries."""
    return {
        "device_categories": list(DEVICE_CATEGORIES),
        "acquisition_categories": list(ACQUISITION_CATEGORIES),
        "artifact_entities": list(ARTIFACT_ENTITIES),
        # A positive observation of only these ("normal", "no finding": Chest ImaGenome's
        # and PadChest's way of calling a region normal) is a normal statement.
        "normal_entities": list(NORMAL_FINDINGS),
        "skipped_subcategories": list(SKIPPED_SUBCATEGORIES),
        "device_subcategories": list(DEVICE_SUBCATEGORIES),
        # a negative observation of these says its region is normal ("unremarkable")
        "normal_statement_entities": list(NORMAL_STATEMENT_ENTITIES),
        "neutral_subcategories": list(NEUTRAL_SUBCATEGORIES),
        "device_spans": device_spans(),
        "normal_statement_gaps": list(normal_statement_gaps()),
    }


def askable_finding(name: str) -> bool:
    """Whether a finding may be a question's subject (never normal / abnormal / disease)."""
    return name not in GENERIC_FINDINGS
