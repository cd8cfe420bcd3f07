"""Named Cypher queries: every statement lives in a `.cypher` file under this folder.

A file starts with comment lines: the first says what the query returns, later ones
may document parameters as `// $name: what it is`. A query's name is its path without
the extension, e.g. `explore/studies_with_finding`.

Neither engine takes a label or a relationship type as a parameter, so a query over one
the caller chooses names it with a slot, a quoted name in braces (``MATCH (n:`{label}`)``,
still valid Cypher for the linter), documented as `// {label}: what it is` and filled in
by `NamedQuery.with_names(label="Study")`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_PARAM_DOC = re.compile(r"^//\s*\$([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$")
_SLOT = re.compile(r"`\{([A-Za-z_][A-Za-z0-9_]*)\}`")


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

    @property
    def slots(self) -> tuple[str, ...]:
        """The names of its label or relationship-type slots, in order of appearance."""
        return tuple(dict.fromkeys(_SLOT.findall(self.text)))

    def with_names(self, **names: str) -> NamedQuery:
        """This query with each slot filled in by the label or type given for it, quoted."""
        slots = set(self.slots)
        if names.keys() != slots:
            raise ValueError(
                f"query {self.name!r} has the slots {sorted(slots)}, given {sorted(names)}"
            )
        text = _SLOT.sub(lambda m: quote_name(names[m.group(1)]), self.text)
        return replace(self, text=text)


def quote_name(name: str) -> str:
    """A label, relationship type or property name as a quoted Cypher identifier."""
    return "`" + name.replace("`", "``") + "`"


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
