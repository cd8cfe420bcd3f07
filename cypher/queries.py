"""Named Cypher queries: every statement lives in a `.cypher` file under this folder.

A file starts with comment lines: the first says what the query returns, later ones
may document parameters as `// $name: what it is`. A query's name is its path without
the extension, e.g. `explore/studies_with_finding`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_PARAM_DOC = re.compile(r"^//\s*\$([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$")


class UnknownQuery(KeyError):
    def __str__(self) -> str:
        return f"no named query {self.args[0]!r}; `cxrkg query --list` shows them"


@dataclass(frozen=True)
class NamedQuery:
    name: str
    text: str
    description: str
    params: tuple[str, ...]
    param_docs: dict[str, str] = field(default_factory=dict)
    path: Path | None = None

    @property
    def folder(self) -> str:
        return self.name.split("/", 1)[0]


def queries_root() -> Path:
    return Path(str(resources.files("cxrkg.cypher")))


def parse_query(name: str, text: str, path: Path | None = None) -> NamedQuery:
    description = ""
    docs: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("//"):
            if stripped:
                break
            continue
        m = _PARAM_DOC.match(stripped)
        if m:
            docs[m.group(1)] = m.group(2).strip()
        elif not description:
            description = stripped.lstrip("/").strip()
    body = "\n".join(ln for ln in text.splitlines() if not ln.strip().startswith("//"))
    params = tuple(dict.fromkeys(_PARAM.findall(body)))
    return NamedQuery(name, text, description, params, docs, path)


@cache
def load_query(name: str) -> NamedQuery:
    path = queries_root() / f"{name}.cypher"
    if not path.is_file():
        raise UnknownQuery(name)
    return parse_query(name, path.read_text(encoding="utf-8"), path)


def list_queries(folder: str | None = None) -> list[NamedQuery]:
    root = queries_root()
    out = []
    for path in sorted(root.rglob("*.cypher")):
        name = path.relative_to(root).with_suffix("").as_posix()
        if folder is None or name.startswith(folder.rstrip("/") + "/"):
            out.append(load_query(name))
    return out


def statements(text: str) -> list[str]:
    """Split a DDL file into statements (`;`-separated, comments dropped)."""
    body = "\n".join(ln for ln in text.splitlines() if not ln.strip().startswith("//"))
    return [s.strip() for s in body.split(";") if s.strip()]
