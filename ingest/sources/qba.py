"""MIMIC-Ext-CXR-QBA scene graphs: a `p1x/p1xxxxxxx/sxxxxxxxx.scene_graph.json` tree or
`scene_data.zip` itself, read in place. Each study's `.metadata.json` is merged in."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cxrkg.ingest.model import (
    IngestError,
    Rejected,
    SceneGraph,
    StudyMetadata,
    validation_rejection,
)
from cxrkg.ingest.sources.raw import (
    Unreadable,
    internal_error,
    once_per_study,
    parse_json,
    read_file,
    read_member,
)

SCENE_SUFFIX = ".scene_graph.json"
META_SUFFIX = ".metadata.json"
_STUDY_FROM_NAME = re.compile(r"(s?\d+|[A-Za-z0-9_-]+)\.scene_graph\.json$")


class QBASource:
    """Iterates `SceneGraph | Rejected` over a QBA tree or zip, in sorted path order."""

    def __init__(self, path: Path):
        if not path.exists():
            raise IngestError(f"{path}: no such file or folder")
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        if path.is_file():
            if not zipfile.is_zipfile(path):
                raise IngestError(f"{path}: not a folder and not a zip file")
            try:
                self._zip = zipfile.ZipFile(path)
                names = self._zip.namelist()
            except (zipfile.BadZipFile, OSError) as exc:
                raise IngestError(f"{path}: the zip cannot be read ({exc})") from exc
            self._members = sorted(n for n in names if n.endswith(SCENE_SUFFIX))
            self._meta = {n for n in names if n.endswith(META_SUFFIX)}
        else:
            self._members = sorted(
                p.relative_to(path).as_posix() for p in path.rglob("*" + SCENE_SUFFIX)
            )
            self._meta = set()
        if not self._members:
            raise IngestError(f"{path}: no *{SCENE_SUFFIX} files found")

    def count(self) -> int:
        return len(self._members)

    def __iter__(self) -> Iterator[SceneGraph | Rejected]:
        yield from once_per_study(self._read_safely(m) for m in self._members)

    def _read_safely(self, member: str) -> SceneGraph | Rejected:
        try:
            return self._read(member)
        except Exception as exc:  # noqa: BLE001 - one study must not end the run
            return internal_error(self._label(member), None, exc)

    # -- one study ---------------------------------------------------------------------
    def _bytes(self, member: str) -> bytes | None:
        if self._zip is not None:
            if member not in self._meta and member.endswith(META_SUFFIX):
                return None
            try:
                return read_member(self._zip, member)
            except KeyError:
                return None
        file = self.path / member
        return read_file(file) if file.is_file() else None

    def _label(self, member: str) -> str:
        return f"{self.path}!{member}" if self._zip is not None else str(self.path / member)

    def _read(self, member: str) -> SceneGraph | Rejected:
        label = self._label(member)
        m = _STUDY_FROM_NAME.search(member.rsplit("/", 1)[-1])
        study_from_name = m.group(1) if m else None
        try:
            raw = self._bytes(member) or b""
            data = parse_json(raw)
            meta_bytes = self._bytes(member[: -len(SCENE_SUFFIX)] + META_SUFFIX)
            meta = parse_json(meta_bytes) if meta_bytes is not None else None
        except Unreadable as exc:
            return Rejected(file=label, study_id=study_from_name, reason=str(exc))
        if not isinstance(data, dict):
            return Rejected(
                file=label,
                study_id=study_from_name,
                reason=f"expected a JSON object, found {type(data).__name__}",
            )
        study_id = data.get("study_id", study_from_name)
        if study_from_name and "study_id" in data and str(data["study_id"]) != study_from_name:
            return Rejected(
                file=label,
                study_id=str(study_id),
                field="study_id",
                reason=f"the file name says {study_from_name}, the file says {data['study_id']}",
            )
        if meta is not None:
            if not isinstance(meta, dict):
                return Rejected(
                    file=label,
                    study_id=str(study_id),
                    field="metadata",
                    reason="the .metadata.json is not a JSON object",
                )
            data = _with_metadata(data, meta)
        try:
            sg = SceneGraph.model_validate(data)
        except ValidationError as exc:
            return validation_rejection(exc, label, str(study_id) if study_id else None)
        digest = hashlib.sha256(b"qba\0" + raw + b"\0" + (meta_bytes or b"")).hexdigest()[:24]
        return sg.with_origin(label).with_content_hash(digest)


def _with_metadata(data: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """Merge `.metadata.json` in: known study-level columns become fields, all is kept."""
    data = dict(data)
    data.setdefault(
        "metadata", {k: v for k, v in meta.items() if k not in ("patient_id", "study_id")}
    )
    for key in ("split", "study_order", "study_datetime"):
        if key in meta and key not in data:
            data[key] = meta[key]
    return data


def write_qba_tree(graphs: list[SceneGraph], root: Path) -> list[Path]:
    """Write scene graphs in the QBA layout (`p1x/p1xxxxxxx/sxxxxxxxx.scene_graph.json`)."""
    written = []
    for sg in graphs:
        folder = root / sg.patient_id[:3] / sg.patient_id
        folder.mkdir(parents=True, exist_ok=True)
        data = sg.to_qba_json()
        meta = data.pop("metadata", None)
        path = folder / f"{sg.study_id}{SCENE_SUFFIX}"
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
        if meta is not None:
            meta_out = {
                "patient_id": sg.patient_id,
                "study_id": sg.study_id,
                **StudyMetadata.model_validate(meta).model_dump(mode="json", exclude_none=True),
            }
            (folder / f"{sg.study_id}{META_SUFFIX}").write_text(
                json.dumps(meta_out, indent=1), encoding="utf-8"
            )
        written.append(path)
    return written
