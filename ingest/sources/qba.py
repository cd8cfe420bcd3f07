"""MIMIC-Ext-CXR-QBA scene graphs: a `p1x/p1xxxxxxx/sxxxxxxxx.scene_graph.json` tree or
`scene_data.zip` itself, read in place. Each study's `.metadata.json` is merged in, and its
images come from there or from the release's `metadata/image_metadata` table (a real
scene_graph.json has no `images` block)."""

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
IMAGE_TABLE = "image_metadata"


class QBASource:
    """Iterates `SceneGraph | Rejected` over a QBA tree or zip, in sorted path order.

    `image_metadata`: the release's image table (`.parquet` or `.csv.gz`); by default
    `metadata/image_metadata.*` beside the zip or folder (or inside the folder) when it is
    there. A study's images come from its scene graph's `images` block (cxrkg's own older
    files), else its `.metadata.json` `images` map, else that table."""

    def __init__(self, path: Path, image_metadata: Path | None = None):
        if not path.exists():
            raise IngestError(f"{path}: no such file or folder")
        self.path = path
        table = image_metadata or find_image_table(path)
        self.image_table_path = table
        self._images: dict[str, dict[str, dict[str, Any]]] = (
            read_image_table(table) if table is not None else {}
        )
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
        self._by_study: dict[str, str] | None = None

    def count(self) -> int:
        return len(self._members)

    def __iter__(self) -> Iterator[SceneGraph | Rejected]:
        yield from once_per_study(self._read_safely(m) for m in self._members)

    def _read_safely(self, member: str) -> SceneGraph | Rejected:
        try:
            return self._read(member)
        except Exception as exc:  # noqa: BLE001 - one study must not end the run
            return internal_error(self._label(member), None, exc)

    def study(self, study_id: str) -> SceneGraph | Rejected | None:
        """One study by its id (the file name's), or None when the source has no such file."""
        if self._by_study is None:
            self._by_study = {m.rsplit("/", 1)[-1][: -len(SCENE_SUFFIX)]: m for m in self._members}
        member = self._by_study.get(study_id)
        return self._read(member) if member is not None else None

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
        from_table = b""
        if not data.get("images"):
            table = self._images.get(str(study_id)) or self._images.get(_bare(str(study_id)))
            if table:
                data = {**data, "images": table}
                from_table = json.dumps(table, sort_keys=True, default=str).encode("utf-8")
        try:
            sg = SceneGraph.model_validate(data)
        except ValidationError as exc:
            return validation_rejection(exc, label, str(study_id) if study_id else None)
        digest = hashlib.sha256(
            b"qba\0" + raw + b"\0" + (meta_bytes or b"") + b"\0" + from_table
        ).hexdigest()[:24]
        return sg.with_origin(label).with_content_hash(digest)


def _with_metadata(data: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """Merge `.metadata.json` in: its `images` map fills the study's images, known
    study-level columns become fields, the rest is kept as the study's metadata."""
    data = dict(data)
    meta = {k: v for k, v in meta.items() if k not in ("patient_id", "study_id")}
    images = meta.pop("images", None)
    if images and not data.get("images"):
        data["images"] = _image_map(images)
    if meta:
        data.setdefault("metadata", meta)
    for key in ("split", "study_order", "study_datetime"):
        if key in meta and key not in data:
            data[key] = meta[key]
    return data


def _image_map(images: Any) -> Any:
    """`{image_id: {...}}` as it is, or a list of image records keyed by their image_id."""
    if isinstance(images, list):
        return {str(i.get("image_id")): i for i in images if isinstance(i, dict)}
    return images


def _bare(study_id: str) -> str:
    return study_id[1:] if study_id[:1] in ("s", "S") else f"s{study_id}"


# -- the release's image table ---------------------------------------------------------
def find_image_table(path: Path) -> Path | None:
    """`metadata/image_metadata.{parquet,csv.gz}` beside `path` or inside it (a release root)."""
    folders = [path.parent / "metadata"]
    if path.is_dir():
        folders.insert(0, path / "metadata")
    for folder in folders:
        for suffix in (".parquet", ".csv.gz"):
            candidate = folder / f"{IMAGE_TABLE}{suffix}"
            if candidate.is_file():
                return candidate
    return None


_COLUMNS = {
    "study_id": ("study_id", "image.study_id"),
    "image_id": ("image_id", "dicom_id", "image.image_id"),
    "view_position": ("image.view_position", "view_position", "ViewPosition"),
    "patient_orientation": (
        "image.patient_orientation",
        "patient_orientation",
        "PatientOrientation",
    ),
    "width": ("image.width", "width", "Columns"),
    "height": ("image.height", "height", "Rows"),
    "size": ("image.size", "size"),
}


def read_image_table(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Images per study from the release's image_metadata table: view position, patient
    orientation and size (`size` is read as (width, height))."""
    import pandas as pd

    try:
        frame = (
            pd.read_parquet(path)
            if path.name.endswith(".parquet")
            else pd.read_csv(path, dtype=str, keep_default_na=False)
        )
    except Exception as exc:  # noqa: BLE001 - any reader error: say which file
        raise IngestError(f"{path}: the image table cannot be read ({exc})") from exc
    frame = frame.reset_index()
    found = {
        field: next((c for c in names if c in frame.columns), None)
        for field, names in _COLUMNS.items()
    }
    if found["study_id"] is None or found["image_id"] is None:
        raise IngestError(
            f"{path}: an image table needs study_id and image_id (index or columns);"
            f" it has {', '.join(map(str, frame.columns))}"
        )
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for row in frame.to_dict("records"):
        image_id = _text(row[found["image_id"]])
        study_id = _text(row[found["study_id"]])
        if not image_id or not study_id:
            continue
        width, height = _size(row.get(found["size"])) if found["size"] else (None, None)
        facts = {
            "view_position": _text(row.get(found["view_position"])),
            "patient_orientation": _text(row.get(found["patient_orientation"])),
            "width": _int(row.get(found["width"])) if found["width"] else width,
            "height": _int(row.get(found["height"])) if found["height"] else height,
        }
        if any(v is not None for v in facts.values()):  # a bare id says nothing new
            out.setdefault(study_id, {})[image_id] = {
                "image_id": image_id,
                **{k: v for k, v in facts.items() if v is not None},
            }
    return out


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def _int(value: Any) -> int | None:
    text = _text(value)
    try:
        return int(float(text)) if text is not None else None
    except ValueError:
        return None


def _size(value: Any) -> tuple[int | None, int | None]:
    """(width, height) from a list/array, or text such as "[2544, 3056]" or "2544x3056"."""
    if value is None:
        return None, None
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list | tuple):
        parts = list(value)
    else:
        parts = re.findall(r"\d+(?:\.\d+)?", str(value))
    if len(parts) != 2:
        return None, None
    return _int(parts[0]), _int(parts[1])


# -- writing ---------------------------------------------------------------------------
def scene_graph_files(sg: SceneGraph) -> tuple[bytes, bytes]:
    """The bytes of a study's `sxxxxxxxx.scene_graph.json` and `sxxxxxxxx.metadata.json`."""
    scene = json.dumps(sg.to_qba_json(), ensure_ascii=False)  # compact: json's C encoder
    meta = json.dumps(sg.metadata_json(), ensure_ascii=False)
    return scene.encode("utf-8"), meta.encode("utf-8")


def study_path(patient_id: str, study_id: str, suffix: str) -> str:
    """`p1x/p1xxxxxxx/sxxxxxxxx<suffix>` (p1x: the first three characters of the patient)."""
    return f"{patient_id[:3]}/{patient_id}/{study_id}{suffix}"


def write_qba_tree(graphs: list[SceneGraph], root: Path) -> list[Path]:
    """Write scene graphs in the QBA layout (`p1x/p1xxxxxxx/sxxxxxxxx.scene_graph.json` and
    `.metadata.json`)."""
    written = []
    for sg in graphs:
        scene, meta = scene_graph_files(sg)
        path = root / study_path(sg.patient_id, sg.study_id, SCENE_SUFFIX)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(scene)
        (root / study_path(sg.patient_id, sg.study_id, META_SUFFIX)).write_bytes(meta)
        written.append(path)
    return written
