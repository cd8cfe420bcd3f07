"""Reading input bytes within limits, shared by the source readers: files and zip members
are read up to a size cap (streamed, so a zip bomb is never inflated whole), JSON that
nests past what Python can parse is a rejection, and a study id met twice in one input is
rejected the second time rather than replacing the first."""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from cxrkg.ingest.model import Rejected

MAX_FILE_BYTES = 64 * 1024 * 1024  # one study's file or zip member
MAX_ZIP_RATIO = 250  # inflated : compressed, for members over 1 MiB; JSON compresses ~10:1

T = TypeVar("T")


class Unreadable(ValueError):
    """Bytes that cannot become a study; the message says why, for a Rejected."""


def read_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, unless it is larger than `limit`."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise Unreadable(_too_big(size, limit))
        with path.open("rb") as fh:
            # read(n) allocates n bytes first: ask for what the file holds, plus one
            data = fh.read(size + 1)
            if len(data) > size:  # it grew since stat
                data += fh.read(limit + 1 - len(data))
    except OSError as exc:
        raise Unreadable(f"cannot be read ({exc.strerror or exc})") from exc
    if len(data) > limit:
        raise Unreadable(_too_big(len(data), limit))
    return data


def read_member(archive: zipfile.ZipFile, name: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """A zip member's bytes, inflated as a stream and stopped at `limit`: the sizes in the
    zip's directory are only claims, so the cap holds whatever they say."""
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise Unreadable(_too_big(info.file_size, limit))
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > 1024 * 1024 and ratio > MAX_ZIP_RATIO:
        raise Unreadable(
            f"the zip member inflates {ratio:,.0f} times"
            f" (at most {MAX_ZIP_RATIO}:1 is read; a zip bomb?)"
        )
    try:
        with archive.open(info) as fh:
            data = fh.read(info.file_size + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as exc:
        raise Unreadable(f"the zip member is damaged ({exc})") from exc
    if len(data) > info.file_size:  # more than the zip's directory claims: stop here
        raise Unreadable(
            f"the zip member inflates past the {info.file_size:,} bytes its header claims"
        )
    return data


def _too_big(size: int, limit: int) -> str:
    return f"{size:,} bytes; at most {limit:,} are read for one study (a damaged or hostile file?)"


def parse_json(raw: bytes) -> Any:
    """UTF-8 JSON text → Python values; Unreadable says what is wrong and where."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable(
            f"not UTF-8 text (byte {exc.start}: {raw[exc.start : exc.start + 1]!r})"
        ) from exc
    if not text.strip():
        raise Unreadable("the file is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise Unreadable(
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    except RecursionError as exc:
        raise Unreadable("the JSON nests too deeply to be read (thousands of levels)") from exc


def once_per_study(items: Iterable[T]) -> Iterator[T | Rejected]:
    """Pass each study id's first item; a later one with the same id is rejected, naming
    where the first came from (two files claiming one study is an error in the input, and
    loading one of them silently would hide it)."""
    first: dict[str, str] = {}
    for item in items:
        study_id = getattr(item, "study_id", None)
        if isinstance(item, Rejected) or study_id is None:
            yield item
            continue
        where = str(getattr(item, "origin", None) or getattr(item, "file", "") or "?")
        if study_id in first:
            yield Rejected(
                file=where,
                study_id=study_id,
                field="study_id",
                reason=f"the same study id is already in {first[study_id]}; only the first is"
                " loaded",
            )
            continue
        first[study_id] = where
        yield item


def internal_error(file: str, study_id: str | None, exc: BaseException) -> Rejected:
    """A study that made cxrkg's reader fail: rejected, so the run goes on, and said to be
    a bug (the fuzz tests count these as failures)."""
    return Rejected(
        file=file,
        study_id=study_id,
        reason=f"{INTERNAL_ERROR} ({type(exc).__name__}: {exc})",
    )


INTERNAL_ERROR = "cxrkg's reader failed on this input, a bug to report"
