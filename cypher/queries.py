"""Named Cypher queries: every statement lives in a `.cypher` file under this folder.

A file starts with comment lines: the first says what the query returns, later ones
may document parameters as `// $name: what it is`. A query's name is its path without
the extension, e.g. `explore/studies_with_finding`.

Neither engine takes a label or a relationship type as a parameter, so a query over one
the caller chooses names it with a slot, a quoted name in braces (``MATCH (n:`{label}`)``,
still valid Cypher for the linter), documented as `// {label}: what it is` and filled in
by `NamedQuery.with_names(label="Study")`.

A query whose reply is many small values per study may return them as one JSON string:
`cxrkg.toJson(collect({...})) AS findings_json`. FalkorDB runs `cxrkg.toJson` from cxrkg's
function library (`cypher/udf/cxrkg.js`, loaded by the store) and Python reads the string
with `json.loads` instead of decoding every value of the reply; an engine without the
function (Neo4j) runs the query with the call taken out (`NamedQuery.plain_text`), and
either way the store hands back the column as `findings`, the decoded value. JSON has one
kind of number (a float 2.0 comes back 2): a reader of floats makes them floats again, as
`qa_gen.study_data` does for box coordinates.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from importlib import resources
from pathlib import Path

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_PARAM_DOC = re.compile(r"^//\s*\$([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$")
_SLOT = re.compile(r"`\{([A-Za-z_][A-Za-z0-9_]*)\}`")
JSON_FUNCTION = "cxrkg.toJson"
JSON_SUFFIX = "_json"  # a column holding JSON is named `<name>_json`


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

    @property
    def packs_json(self) -> bool:
        """Whether it returns columns as JSON strings (`cxrkg.toJson`)."""
        return JSON_FUNCTION + "(" in self.text

    @cached_property  # read on every run by an engine without the function: worked out once
    def plain_text(self) -> str:
        """The text for an engine without `cxrkg.toJson`: each call replaced by its argument."""
        return without_json_calls(self.text)

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


def without_json_calls(text: str) -> str:
    """`text` with every `cxrkg.toJson(x)` replaced by `x` (parentheses matched, string
    literals and comments skipped)."""
    call = JSON_FUNCTION + "("
    out: list[str] = []
    closers: list[int] = []  # paren depths at which a removed call's ")" is dropped
    depth, i, quote = 0, 0, ""
    while i < len(text):
        ch = text[i]
        if quote:
            out.append(ch)
            if ch == "\\":
                out.append(text[i + 1 : i + 2])
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            out.append(text[i:end])
            i = end
            continue
        elif text.startswith(call, i):
            depth += 1
            closers.append(depth)
            i += len(call)
            continue
        elif ch == "(":
            depth += 1
            out.append(ch)
        elif ch == ")":
            if closers and closers[-1] == depth:
                closers.pop()
            else:
                out.append(ch)
            depth -= 1
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def unpack_json_columns(rows: list[dict]) -> list[dict]:
    """Rows with each `<name>_json` column read back as `<name>` (a JSON string parsed; a
    value that is not a string, as from an engine that ran the plain text, kept)."""
    for row in rows:
        for key in [k for k in row if k.endswith(JSON_SUFFIX)]:
            value = row.pop(key)
            row[key[: -len(JSON_SUFFIX)]] = json.loads(value) if isinstance(value, str) else value
    return rows


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
