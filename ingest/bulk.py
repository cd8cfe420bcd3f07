"""Bulk initial loads: scene graphs into an EMPTY graph through the engine's own importer.

    report = load_scene_graphs(store, source, bulk=True)        # FalkorDB: falkordb-bulk-loader
    files = write_bulk_files(source, "import/", target="neo4j")  # neo4j-admin database import full

The nodes and relationships are those the transactional loader writes: the same rows
(`graph_rows.study_rows`), refused by the same pre-checks, turned into what
`cypher/load/write_studies.cypher` creates (the edge table of `ingest/verify.py`), with the
ontology mirror (`ontology/sync.py`'s rows) and the links a load makes into it
(`HAS_ENTITY`, `IS_A`: exact names, then synonyms resolved by the ontology). Every patient
is marked `link_pending`, so the loader's own relinking builds the NEXT_STUDY chains and
ImaGenome comparisons afterwards.

An importer reads text, and each changes some values on the way: falkordb-bulk-loader
strips spaces around every text, reads an empty text as no value, and guesses the type of
each list element ("12" becomes 12). A study holding a value its importer would change
is not put in the files: it is loaded afterwards by the transactional loader (FalkorDB, in
the same run) or by rerunning the ordinary ingest after the import (Neo4j: imported
studies are then skipped as unchanged). So the graph ends as the transactional loader
leaves it. Neo4j stores no empty lists through its importer; they are left out (a missing
list reads as empty everywhere in cxrkg).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from cxrkg.cypher.store import NODE_KEYS, GraphStore, StoreError, StoreUnavailable
from cxrkg.ingest.graph_rows import claims
from cxrkg.ingest.load import (
    IngestReport,
    Todo,
    _accepted_batches,
    _one_loader_at_a_time,
    _prepare,
)
from cxrkg.ingest.model import IngestError, Rejected, SceneGraph
from cxrkg.ingest.verify import _EDGE_ROWS, _OWNED
from cxrkg.ontology.model import Ontology

__all__ = [
    "TARGETS",
    "BulkReport",
    "bulk_load",
    "graph_blockers",
    "neo4j_command",
    "ontology_entities",
    "study_entities",
    "write_bulk_files",
]

_ONTOLOGY_LABELS = {"finding": "Finding", "region": "Anatomy", "category": "Category"}
# Labels a graph may hold and still count as empty: the schema's and the ontology mirror's,
# which a bulk load writes again.
_EMPTY_LABELS = ("Meta", "Finding", "Anatomy", "Category", "Class", "CxrkgKeyRegistry")
_BATCH = 500  # studies checked together


# -- what each importer reads exactly ----------------------------------------------------
class Target:
    """How one importer's CSV says a value, and which values it would read back changed."""

    name: str

    def encode(self, value: Any) -> tuple[str | None, str, str | None]:
        """(column type, CSV cell, why the importer would not read it back exactly).
        A column type of None leaves the property out."""
        raise NotImplementedError

    def name_problem(self, name: str) -> str | None:
        if not name or name != name.strip() or ":" in name:
            return f"the property name {name!r} cannot be a CSV column"
        return None

    def id_header(self, key: str, label: str) -> str:
        return f"{key}:ID({label})"

    def end_headers(self, start: str, end: str) -> list[str]:
        return [f":START_ID({start})", f":END_ID({end})"]

    def header(self, name: str, column: str) -> str:
        return f"{name}:{column}"


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


class FalkorDBTarget(Target):
    """falkordb-bulk-loader with --enforce-schema and no escape character: it strips every
    text, reads an empty one as no value, parses a list with `ast.literal_eval` and then
    guesses each element's type from its text."""

    name = "falkordb"

    def __init__(self) -> None:
        self._elements: dict[str, str | None] = {}

    def encode(self, value: Any) -> tuple[str | None, str, str | None]:
        kind = type(value)
        if kind is str:
            return "STRING", _quoted(value), _text_problem(value)
        if kind is bool:
            return "BOOL", "true" if value else "false", None
        if kind is int:
            return "INT", str(value), None
        if kind is float:
            return "DOUBLE", repr(value), None
        if kind is list:
            problem = None
            for item in value:
                if type(item) is str:
                    problem = self._elements.get(item, "")
                    if problem == "":
                        problem = self._elements[item] = _element_problem(item)
                elif type(item) not in (float, int, bool):
                    problem = f"a list element {item!r} of type {type(item).__name__}"
                if problem:
                    break
            return "ARRAY", _quoted(repr(value)), problem
        return None, "", f"a {kind.__name__} value"


def _text_problem(text: str) -> str | None:
    if not text:
        return "an empty text (the bulk loader reads it as no value)"
    if text != text.strip():
        return f"the text {text[:40]!r} begins or ends with spaces (the bulk loader strips them)"
    if "\r" in text or "\x00" in text:
        return "a text with a carriage return or NUL character"
    return None


def _element_problem(item: str) -> str | None:
    """A text list element the bulk loader would read back as another type or value."""
    problem = _text_problem(item)
    if problem:
        return "in a list, " + problem
    for parse in (int, float):
        try:
            number = parse(item)
        except ValueError:
            continue
        if parse is int or number == number and number not in (float("inf"), float("-inf")):
            return f"the list element {item!r} reads as a number"
    if item.lower() in ("true", "false") or (item.startswith("[") and item.endswith("]")):
        return f"the list element {item!r} reads as another type"
    return None


class Neo4jTarget(Target):
    """neo4j-admin database import full with the options of `neo4j_command`: typed
    columns, every text quoted (so an empty one stays empty), list elements joined by §."""

    name = "neo4j"
    ARRAY_DELIMITER = "§"
    _SCALARS = {bool: "boolean", int: "long", float: "double", str: "string"}

    def encode(self, value: Any) -> tuple[str | None, str, str | None]:
        kind = type(value)
        if kind is str:
            return (
                "string",
                _quoted(value),
                "a text with a NUL character" if "\x00" in value else None,
            )
        if kind is bool:
            return "boolean", "true" if value else "false", None
        if kind is int:
            return "long", str(value), None
        if kind is float:
            return "double", repr(value), None
        if kind is list:
            if not value:
                return None, "", None  # the importer has no empty list: left out
            kinds = {type(v) for v in value}
            column = self._SCALARS.get(kinds.pop()) if len(kinds) == 1 else None
            if column is None:
                return None, "", "a list of mixed types (Neo4j stores none)"
            if column == "string":
                for v in value:
                    if not v or self.ARRAY_DELIMITER in v or '"' in v or "\x00" in v:
                        return None, "", f"the list element {v!r} (empty, or with § or a quote)"
                return "string[]", _quoted(self.ARRAY_DELIMITER.join(value)), None
            if column == "boolean":
                text = self.ARRAY_DELIMITER.join("true" if v else "false" for v in value)
            else:
                text = self.ARRAY_DELIMITER.join(map(repr, value))
            return f"{column}[]", text, None
        return None, "", f"a {kind.__name__} value"


TARGETS: dict[str, type[Target]] = {"falkordb": FalkorDBTarget, "neo4j": Neo4jTarget}


# -- the tables ------------------------------------------------------------------------------
@dataclass
class _Sheet:
    """One CSV file: one label (or relationship type between two labels), fixed columns."""

    path: Path
    kind: str  # "node" or "rel"
    name: str  # label(s) "Finding:Class", or relationship type
    columns: dict[str, str]  # property -> column type
    order: list[str]
    fh: Any
    rows: int = 0


_Staged = tuple[tuple[str, ...], str, str, str, dict[str, str], dict[str, str]]


class _Tables:
    """Node and relationship rows into CSV files, a new file whenever a row brings a
    property (or a type) the current file of its label has no column for. A study's rows
    are staged, then written all together or (a value its importer would change) not."""

    def __init__(self, root: Path, target: Target):
        self.root = root
        self.target = target
        self.sheets: dict[tuple[str, ...], list[_Sheet]] = {}
        self.nodes = 0
        self.rels = 0
        self._names: set[str] = set()
        self._staged: list[_Staged] = []

    def _sheet(self, key: tuple[str, ...], kind: str, name: str, types: dict[str, str]) -> _Sheet:
        sheets = self.sheets.setdefault(key, [])
        for sheet in reversed(sheets):
            cols = sheet.columns
            if all(cols.get(k) == t for k, t in types.items()):
                return sheet
        wider = dict(sheets[-1].columns) if sheets else {}
        wider = {k: t for k, t in wider.items() if k not in types} | types
        stem = "_".join(key).replace(":", "-")
        path = self.root / f"{kind}s" / f"{stem}.{len(sheets)}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        sheet = _Sheet(path, kind, name, wider, sorted(wider), fh)
        if kind == "node":
            label = name.split(":")[0]
            head = [self.target.id_header(NODE_KEYS[label], label)]
        else:
            head = self.target.end_headers(key[1], key[2])
        head += [self.target.header(k, wider[k]) for k in sheet.order]
        fh.write(",".join(_quoted(h) if "," in h else h for h in head) + "\n")
        sheets.append(sheet)
        return sheet

    def _encode(self, props: dict[str, Any], skip: str = "") -> tuple[dict, dict, str | None]:
        types: dict[str, str] = {}
        cells: dict[str, str] = {}
        encode = self.target.encode
        for name, value in props.items():
            if name == skip:
                continue
            if name not in self._names:
                problem = self.target.name_problem(name)
                if problem:
                    return types, cells, problem
                self._names.add(name)
            column, cell, problem = encode(value)
            if problem:
                return types, cells, f"property {name}: {problem}"
            if column is not None:
                types[name], cells[name] = column, cell
        return types, cells, None

    def node(self, labels: str, props: dict[str, Any]) -> str | None:
        """Stage a node; the reason it cannot be written exactly, or None."""
        label = labels.split(":")[0]
        key = NODE_KEYS[label]
        types, cells, problem = self._encode(props, skip=key)
        _, ident, key_problem = self.target.encode(props[key])
        if problem or key_problem:
            return f"{label} {problem or f'key: {key_problem}'}"
        self._staged.append(((labels,), "node", labels, ident, types, cells))
        return None

    def rel(
        self, rel_type: str, start: tuple[str, str], end: tuple[str, str], props: dict
    ) -> str | None:
        """Stage a relationship; the reason it cannot be written exactly, or None."""
        types, cells, problem = self._encode(props)
        _, a, a_problem = self.target.encode(start[1])
        _, b, b_problem = self.target.encode(end[1])
        if problem or a_problem or b_problem:
            return f"{rel_type} {problem or a_problem or b_problem}"
        self._staged.append(
            ((rel_type, start[0], end[0]), "rel", rel_type, a + "," + b, types, cells)
        )
        return None

    def commit(self) -> None:
        for key, kind, name, ident, types, cells in self._staged:
            sheet = self._sheet(key, kind, name, types)
            sheet.fh.write(",".join([ident, *[cells.get(c, "") for c in sheet.order]]) + "\n")
            sheet.rows += 1
            if kind == "node":
                self.nodes += 1
            else:
                self.rels += 1
        self._staged.clear()

    def drop(self) -> None:
        self._staged.clear()

    def close(self) -> list[_Sheet]:
        out = []
        for sheets in self.sheets.values():
            for sheet in sheets:
                sheet.fh.close()
                out.append(sheet)
        return out


# -- what a study writes ----------------------------------------------------------------------
Node = tuple[str, dict[str, Any]]  # labels, properties
Rel = tuple[str, tuple[str, str], tuple[str, str], dict[str, Any]]  # type, (label, key) x2, props


class _Links:
    """HAS_ENTITY and IS_A as a load makes them: the exact concept name, else the concept
    the ontology resolves the text to (`ontology.sync.link_loaded`)."""

    def __init__(self, onto: Ontology):
        self.onto = onto
        self._cache: dict[tuple[str, str], str | None] = {}

    def target(self, text: Any, kind: str) -> str | None:
        pool = self.onto.findings if kind == "finding" else self.onto.regions
        if not isinstance(text, str):
            return None
        if text in pool:
            return text
        key = (text, kind)
        if key not in self._cache:
            concept = self.onto.resolve(text, kind)
            self._cache[key] = concept.name if concept and concept.name in pool else None
        return self._cache[key]


def study_entities(
    sg: SceneGraph, rows: dict[str, list[dict[str, Any]]], links: _Links
) -> tuple[list[Node], list[Rel], str | None]:
    """The nodes and relationships `load/write_studies` creates for one study (its
    patient included), and why it must go through the transactional loader (None: it
    need not). Relationships whose end the statement's MATCH would not find are left
    out, as the statement leaves them out."""
    sid = sg.study_id
    nodes: list[Node] = [("Study", rows["studies"][0]["props"])]
    rels: list[Rel] = [("HAS_STUDY", ("Patient", sg.patient_id), ("Study", sid), {})]
    have: set[tuple[str, str]] = {("Study", sid)}
    for kind, (has, label, key) in _OWNED.items():
        for row in rows[kind]:
            nodes.append((label, row["props"]))
            have.add((label, row["props"][key]))
            rels.append((has, ("Study", sid), (label, row["props"][key]), {}))
    for row in rows["indications"]:
        if row["answer"]:
            answer = row["answer"]
            nodes.append(("Observation", answer))
            have.add(("Observation", answer["key"]))
            rels.append(("ANSWERED_BY", ("Indication", sid), ("Observation", answer["key"]), {}))
    for kind, (rel_type, a_label, b_label, a_field, b_field) in _EDGE_ROWS.items():
        for row in rows[kind]:
            a, b = (a_label, row[a_field]), (b_label, row[b_field])
            if a not in have or b not in have:
                if any(k[1].count("/") > 1 for k in (a, b) if k not in have):
                    return nodes, rels, "it refers to a key another study's node may hold"
                continue
            rels.append((rel_type, a, b, row.get("props") or {}))
    observations = [n for n in nodes if n[0] == "Observation"]
    for _, props in observations:
        targets = {links.target(t, "finding") for t in props.get("entities", [])}
        rels += [
            ("HAS_ENTITY", ("Observation", props["key"]), ("Finding", t), {})
            for t in sorted(targets - {None})
        ]
    for row in rows["regions"]:
        target = links.target(row["props"].get("region", ""), "region")
        if target is not None:
            rels.append(("IS_A", ("StudyRegion", row["props"]["key"]), ("Anatomy", target), {}))
    return nodes, rels, None


def ontology_entities(onto: Ontology, target: Target) -> tuple[list[Node], list[Rel], bool]:
    """The ontology mirror as `ontology.sync.sync_ontology` writes it (the upsert queries'
    properties), and whether every value of it is exact for the target. A concept with a
    value the importer would change is written without its content hash, so the sync
    that follows the load writes it again."""
    from cxrkg.ontology.sync import category_rows, finding_row, ontology_edges, region_row

    nodes: list[Node] = []
    exact = True
    groups = (
        ("Finding:Class", "finding", [finding_row(c) for c in onto.findings.values()]),
        ("Anatomy:Class", "region", [region_row(c) for c in onto.regions.values()]),
        ("Category", "category", category_rows(onto)),
    )
    names: dict[str, set[str]] = {}
    for labels, kind, rows in groups:
        names[kind] = {r["name"] for r in rows}
        for row in rows:
            props = {k: v for k, v in row.items() if v is not None}
            props |= {"kind": kind, "ontology_version": onto.version}
            if any(_problem(target, k, v) for k, v in props.items()):
                exact = False
                props = {k: v for k, v in props.items() if not _problem(target, k, v)}
                props.pop("content_hash", None)
            nodes.append((labels, props))
    rels: list[Rel] = [
        (t, (_ONTOLOGY_LABELS[sk], s), (_ONTOLOGY_LABELS[ok], o), {})
        for sk, s, t, ok, o in sorted(ontology_edges(onto))
        if s in names[sk] and o in names[ok]
    ]
    return nodes, rels, exact


def _problem(target: Target, name: str, value: Any) -> str | None:
    return target.name_problem(name) or target.encode(value)[2]


# -- the report -------------------------------------------------------------------------------
@dataclass
class BulkReport(IngestReport):
    target: str = "falkordb"
    nodes: int = 0
    relationships: int = 0
    files: list[Path] = field(default_factory=list)
    deferred: list[tuple[str, str]] = field(default_factory=list)  # (study, why)
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase
    command: str = ""  # Neo4j: the import command to run

    @property
    def entities(self) -> int:
        return self.nodes + self.relationships

    def summary(self) -> str:
        lines = [super().summary()]
        loader = self.phases.get("bulk loader")
        rate = f" ({self.entities / loader:,.0f} entities/s)" if loader else ""
        lines.append(
            f"bulk ({self.target}): {self.nodes:,} nodes and {self.relationships:,}"
            f" relationships in {len(self.files)} CSV files{rate}; "
            + ", ".join(f"{k} {v:.1f}s" for k, v in self.phases.items())
        )
        if self.deferred:
            how = (
                "written by the transactional loader after the bulk load"
                if self.target == "falkordb"
                else "not in the files: rerun the ordinary ingest after the import to load them"
            )
            lines.append(f"{len(self.deferred):,} studies {how}:")
            lines += [f"  - {sid}: {why}" for sid, why in self.deferred[:10]]
            if len(self.deferred) > 10:
                lines.append(f"  ... and {len(self.deferred) - 10:,} more")
        if self.command:
            lines.append("import the files with (the database stopped, or not yet created):")
            lines.append("  " + self.command)
        return "\n".join(lines)


# -- writing the files ----------------------------------------------------------------------
@dataclass
class _Plan:
    sheets: list[_Sheet]
    deferred_file: Path
    deferred: int


def _write_tables(
    items: Iterable[SceneGraph | Rejected],
    root: Path,
    target: Target,
    onto: Ontology,
    report: BulkReport,
    *,
    strict: bool,
    progress: bool,
    limit: int | None,
    total: int | None,
    meta: dict[str, Any] | None = None,
) -> _Plan:
    """Check every study and write the node and relationship files (touches no database)."""
    tables = _Tables(root, target)
    nodes, rels, exact = ontology_entities(onto, target)
    for labels, props in nodes:
        tables.node(labels, props)
    for rel_type, a, b, props in rels:
        tables.rel(rel_type, a, b, props)
    if meta is not None and exact:
        tables.node("Meta", meta)
    tables.commit()
    links = _Links(onto)
    seen: set[str] = set()
    patients: set[str] = set()
    taken: dict[tuple[str, str], str] = {}  # keys another study of this run may compose too
    deferred_file = root / "deferred.jsonl"
    deferred = open(deferred_file, "w", encoding="utf-8")  # noqa: SIM115
    bar = tqdm(
        total=min(total, limit) if total and limit else (limit or total),
        unit="study",
        desc=f"bulk {target.name}: files",
        disable=not progress,
        leave=False,
    )

    def defer(sg: SceneGraph, why: str) -> None:
        report.deferred.append((sg.study_id, why))
        deferred.write(sg.model_dump_json() + "\n")

    def check(batch: list[SceneGraph]) -> None:
        todo: Todo = _prepare(batch, report, strict)
        bar.update(len(batch) - len(todo))
        for sg, rows in todo:
            bar.update(1)
            if sg.study_id in seen:  # met again: the later one replaces it, as a re-ingest
                defer(sg, "the study occurs again in this input; the later one replaces it")
                continue
            clash = _clash(sg, rows, taken)
            if clash:
                _reject(report, sg, clash, strict)
                continue
            seen.add(sg.study_id)
            s_nodes, s_rels, why = study_entities(sg, rows, links)
            if why is None and sg.patient_id not in patients:
                why = tables.node("Patient", {"patient_id": sg.patient_id, "link_pending": True})
            for labels, props in s_nodes:
                why = why or tables.node(labels, props)
            for rel_type, a, b, props in s_rels:
                why = why or tables.rel(rel_type, a, b, props)
            if why:
                tables.drop()
                defer(sg, why)
                continue
            tables.commit()
            patients.add(sg.patient_id)
            report.loaded.append(sg.study_id)

    try:
        batches = _accepted_batches(
            items, limit=limit, size=_BATCH, report=report, strict=strict, bar=bar
        )
        for batch in batches:
            check(batch)
    finally:
        deferred.close()
        sheets = tables.close()
        bar.close()
    report.nodes, report.relationships = tables.nodes, tables.rels
    report.files = [s.path for s in sheets]
    # Deferred studies are counted when the transactional loader writes them.
    deferred_ids = {sid for sid, _ in report.deferred}
    report.loaded = [sid for sid in report.loaded if sid not in deferred_ids]
    return _Plan(sheets, deferred_file, len(report.deferred))


def _clash(sg: SceneGraph, rows: dict[str, list[dict[str, Any]]], taken: dict) -> str | None:
    """A key this study creates that an earlier study of this run creates too (image ids
    are global; other keys are `study/local id`, shared only where an id holds a `/`)."""
    from cxrkg.ingest.load import _WHAT

    mine = claims(rows)
    for kind, keys in mine.items():
        for key in keys:
            if kind == "images" or key.count("/") > 1:
                other = taken.get((kind, key))
                if other is not None and other != sg.study_id:
                    return f"{_WHAT[kind]} {key!r} also belongs to study {other} of this run"
    for kind, keys in mine.items():
        for key in keys:
            if kind == "images" or key.count("/") > 1:
                taken[(kind, key)] = sg.study_id
    return None


def _reject(report: IngestReport, sg: SceneGraph, reason: str, strict: bool) -> None:
    rejected = Rejected(file=sg.origin or "?", study_id=sg.study_id, reason=reason)
    if strict:
        raise IngestError(f"rejected {rejected.describe()} (--strict stops at the first)")
    report.rejected.append(rejected)


def _deferred_studies(path: Path) -> Iterator[SceneGraph]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            yield SceneGraph.model_validate_json(line)


# -- FalkorDB ----------------------------------------------------------------------------------
def graph_blockers(store: GraphStore) -> dict[str, int]:
    """Nodes that make the graph not empty for a bulk load, per label (the schema's Meta
    nodes and the ontology mirror do not: the load writes them again)."""
    rows = store.run_named("load/bulk_blockers", {"allowed": list(_EMPTY_LABELS)}, read_only=True)
    return {r["label"]: int(r["n"]) for r in rows}


def bulk_load(
    store: GraphStore,
    items: Iterable[SceneGraph | Rejected],
    *,
    strict: bool = False,
    progress: bool = True,
    limit: int | None = None,
    total: int | None = None,
    source: str = "",
    bulk_dir: str | Path | None = None,
) -> BulkReport:
    """Load scene graphs into an empty FalkorDB graph with falkordb-bulk-loader (see the
    module docstring). `bulk_dir`: keep the CSV files there (default: a temporary folder
    in CXRKG_HOME, removed afterwards)."""
    from cxrkg.ingest.load import link_pending, load_scene_graphs
    from cxrkg.ontology import load_ontology
    from cxrkg.ontology.sync import sync_ontology

    if store.backend != "falkordb":
        raise IngestError(
            "a bulk load into Neo4j goes through neo4j-admin: write the files with"
            " `--bulk-dir DIR` (`write_bulk_files`) and import them as the report says"
        )
    started = time.perf_counter()
    report = BulkReport(source=source, target="falkordb")
    onto = load_ontology()
    try:
        with _one_loader_at_a_time(store):
            blockers = graph_blockers(store)
            if blockers:
                held = ", ".join(f"{n:,} {label}" for label, n in sorted(blockers.items()))
                raise IngestError(
                    f"a bulk load needs an empty graph, and {store.describe()} holds {held};"
                    " load into it without --bulk, or empty it first (`cxrkg db reset --yes`)"
                )
            home = store.settings.home
            home.mkdir(parents=True, exist_ok=True)
            with contextlib.ExitStack() as stack:
                if bulk_dir is None:
                    root = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=home)))
                else:
                    root = Path(bulk_dir)
                    root.mkdir(parents=True, exist_ok=True)
                t0 = time.perf_counter()
                plan = _write_tables(
                    items, root, TARGETS["falkordb"](), onto, report, strict=strict,
                    progress=progress, limit=limit, total=total,
                )  # fmt: skip
                report.phases["files"] = time.perf_counter() - t0
                t0 = time.perf_counter()
                store.clear()  # the schema-only graph: the bulk loader creates the graph
                _run_falkordb_loader(store, plan.sheets, root, progress)
                report.phases["bulk loader"] = time.perf_counter() - t0
                t0 = time.perf_counter()
                store.setup_schema(force=True)
                if not sync_ontology(store, onto, link=False).changed:
                    store.bump_version()  # the mirror is a change, as a first sync is
                link_pending(store)
                report.phases["schema, ontology, links"] = time.perf_counter() - t0
                bumped = False
                if plan.deferred:
                    t0 = time.perf_counter()
                    after = load_scene_graphs(
                        store,
                        _deferred_studies(plan.deferred_file),
                        strict=strict,
                        progress=progress,
                        total=plan.deferred,
                        source=source,
                    )
                    report.loaded += after.loaded
                    report.unchanged += after.unchanged
                    report.rejected += after.rejected
                    report.notices += after.notices
                    report.phases["transactional"] = time.perf_counter() - t0
                    bumped = bool(after.loaded)  # that load counted itself as a write
                if report.loaded and not bumped:
                    store.bump_version()
    except StoreUnavailable as exc:
        raise IngestError(
            f"the graph store stopped answering during the bulk load ({exc}); the graph may"
            " hold part of it: empty it (`cxrkg db reset --yes`) and load again"
        ) from exc
    report.seconds = time.perf_counter() - started
    return report


def _run_falkordb_loader(
    store: GraphStore, sheets: list[_Sheet], root: Path, progress: bool
) -> None:
    """falkordb-bulk-loader in a process of its own (its CSV parsing then runs beside this
    one); the server URL with the home's password goes in its environment, never on a
    command line."""
    args = [store.settings.graph, "--enforce-schema", "--escapechar", "none"]
    for sheet in sorted(sheets, key=lambda s: (s.kind, str(s.path))):
        if sheet.rows:
            args += ["-N" if sheet.kind == "node" else "-R", sheet.name, str(sheet.path)]
    settings = store.settings
    password = store.server.password()  # type: ignore[attr-defined]
    env = dict(os.environ)
    env["CXRKG_BULK_SERVER_URL"] = (
        f"redis://:{password}@{settings.falkordb_host}:{settings.falkordb_port}"
    )
    code = "\n".join(
        (
            "import functools",
            "from falkordb_bulk_loader import entity_file",
            "from falkordb_bulk_loader.bulk_insert import bulk_insert",
            # The loader turns each cell into bytes with a pure function, parsing every
            # list with ast.literal_eval; most cells repeat (empty lists, names, grades),
            # so remembering the answers halves its time and sends the same bytes.
            "entity_file.typed_prop_to_binary = functools.lru_cache(maxsize=1 << 16)("
            "entity_file.typed_prop_to_binary)",
            "bulk_insert(auto_envvar_prefix='CXRKG_BULK')",
        )
    )
    log = root / "bulk-loader.log"
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-c", code, *args],
            env=env,
            stdout=None if progress else out,
            stderr=out,
            check=False,
        )
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        raise IngestError(
            "falkordb-bulk-loader failed (exit {}): {}; the graph may hold part of the load:"
            " empty it (`cxrkg db reset --yes`) and load again".format(
                proc.returncode, " | ".join(tail) or "no message"
            )
        )
    if not store.run_named("load/study_count", {}, read_only=True):
        raise StoreError("the bulk loader reported success but the graph cannot be read")


# -- Neo4j ---------------------------------------------------------------------------------------
def write_bulk_files(
    items: Iterable[SceneGraph | Rejected],
    out_dir: str | Path,
    *,
    target: str = "neo4j",
    database: str = "neo4j",
    strict: bool = False,
    progress: bool = True,
    limit: int | None = None,
    total: int | None = None,
    source: str = "",
) -> BulkReport:
    """Write the node and relationship CSV files of these studies for an importer, with
    the command that imports them (`report.command`; for Neo4j also `import.sh` in
    `out_dir`). Touches no database."""
    from cxrkg.ontology import load_ontology

    started = time.perf_counter()
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    report = BulkReport(source=source, target=target)
    onto = load_ontology()
    meta = None
    if target == "neo4j":  # the ontology meta, so the first ingest afterwards keeps the mirror
        from cxrkg.ontology.sync import category_rows

        counts = {
            "Finding": len(onto.findings),
            "Anatomy": len(onto.regions),
            "Category": len(category_rows(onto)),
        }
        meta = {
            "key": "ontology",
            "version": onto.version,
            "path": onto.path or "",
            "counts": [f"{k}={v}" for k, v in counts.items()],
        }
    plan = _write_tables(
        items, root, TARGETS[target](), onto, report, strict=strict, progress=progress,
        limit=limit, total=total, meta=meta,
    )  # fmt: skip
    if target == "neo4j":
        report.command = neo4j_command(plan.sheets, database)
        script = root / "import.sh"
        script.write_text(
            "#!/bin/sh\n# Generated by cxrkg: see docs/scale.md\n" + report.command + "\n"
        )
        script.chmod(0o755)
    report.phases["files"] = time.perf_counter() - started
    report.seconds = time.perf_counter() - started
    return report


def neo4j_command(sheets: list[_Sheet], database: str = "neo4j") -> str:
    """The `neo4j-admin database import full` command for these files."""
    parts = [
        "neo4j-admin",
        "database",
        "import",
        "full",
        database,
        f"--array-delimiter={Neo4jTarget.ARRAY_DELIMITER}",
        "--multiline-fields=true",
        "--id-type=string",
    ]
    for sheet in sorted(sheets, key=lambda s: (s.kind, str(s.path))):
        if sheet.rows:
            flag = "--nodes" if sheet.kind == "node" else "--relationships"
            parts.append(f"{flag}={sheet.name}={sheet.path.resolve()}")
    return " ".join(shlex.quote(p) for p in parts)
