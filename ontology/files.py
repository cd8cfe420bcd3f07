"""Where the ontology file lives, its content hash, and atomic writes."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from cxrkg.config import Settings, get_settings

BUNDLED = Path(__file__).resolve().parent / "cxrkg.owl"
CURATED_NAME = "cxrkg.owl"


def curated_path(settings: Settings | None = None) -> Path:
    """The users' curated copy: `<curation_dir>/cxrkg.owl` (made on the first edit)."""
    return (settings or get_settings()).curation_dir / CURATED_NAME


def default_path(settings: Settings | None = None) -> Path:
    """`CXRKG_ONTOLOGY_PATH` if set, else the curated copy if it exists, else the bundled file."""
    settings = settings or get_settings()
    if settings.ontology_path is not None:
        return Path(settings.ontology_path)
    curated = curated_path(settings)
    return curated if curated.is_file() else BUNDLED


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def file_hash(path: Path) -> str:
    return content_hash(Path(path).read_bytes())


def atomic_write(path: Path, text: str | bytes) -> None:
    """Write to a temp file in the same folder, fsync, then os.replace: never a half file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8") if isinstance(text, str) else text
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
