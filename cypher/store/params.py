"""Query parameters on their way to the database, encoded ahead of time where a backend can."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_JSON_KEY = re.compile(r'"((?:[^"\\]|\\.)*)":')
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IDENT_KEY = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)":')
_LEFT_KEY = re.compile(r'(?<!\\)":')
# JSON escapes FalkorDB's parser does not read back as the same character.
_UNSAFE_ESCAPES = ("\\u", "\\r", "\\b", "\\f")


def _cypher_key(match: re.Match[str]) -> str:
    key = match.group(1)
    if _IDENT.fullmatch(key):
        return key + ":"
    return "`" + json.loads(f'"{key}"').replace("`", "``") + "`:"


def cypher_params_body(params: dict[str, Any]) -> str | None:
    """`name=value ...` for FalkorDB's `CYPHER` prefix, built by the C JSON encoder (the
    falkordb client's pure-Python one costs ~1 ms per study). None when a value needs an
    escape FalkorDB reads differently; the caller then lets the client serialize."""
    parts = []
    for name, value in params.items():
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        if any(esc in text for esc in _UNSAFE_ESCAPES):
            return None
        # Fast path: identifier keys by a template (no Python call per key). A key left
        # over (an unescaped `":`, or one ending in a backslash) takes the general path.
        fast = _IDENT_KEY.sub(r"\1:", text)
        if _LEFT_KEY.search(fast) or '\\\\":' in fast:
            fast = _JSON_KEY.sub(_cypher_key, text)
        parts.append(f"{name}={fast}")
    return " ".join(parts)


@dataclass(frozen=True)
class EncodedParams:
    """Parameters encoded for the wire ahead of time, so that encoding a batch can overlap
    the write of the previous one (`GraphStore.encode_params`)."""

    params: dict[str, Any]
    text: str | None = None  # FalkorDB: the `name=value ...` body; None: encode when run

    def __add__(self, other: EncodedParams) -> EncodedParams:
        text = (
            f"{self.text} {other.text}".strip()
            if self.text is not None and other.text is not None
            else None
        )
        return EncodedParams({**self.params, **other.params}, text)
