"""The readers' fuzz harness (issue 11): hostile variations of real inputs through the QBA,
ImaGenome and report readers and the loader into a real FalkorDB, counting

- tracebacks: an exception out of a reader or the loader, or a study a reader rejected as
  its own bug (`raw.INTERNAL_ERROR`);
- silent changes: a study the reader accepted that reads back from the graph different
  from what was accepted;
- damage: a stored study changed by a study that was rejected.

Each case starts from files the readers accept (demo QBA studies, the ImaGenome test files,
a small report CSV) and applies one to three hypothesis-drawn mutations: a value anywhere in
the JSON replaced by a hostile one (NaN, 10**30, a lone surrogate, a NUL, ids with `/`,
nesting thousands deep, ...), a key deleted or renamed, the bytes truncated or corrupted,
for CSV rows of quotes, commas, newlines and overlong fields. The mutated study shares its id
with a study already stored, so a rejection that damaged the store would show.

`tests/test_fuzz_readers.py` runs a fixed small budget; `bench/fuzz_readers.py` a larger one.
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as fixed_seed
from hypothesis import strategies as st

from cxrkg.app.demo import demo_dir
from cxrkg.cypher.store import GraphStore
from cxrkg.ingest.graph_read import StudyNotFound, read_scene_graph
from cxrkg.ingest.load import IngestError, load_scene_graphs
from cxrkg.ingest.model import Rejected, SceneGraph
from cxrkg.ingest.sources.imagenome import ImaGenomeSource
from cxrkg.ingest.sources.qba import QBASource
from cxrkg.ingest.sources.raw import INTERNAL_ERROR
from cxrkg.ingest.sources.reports import ReportSourceError, report_scene_graphs

DATA = Path(__file__).parent / "data"
QBA_SEEDS = ("p10/p10000001/s50000001", "p10/p10000004/s50000008")
REPORT_CSV = (
    "study_id,patient_id,report\n"
    's70000001,p70000001,"FINDINGS: There is a small left pleural effusion. No pneumothorax.\n'
    'IMPRESSION: Small left effusion."\n'
    "s70000002,p70000002,FINDINGS: Lungs are clear. Heart size is normal.\n"
)

# -- hostile values ---------------------------------------------------------------------------
HOSTILE = [
    float("nan"),
    float("inf"),
    float("-inf"),
    1e308,
    0.1 + 0.2,
    -0.0,
    10**30,
    2**63,
    -(2**63) - 1,
    77056,
    True,
    False,
    None,
    "",
    "\ud800",
    "a\x00b",
    "sev:erity",
    "../../../../outside",
    "/etc/passwd",
    "..",
    "x" * 300,
    "s50000002",  # another study's id
    "50000002-01-pa",  # another study's image id
    "O01",
    "S01",
    [],
    {},
    [[1, 2, 3, 4]],
]
scalars = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cs", "Cc", "Zl", "Zp"]), max_size=3),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _deep(depth: int) -> str:
    """A stand-in for `depth` nested lists, expanded in the JSON text (json.dumps itself
    cannot write thousands of levels)."""
    return f"__deep_{depth}__"


def _expand_deep(raw: bytes) -> bytes:
    for depth in (63, 65, 900, 5000, 200_000):
        marker = f'"{_deep(depth)}"'.encode()
        raw = raw.replace(marker, b"[" * depth + b"0" + b"]" * depth)
    return raw


def _paths(value: Any) -> list[tuple]:
    out: list[tuple] = []
    stack: list[tuple[tuple, Any]] = [((), value)]
    while stack:
        prefix, v = stack.pop()
        out.append(prefix)
        if isinstance(v, dict):
            stack += [((*prefix, k), x) for k, x in v.items()]
        elif isinstance(v, list):
            stack += [((*prefix, i), x) for i, x in enumerate(v)]
    return sorted(out, key=lambda p: [str(x) for x in p])


def _parent(doc: Any, path: tuple) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


def mutate_json(data: st.DataObject, doc: Any) -> tuple[bytes, list[str]]:
    """1-3 structural mutations of a JSON document, then maybe a byte-level one."""
    notes: list[str] = []
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = paths[data.draw(st.integers(0, len(paths) - 1), label="path")]
        parent = _parent(doc, path)
        op = data.draw(
            st.sampled_from(["set", "set", "set", "deep", "delete", "rename"]), label="op"
        )
        if op == "set":
            # a copy: the sampled constants ([], {}, ...) must not be changed by later steps
            parent[path[-1]] = copy.deepcopy(data.draw(values, label="value"))
        elif op == "deep":
            depth = data.draw(st.sampled_from([63, 65, 900, 5000, 200_000]), label="depth")
            parent[path[-1]] = _deep(depth)
        elif op == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            new_key = data.draw(
                st.sampled_from(["", "x:y", "\ud800", "other", "../k", "O99"])
                | st.text(max_size=6),
                label="key",
            )
            parent[new_key] = parent.pop(path[-1])
        notes.append(f"{op} {'.'.join(map(str, path))[:80]}")
    raw = _expand_deep(json.dumps(doc, ensure_ascii=True, allow_nan=True).encode())
    byte_op = data.draw(
        st.sampled_from(["none"] * 6 + ["truncate", "flip", "latin1"]), label="bytes"
    )
    if byte_op == "truncate":
        raw = raw[: data.draw(st.integers(0, len(raw)), label="cut")]
    elif byte_op == "flip":
        i = data.draw(st.integers(0, len(raw) - 1), label="at")
        raw = raw[:i] + bytes([raw[i] ^ data.draw(st.integers(1, 255), label="xor")]) + raw[i + 1 :]
    elif byte_op == "latin1":
        raw = raw.replace(b"effusion", "épanchement".encode("latin-1"), 1)
    if byte_op != "none":
        notes.append(byte_op)
    return raw, notes


csv_pieces = st.one_of(
    st.sampled_from(
        ['"', '""', ",", "\n", "\r\n", "\r", "s70000001", "s70000002", "../x", "\x00", "é"]
    ),
    st.text(max_size=20),
    st.integers(0, 3).map(lambda n: "y" * (131_072 + 10) if n == 0 else "word "),
)


def mutate_csv(data: st.DataObject, text: str) -> tuple[bytes, list[str]]:
    lines = text.split("\n")
    notes = []
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        # mostly the rows: a damaged header refuses the whole file (also counted)
        i = data.draw(st.sampled_from([0, *list(range(1, len(lines))) * 4]), label="line")
        j = data.draw(st.integers(0, len(lines[i])), label="col")
        piece = data.draw(csv_pieces, label="piece")
        lines[i] = lines[i][:j] + piece + lines[i][j:]
        notes.append(f"insert {piece[:10]!r} at {i}:{j}")
    raw = "\n".join(lines).encode("utf-8", "surrogatepass")
    return raw, notes


# -- the harness --------------------------------------------------------------------------------
@dataclass
class Tally:
    cases: int = 0
    accepted: int = 0
    rejected: int = 0
    inputs_refused: int = 0  # a whole file refused with a message (a CSV without its header)
    tracebacks: list[str] = field(default_factory=list)
    silent_changes: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)
    store_refusals: list[str] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)

    def line(self, reader: str) -> str:
        return (
            f"{reader}: {self.cases:,} cases, {self.accepted:,} studies accepted,"
            f" {self.rejected:,} rejected, {self.inputs_refused:,} files refused whole;"
            f" tracebacks {len(self.tracebacks)},"
            f" silent changes {len(self.silent_changes)}, stored studies damaged"
            f" {len(self.damaged)}"
        )


class Harness:
    """One reader's cases against one store; the baseline studies stay stored between cases."""

    def __init__(self, store: GraphStore, reader: str, work: Path):
        self.store, self.reader, self.work = store, reader, work
        self.tally = Tally()
        self._pipeline = None
        self.seeds: dict[str, bytes] = {}  # relative path -> seed bytes
        if reader == "qba":
            for rel in QBA_SEEDS:
                for suffix in (".scene_graph.json", ".metadata.json"):
                    self.seeds[rel + suffix] = (demo_dir() / f"{rel}{suffix}").read_bytes()
        elif reader == "imagenome":
            for f in sorted((DATA / "imagenome").glob("*_SceneGraph.json")):
                self.seeds[f.name] = f.read_bytes()
        else:
            self.seeds["reports.csv"] = REPORT_CSV.encode()
        self.baseline = self._restore(force=True)

    # -- files and reading -------------------------------------------------------------------
    def _write(self, files: dict[str, bytes]) -> Path:
        root = self.work / "case"
        shutil.rmtree(root, ignore_errors=True)
        for rel, raw in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(raw)
        return root

    def _read(self, root: Path) -> list[SceneGraph | Rejected]:
        if self.reader == "qba":
            return list(QBASource(root))
        if self.reader == "imagenome":
            return list(ImaGenomeSource(root))
        if self._pipeline is None:
            from cxrkg.ingest.extract.pipeline import ReportPipeline

            self._pipeline = ReportPipeline(use_embeddings=False)
        return list(report_scene_graphs(root / "reports.csv", self._pipeline))

    def _restore(self, force: bool = False) -> dict[str, dict[str, Any]]:
        """Empty the graph, load the seeds, and remember how they read back."""
        if force or getattr(self, "_dirty", True):
            self.store.clear()
            self.store.setup_schema()
            items = self._read(self._write(self.seeds))
            report = load_scene_graphs(self.store, items, progress=False)
            assert not report.rejected, report.summary()
            self._dirty = False
            return {sid: read_scene_graph(self.store, sid).model_dump() for sid in report.loaded}
        return self.baseline

    # -- one case -------------------------------------------------------------------------
    def case(self, data: st.DataObject) -> None:
        self.tally.cases += 1
        files = dict(self.seeds)
        target = data.draw(
            st.sampled_from(sorted(k for k in files if not k.endswith(".metadata.json"))),
            label="file",
        )
        if self.reader == "reports":
            raw, notes = mutate_csv(data, files[target].decode())
        else:
            raw, notes = mutate_json(data, json.loads(files[target]))
        files[target] = raw
        what = f"{self.reader} {target}: {'; '.join(notes)}"
        try:
            items = self._read(self._write(files))
            report = load_scene_graphs(self.store, items, progress=False)
        except (IngestError, ReportSourceError):
            # The command says what is wrong with the file and exits; nothing was written.
            self.tally.inputs_refused += 1
            self._check_baseline(what, set(), set())
            return
        except Exception as exc:  # noqa: BLE001 - counting them is the point
            self.tally.tracebacks.append(
                f"{what}: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=6)}"
            )
            self._dirty = True
            self.baseline = self._restore()
            return
        accepted = {i.study_id: i for i in items if isinstance(i, SceneGraph)}
        refused = report.rejected  # the readers' rejections and the loader's
        for r in refused:
            self.tally.rejected += 1
            self.tally.reasons[r.reason.split(":")[0][:60]] += 1
            if INTERNAL_ERROR in r.reason:
                self.tally.tracebacks.append(f"{what}: {r.describe()}")
            if "graph store refused" in r.reason:  # the model let through what the store won't
                self.tally.store_refusals.append(f"{what}: {r.describe()}")
        stored = set(report.loaded) | set(report.unchanged)
        self.tally.accepted += len(stored)
        for sid in stored:
            back = self._read_back(what, sid)
            if back != accepted[sid].model_dump():
                self.tally.silent_changes.append(f"{what}: study {sid} reads back differently")
        self._check_baseline(what, stored, {r.study_id for r in refused})
        if report.loaded:
            self._dirty = True
            self.baseline = self._restore()

    def _read_back(self, what: str, study_id: str) -> dict[str, Any] | None:
        try:
            return read_scene_graph(self.store, study_id).model_dump()
        except StudyNotFound:
            return None
        except Exception as exc:  # noqa: BLE001 - a stored study that cannot be read back
            self.tally.tracebacks.append(
                f"{what}: reading {study_id} back: {type(exc).__name__}: {exc}\n"
                + traceback.format_exc(limit=6)
            )
            return None

    def _check_baseline(self, what: str, stored: set[str], refused_ids: set[str | None]) -> None:
        for sid, before in self.baseline.items():
            if sid in stored:
                continue  # replaced by an accepted version, checked above
            now = self._read_back(what, sid)
            if now != before:
                cause = "rejected" if sid in refused_ids else "other"
                self.tally.damaged.append(f"{what}: stored study {sid} changed ({cause})")


def run(store: GraphStore, reader: str, budget: int, *, seed: int | None = None) -> Tally:
    """`budget` hypothesis cases of one reader: the same cases every run without a `seed`
    (the suite), others for each seed (the bench)."""
    with tempfile.TemporaryDirectory(prefix=f"cxrkg-fuzz-{reader}-") as tmp:
        harness = Harness(store, reader, Path(tmp))

        @settings(
            max_examples=budget,
            deadline=None,
            database=None,
            derandomize=seed is None,
            suppress_health_check=list(HealthCheck),
        )
        @given(st.data())
        def one(data: st.DataObject) -> None:
            harness.case(data)

        (one if seed is None else fixed_seed(seed)(one))()
        return harness.tally
