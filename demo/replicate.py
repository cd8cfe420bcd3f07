"""Copies of the demo studies under new patient, study and image ids (benchmarks, scale tests)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from cxrkg.ingest.model import SceneGraph


def replicate(graphs: list[SceneGraph], n: int, *, start: int = 0) -> Iterator[SceneGraph]:
    """Yield `n` scene graphs cycling through `graphs`, each copy with fresh ids.

    Copy k of a study keeps the patient grouping of its round: all studies of one demo
    patient in round r belong to one new patient, so longitudinal chains survive.
    """
    per_round = len(graphs)
    for k in range(start, start + n):
        rnd, idx = divmod(k, per_round)
        sg = graphs[idx]
        tag = f"r{rnd:06d}"
        text = json.dumps(sg.model_dump(mode="json"))
        for image_id in sg.images:
            text = text.replace(f'"{image_id}"', f'"{tag}-{image_id}"')
        data = json.loads(text)
        data["study_id"] = f"{sg.study_id}-{tag}"
        data["patient_id"] = f"{sg.patient_id}-{tag}"
        data["images"] = {
            f"{tag}-{k2}" if not k2.startswith(tag) else k2: v for k2, v in data["images"].items()
        }
        yield SceneGraph.model_validate(data)
