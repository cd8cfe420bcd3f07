"""Curation of the ontology as a library: edits as data, validated, written atomically, logged.

    from cxrkg.ontology import curation
    rec = curation.add_synonym(None, "dr smith", "common in our reports",
                               kind="finding", name="pleural effusion", synonym="pl eff")
    curation.history()                # every change, oldest first
    curation.restore(rec.version_before, user="dr smith", reason="undo")

`path=None` edits the users' curated copy `<curation_dir>/cxrkg.owl` (copied from the bundled
file on the first edit; `load_ontology()` prefers it from then on), unless CXRKG_ONTOLOGY_PATH
names another file. Each edit is an `Edit` (plain data, JSON round-trip) applied by the pure
`apply_edit`; `preview` validates an edit without writing it, so a propose -> approve
workflow can hold edits and apply them later. The change log `<stem>.changes.jsonl` beside the
OWL file is append-only; `<stem>.versions/<version>.owl` keeps every version's exact bytes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cxrkg.config import get_settings
from cxrkg.ontology.files import BUNDLED, atomic_write, content_hash, curated_path
from cxrkg.ontology.loader import load_ontology, prime_cache
from cxrkg.ontology.model import Concept, normalize
from cxrkg.ontology.owl_io import canonical, new_iri, read_owl, render_owl
from cxrkg.ontology.validation import Problem, validate_concepts

OPS = ("add_concept", "rename", "add_synonym", "remove_synonym", "reparent", "merge", "deprecate")


class CurationError(ValueError):
    """An edit that cannot be applied or would make the ontology invalid."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        self.problems = problems or []
        detail = "".join(f"\n  {p}" for p in self.problems)
        super().__init__(message + detail)


@dataclass(frozen=True)
class Edit:
    """One curation operation. `args` depend on `op`:

    add_concept: label, parents, categories, subcategories, synonyms, default_regions,
                 is_device, laterality, counterpart, has_box, composite [op, parts], codes
    rename: new_label, keep_old (bool)     add_synonym / remove_synonym: synonym
    reparent: parents                      merge: into (the survivor)
    deprecate: replaced_by (or None)
    """

    op: str
    kind: str
    name: str
    args: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"op": self.op, "kind": self.kind, "name": self.name, "args": self.args}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Edit:
        return cls(data["op"], data["kind"], data["name"], dict(data.get("args") or {}))

    def describe(self) -> str:
        a = self.args
        return {
            "add_concept": f"add {self.kind} {self.name!r}",
            "rename": f"rename {self.kind} {self.name!r} to {a.get('new_label')!r}",
            "add_synonym": f"add synonym {a.get('synonym')!r} to {self.name!r}",
            "remove_synonym": f"remove synonym {a.get('synonym')!r} from {self.name!r}",
            "reparent": f"set the parents of {self.name!r} to {a.get('parents')}",
            "merge": f"merge {self.kind} {self.name!r} into {a.get('into')!r}",
            "deprecate": f"deprecate {self.kind} {self.name!r}"
            + (f" (replaced by {a['replaced_by']!r})" if a.get("replaced_by") else ""),
        }.get(self.op, f"{self.op} {self.name!r}")


@dataclass(frozen=True)
class ChangeRecord:
    """One line of the change log."""

    id: int
    when: str
    user: str
    op: str
    kind: str
    concept: str
    summary: str
    reason: str
    version_before: str
    version_after: str
    args: dict[str, Any] = field(default_factory=dict)
    approved_by: str = ""  # the signed-in reviewer who applied a proposal (app/collab.py)
    before: list[dict[str, Any]] = field(default_factory=list)  # changed concepts, before
    after: list[dict[str, Any]] = field(default_factory=list)  # and after

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Preview:
    """What an edit would do, without writing it."""

    edit: Edit
    ok: bool
    problems: list[Problem]
    before: list[Concept]
    after: list[Concept]
    concepts: list[Concept]  # the whole ontology after the edit


# ------------------------------------------------------------------------------------
# pure edits
# ------------------------------------------------------------------------------------
def _index(concepts: list[Concept]) -> dict[tuple[str, str], Concept]:
    return {(c.kind, c.name): c for c in concepts}


def _require(idx: dict[tuple[str, str], Concept], kind: str, name: str) -> Concept:
    c = idx.get((kind, name))
    if c is None:
        raise CurationError(f"there is no {kind} named {name!r}")
    return c


def _rename_refs(c: Concept, kind: str, old: str, new: str) -> Concept:
    """References from `c` to the `kind` concept `old` now point at `new`."""

    def sub(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(new if n == old else n for n in names))

    changes: dict[str, Any] = {}
    if c.kind == kind:
        changes["parents"] = tuple(p for p in sub(c.parents) if p != c.name)
        if c.counterpart == old:
            changes["counterpart"] = new
        if c.replaced_by == old:
            changes["replaced_by"] = new
        if c.composite:
            changes["composite"] = (c.composite[0], sub(c.composite[1]))
    if kind == "region":
        changes["default_regions"] = sub(c.default_regions)
    return replace(c, **changes)


def apply_edit(concepts: list[Concept], edit: Edit) -> list[Concept]:
    """The concepts after `edit` (pure; raises CurationError when it cannot apply)."""
    if edit.op not in OPS:
        raise CurationError(f"unknown curation operation {edit.op!r}; use one of {OPS}")
    if edit.kind not in ("finding", "region"):
        raise CurationError(f"kind must be 'finding' or 'region', not {edit.kind!r}")
    idx = _index(concepts)
    a = edit.args
    kind, name = edit.kind, edit.name

    if edit.op == "add_concept":
        label = str(a.get("label") or name).strip()
        new_name = label.lower()
        if not new_name:
            raise CurationError("a new concept needs a label")
        if (kind, new_name) in idx:
            raise CurationError(f"a {kind} named {new_name!r} exists already")
        comp = a.get("composite")
        categories = tuple(a.get("categories") or ())
        concept = Concept(
            name=new_name,
            kind=kind,
            label=label,
            synonyms=tuple(a.get("synonyms") or ()),
            parents=tuple(a.get("parents") or ()),
            categories=categories,
            subcategories=tuple(a.get("subcategories") or ()),
            default_regions=tuple(a.get("default_regions") or ()),
            is_device=bool(
                a.get("is_device", bool({"DEVICE", "TUBES_AND_LINES"} & set(categories)))
            ),
            laterality=a.get("laterality"),
            counterpart=a.get("counterpart"),
            has_box=bool(a.get("has_box", False)),
            composite=(comp[0], tuple(comp[1])) if comp else None,
            codes=dict(a.get("codes") or {}),
            code_sources={k: "curator" for k in (a.get("codes") or {})},
            iri=new_iri(new_name, kind, (c.iri for c in concepts)),
            sources=("curation",),
            definition=str(a.get("definition") or ""),
        )
        out = list(concepts) + [concept]
        # A new left/right region's counterpart points back at it.
        if concept.counterpart and (kind, concept.counterpart) in idx:
            other = idx[(kind, concept.counterpart)]
            out = [replace(c, counterpart=new_name) if c is other else c for c in out]
        return out

    target = _require(idx, kind, name)
    if edit.op == "rename":
        new_label = str(a.get("new_label") or "").strip()
        new_name = new_label.lower()
        if not new_name:
            raise CurationError("rename needs a new label")
        if new_name != name and (kind, new_name) in idx:
            raise CurationError(f"a {kind} named {new_name!r} exists already")
        synonyms = tuple(s for s in target.synonyms if normalize(s) != normalize(new_label))
        if a.get("keep_old", True) and normalize(target.label) != normalize(new_label):
            synonyms += (target.label,)
        renamed = replace(target, name=new_name, label=new_label, synonyms=synonyms)
        return [renamed if c is target else _rename_refs(c, kind, name, new_name) for c in concepts]
    if edit.op == "add_synonym":
        syn = str(a.get("synonym") or "").strip()
        if not normalize(syn):
            raise CurationError("the synonym is empty")
        if normalize(syn) in {normalize(s) for s in target.surface_forms}:
            raise CurationError(f"{name!r} already has the synonym {syn!r}")
        return [replace(c, synonyms=c.synonyms + (syn,)) if c is target else c for c in concepts]
    if edit.op == "remove_synonym":
        syn = str(a.get("synonym") or "")
        if syn not in target.synonyms:
            raise CurationError(f"{name!r} has no synonym {syn!r}; it has {list(target.synonyms)}")
        return [
            replace(c, synonyms=tuple(s for s in c.synonyms if s != syn)) if c is target else c
            for c in concepts
        ]
    if edit.op == "reparent":
        parents = tuple(dict.fromkeys(a.get("parents") or ()))
        for p in parents:
            _require(idx, kind, p)
        return [replace(c, parents=parents) if c is target else c for c in concepts]
    if edit.op == "merge":
        into = str(a.get("into") or "")
        survivor = _require(idx, kind, into)
        if survivor is target:
            raise CurationError(f"cannot merge {name!r} into itself")
        if target.deprecated:
            raise CurationError(f"{name!r} is deprecated already")
        moved = tuple(
            s
            for s in target.surface_forms
            if normalize(s) not in {normalize(x) for x in survivor.surface_forms}
        )
        codes = {**target.codes, **survivor.codes}
        sources = {**target.code_sources, **survivor.code_sources}
        merged = replace(
            survivor,
            synonyms=survivor.synonyms + moved,
            parents=tuple(
                p for p in dict.fromkeys(survivor.parents + target.parents) if p not in (into, name)
            ),
            categories=tuple(dict.fromkeys(survivor.categories + target.categories)),
            subcategories=tuple(dict.fromkeys(survivor.subcategories + target.subcategories)),
            default_regions=tuple(dict.fromkeys(survivor.default_regions + target.default_regions)),
            codes=codes,
            code_sources=sources,
            sources=tuple(dict.fromkeys(survivor.sources + target.sources)),
        )
        # The merged-away concept stays, deprecated, with no labels of its own left to match.
        retired = replace(
            target,
            synonyms=(),
            deprecated=True,
            replaced_by=into,
            parents=(),
            counterpart=None,
            composite=None,
            default_regions=(),
        )
        out = []
        for c in concepts:
            if c is target:
                out.append(retired)
            elif c is survivor:
                out.append(merged)
            else:
                out.append(_rename_refs(c, kind, name, into))
        return out
    # deprecate
    replacement = a.get("replaced_by")
    if replacement is not None:
        _require(idx, kind, replacement)
    if target.deprecated:
        raise CurationError(f"{name!r} is deprecated already")
    return [
        replace(c, deprecated=True, replaced_by=replacement) if c is target else c for c in concepts
    ]


def _changed(before: list[Concept], after: list[Concept]) -> tuple[list[Concept], list[Concept]]:
    b = {c.iri: canonical(c) for c in before}
    a = {c.iri: canonical(c) for c in after}
    iris = sorted(set(a) | set(b))
    return (
        [b[i] for i in iris if i in b and b[i] != a.get(i)],
        [a[i] for i in iris if i in a and a[i] != b.get(i)],
    )


def preview_concepts(concepts: list[Concept], edit: Edit) -> Preview:
    """Apply `edit` in memory and validate the result; only problems it introduces count."""
    after = [canonical(c) for c in apply_edit(concepts, edit)]
    already = {str(p) for p in validate_concepts(concepts)}
    problems = [
        p for p in validate_concepts(after) if p.severity == "error" and str(p) not in already
    ]
    changed_before, changed_after = _changed(concepts, after)
    return Preview(edit, not problems, problems, changed_before, changed_after, after)


# ------------------------------------------------------------------------------------
# files: the curated copy, the log, the snapshots
# ------------------------------------------------------------------------------------
def editable_path(path: str | Path | None = None) -> Path:
    """The file edits go to; the first edit copies the bundled ontology to the curated copy."""
    if path is not None:
        return Path(path)
    settings = get_settings()
    if settings.ontology_path is not None:
        return Path(settings.ontology_path)
    curated = curated_path(settings)
    if not curated.is_file():
        curated.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(BUNDLED, curated)
    return curated


def log_path(path: Path) -> Path:
    return path.with_name(path.stem + ".changes.jsonl")


def versions_dir(path: Path) -> Path:
    return path.with_name(path.stem + ".versions")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer at a time per ontology file (the app may run several sessions)."""
    lock = path.with_name(path.name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _snapshot(path: Path, data: bytes) -> str:
    version = content_hash(data)
    snap = versions_dir(path) / f"{version}.owl"
    if not snap.is_file():
        atomic_write(snap, data)
    return version


def history(path: str | Path | None = None) -> list[ChangeRecord]:
    """Every logged change of the ontology file, oldest first."""
    path = Path(path) if path is not None else _current_path()
    log = log_path(path)
    if not log.is_file():
        return []
    records = []
    for n, line in enumerate(log.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(ChangeRecord(**json.loads(line)))
        except (ValueError, TypeError) as exc:
            raise CurationError(f"{log}: line {n} is not a change record: {exc}") from exc
    return records


def _read(path: Path) -> tuple[list[Concept], dict[str, str]]:
    """The file's concepts, through the loader's cache (keyed by content hash) when it can."""
    onto = load_ontology(path)
    return onto.concepts(), dict(onto.meta)


def _current_path() -> Path:
    from cxrkg.ontology.files import default_path

    return default_path()


def _append_log(path: Path, record: ChangeRecord) -> None:
    with open(log_path(path), "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record.to_json(), ensure_ascii=False, sort_keys=True) + "\n")
        fh.flush()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def preview(path: str | Path | None, edit: Edit) -> Preview:
    """Validate `edit` against the file without writing anything (a dry run)."""
    concepts, _meta = _read(Path(path) if path is not None else _current_path())
    return preview_concepts(concepts, edit)


def validate_edit(path: str | Path | None, edit: Edit) -> list[Problem]:
    """The problems `edit` would introduce (empty: it may be applied)."""
    try:
        return preview(path, edit).problems
    except CurationError as exc:
        return [Problem("edit", str(exc))]


def apply(
    path: str | Path | None, edit: Edit, user: str, reason: str, *, approved_by: str = ""
) -> ChangeRecord:
    """Validate, write atomically, snapshot and log one edit (`user` wrote it; `approved_by`
    applied it after review). Raises CurationError."""
    if not user.strip():
        raise CurationError("every change needs the user who makes it")
    target = editable_path(path)
    if target.suffix.lower() != ".owl":
        raise CurationError(
            f"{target}: curation edits RDF/XML .owl files; convert it first "
            "with `cxrkg ontology export --format owl --path ... --out x.owl`"
        )
    with _locked(target):
        data = target.read_bytes()
        concepts, meta = _read(target)
        result = preview_concepts(concepts, edit)
        if not result.ok:
            raise CurationError(
                f"{edit.describe()} would make the ontology invalid:", result.problems
            )
        text = render_owl(result.concepts, meta)
        version_before = _snapshot(target, data)
        version_after = _snapshot(target, text.encode("utf-8"))
        atomic_write(target, text)
        prime_cache(version_after, result.concepts, meta)
        record = ChangeRecord(
            id=len(history(target)) + 1,
            when=_now(),
            user=user,
            op=edit.op,
            kind=edit.kind,
            concept=edit.name,
            summary=edit.describe(),
            reason=reason,
            version_before=version_before,
            version_after=version_after,
            args=edit.args,
            before=[c.to_json() for c in result.before],
            after=[c.to_json() for c in result.after],
            approved_by=approved_by,
        )
        _append_log(target, record)
    return record


def restore(
    version_id: str, path: str | Path | None = None, *, user: str, reason: str = ""
) -> ChangeRecord:
    """Bring back an earlier version of the file exactly; the restore itself is logged."""
    target = editable_path(path)
    snaps = versions_dir(target)
    matches = sorted(snaps.glob(f"{version_id}*.owl")) if version_id else []
    if len(matches) != 1:
        known = sorted(p.stem for p in snaps.glob("*.owl"))
        raise CurationError(
            f"no single saved version {version_id!r} of {target}; "
            f"known versions: {', '.join(known) or 'none'}"
        )
    with _locked(target):
        data = matches[0].read_bytes()
        concepts, _meta = read_owl(matches[0])
        problems = [p for p in validate_concepts(concepts) if p.severity == "error"]
        if problems:
            raise CurationError(f"version {matches[0].stem} does not validate:", problems)
        before = target.read_bytes()
        version_before = _snapshot(target, before)
        atomic_write(target, data)
        record = ChangeRecord(
            id=len(history(target)) + 1,
            when=_now(),
            user=user,
            op="restore",
            kind="",
            concept="",
            summary=f"restore version {matches[0].stem}",
            reason=reason,
            version_before=version_before,
            version_after=content_hash(data),
        )
        _append_log(target, record)
    return record


# ------------------------------------------------------------------------------------
# one function per operation (what the Streamlit pages call)
# ------------------------------------------------------------------------------------
def add_concept(
    path: str | Path | None, user: str, reason: str, *, kind: str, label: str, **fields: Any
) -> ChangeRecord:
    return apply(
        path,
        Edit("add_concept", kind, label.strip().lower(), {"label": label, **fields}),
        user,
        reason,
    )


def rename(
    path: str | Path | None,
    user: str,
    reason: str,
    *,
    kind: str,
    name: str,
    new_label: str,
    keep_old: bool = True,
) -> ChangeRecord:
    return apply(
        path,
        Edit("rename", kind, name, {"new_label": new_label, "keep_old": keep_old}),
        user,
        reason,
    )


def add_synonym(
    path: str | Path | None, user: str, reason: str, *, kind: str, name: str, synonym: str
) -> ChangeRecord:
    return apply(path, Edit("add_synonym", kind, name, {"synonym": synonym}), user, reason)


def remove_synonym(
    path: str | Path | None, user: str, reason: str, *, kind: str, name: str, synonym: str
) -> ChangeRecord:
    return apply(path, Edit("remove_synonym", kind, name, {"synonym": synonym}), user, reason)


def reparent(
    path: str | Path | None, user: str, reason: str, *, kind: str, name: str, parents: list[str]
) -> ChangeRecord:
    return apply(path, Edit("reparent", kind, name, {"parents": list(parents)}), user, reason)


def merge(
    path: str | Path | None, user: str, reason: str, *, kind: str, name: str, into: str
) -> ChangeRecord:
    return apply(path, Edit("merge", kind, name, {"into": into}), user, reason)


def deprecate(
    path: str | Path | None,
    user: str,
    reason: str,
    *,
    kind: str,
    name: str,
    replaced_by: str | None = None,
) -> ChangeRecord:
    return apply(path, Edit("deprecate", kind, name, {"replaced_by": replaced_by}), user, reason)
