"""A patient's studies in order and what changed between consecutive ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TimelineStep:
    study_id: str
    study_order: int | None
    positive: list[str]
    new: list[str] = field(default_factory=list)  # positive now, not in the previous study
    resolved: list[str] = field(default_factory=list)  # positive before, negated or absent now
    persisting: list[str] = field(default_factory=list)
    reported_changes: list[str] = field(default_factory=list)  # what the report itself says


def timeline(rows: list[dict[str, Any]]) -> list[TimelineStep]:
    """Steps from `app/patient_findings` rows (already in study order)."""
    steps: list[TimelineStep] = []
    previous: set[str] | None = None
    for row in rows:
        positive = sorted(set(row.get("positive") or []))
        step = TimelineStep(row["study_id"], row.get("study_order"), positive)
        step.reported_changes = [c.strip() for c in row.get("changes") or []]
        if previous is not None:
            now = set(positive)
            step.new = sorted(now - previous)
            step.resolved = sorted(previous - now)
            step.persisting = sorted(now & previous)
        previous = set(positive)
        steps.append(step)
    return steps
