"""Validation of the ontology: structural checks (pure Python) and HermiT consistency (owlready2).

`validate_concepts` runs on a list of concepts, so a curation edit can be checked before it
is written; `validate_file` adds the OWL reasoner. Every problem names the concepts involved.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cxrkg.ontology.model import Concept, normalize

COMPOSITE_OPS = ("union", "intersection", "superbox")
LATERALITIES = ("left", "right", "bilateral")


@dataclass(frozen=True)
class Problem:
    check: str
    message: str
    concepts: tuple[str, ...] = ()
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        return f"[{self.check}] {self.message}"


@dataclass
class ValidationReport:
    path: str
    problems: list[Problem] = field(default_factory=list)
    reasoner: str = "not run"  # "consistent", "inconsistent", "skipped: ...", "not run"
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        lines = [
            f"{self.path}: {self.counts.get('findings', 0)} findings, "
            f"{self.counts.get('regions', 0)} regions",
            f"HermiT reasoner: {self.reasoner}",
        ]
        lines += [f"error {p}" for p in self.errors]
        lines += [f"warning {p}" for p in self.warnings]
        lines.append("valid" if self.ok else f"{len(self.errors)} error(s)")
        return "\n".join(lines)


def validate_concepts(concepts: Iterable[Concept]) -> list[Problem]:
    """All structural checks; an empty list means the concepts form a valid ontology."""
    concepts = list(concepts)
    problems: list[Problem] = []
    pools: dict[str, dict[str, Concept]] = {"finding": {}, "region": {}}
    for c in concepts:
        if c.kind not in pools:
            problems.append(Problem("kind", f"{c.name!r} has kind {c.kind!r}", (c.name,)))
            continue
        if c.name in pools[c.kind]:
            problems.append(
                Problem("unique-name", f"two {c.kind}s are named {c.name!r}", (c.name,))
            )
        pools[c.kind][c.name] = c
        if c.name != c.label.strip().lower():
            problems.append(
                Problem(
                    "name",
                    f"{c.kind} {c.name!r}: name is not its lower-case label {c.label!r}",
                    (c.name,),
                )
            )
    problems += _references(pools)
    problems += _cycles(pools["finding"], "is-a")
    problems += _cycles(pools["region"], "part-of")
    problems += _shared_synonyms(pools)
    problems += _categories(pools)
    problems += _composites(pools["region"])
    problems += _counterparts(pools["region"])
    return problems


def _references(pools: dict[str, dict[str, Concept]]) -> list[Problem]:
    out = []
    for kind, pool in pools.items():
        for c in pool.values():
            for p in c.parents:
                if p not in pool:
                    out.append(
                        Problem(
                            "reference",
                            f"{kind} {c.name!r} has parent {p!r}, which is not a {kind}",
                            (c.name, p),
                        )
                    )
                elif p == c.name:
                    out.append(Problem("cycle", f"{kind} {c.name!r} is its own parent", (c.name,)))
                elif pool[p].deprecated and not c.deprecated:
                    out.append(
                        Problem(
                            "deprecated-parent",
                            f"{kind} {c.name!r} has the deprecated parent {p!r}"
                            + (f"; use {pool[p].replaced_by!r}" if pool[p].replaced_by else ""),
                            (c.name, p),
                            severity="warning",
                        )
                    )
            for r in c.default_regions:
                if r not in pools["region"]:
                    out.append(
                        Problem(
                            "reference",
                            f"{kind} {c.name!r} has default region {r!r}, which is not a region",
                            (c.name, r),
                        )
                    )
            if c.deprecated and c.replaced_by is not None:
                target = pool.get(c.replaced_by)
                if target is None:
                    out.append(
                        Problem(
                            "reference",
                            f"deprecated {kind} {c.name!r} is replaced "
                            f"by {c.replaced_by!r}, which does not exist",
                            (c.name, c.replaced_by),
                        )
                    )
                elif target.deprecated:
                    out.append(
                        Problem(
                            "reference",
                            f"deprecated {kind} {c.name!r} is replaced "
                            f"by {target.name!r}, which is deprecated too",
                            (c.name, target.name),
                        )
                    )
            if not c.deprecated and c.replaced_by:
                out.append(
                    Problem(
                        "reference",
                        f"{kind} {c.name!r} has a replacement but is not deprecated",
                        (c.name,),
                    )
                )
    return out


def _cycles(pool: dict[str, Concept], relation: str) -> list[Problem]:
    """Every cycle of the parent relation, each reported once with its members in order."""
    out: list[Problem] = []
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    reported: set[frozenset[str]] = set()

    for root in sorted(pool):
        if state.get(root):
            continue
        stack: list[tuple[str, list[str]]] = [
            (root, sorted(p for p in pool[root].parents if p in pool))
        ]
        path = [root]
        state[root] = 1
        while stack:
            node, todo = stack[-1]
            if not todo:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            nxt = todo.pop()
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :] + [nxt]
                key = frozenset(cycle)
                if key not in reported and len(cycle) > 2:
                    reported.add(key)
                    out.append(
                        Problem(
                            "cycle", f"{relation} cycle: " + " -> ".join(cycle), tuple(cycle[:-1])
                        )
                    )
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, sorted(p for p in pool[nxt].parents if p in pool)))
    return out


def _shared_synonyms(pools: dict[str, dict[str, Concept]]) -> list[Problem]:
    out = []
    owners: dict[tuple[str, str], set[str]] = {}
    for kind, pool in pools.items():
        for c in pool.values():
            if c.deprecated:
                continue
            for s in {normalize(x) for x in c.surface_forms}:
                if s:
                    owners.setdefault((kind, s), set()).add(c.name)
    for (kind, form), names in sorted(owners.items()):
        if len(names) > 1:
            out.append(
                Problem(
                    "shared-synonym",
                    f"the {kind} surface form {form!r} belongs to "
                    f"{len(names)} concepts: {', '.join(sorted(names))}",
                    tuple(sorted(names)),
                )
            )
    # A form that is both a finding and a region is legal (lookups by kind are unambiguous),
    # but a lookup without a kind silently prefers the finding: worth a curator's look.
    for (kind, form), names in sorted(owners.items()):
        regions = owners.get(("region", form)) if kind == "finding" else None
        if regions:
            out.append(
                Problem(
                    "shared-synonym",
                    f"{form!r} is a finding ({', '.join(sorted(names))}) and a region "
                    f"({', '.join(sorted(regions))}); lookups without a kind return the finding",
                    tuple(sorted(names | regions)),
                    severity="warning",
                )
            )
    return out


def _categories(pools: dict[str, dict[str, Concept]]) -> list[Problem]:
    return [
        Problem("category", f"{kind} {c.name!r} has no category", (c.name,))
        for kind, pool in pools.items()
        for c in pool.values()
        if not c.categories
    ]


def _composites(pool: dict[str, Concept]) -> list[Problem]:
    out = []
    for c in pool.values():
        if not c.composite:
            continue
        op, parts = c.composite
        if op not in COMPOSITE_OPS:
            out.append(
                Problem(
                    "composite",
                    f"region {c.name!r}: unknown composite operation "
                    f"{op!r} (use {', '.join(COMPOSITE_OPS)})",
                    (c.name,),
                )
            )
        if len(parts) < 2:
            out.append(
                Problem(
                    "composite",
                    f"region {c.name!r}: a composite needs two or more parts, has {list(parts)}",
                    (c.name,),
                )
            )
        for p in parts:
            if p not in pool:
                out.append(
                    Problem(
                        "composite",
                        f"region {c.name!r} is made of {p!r}, which is not a region",
                        (c.name, p),
                    )
                )
            elif p == c.name:
                out.append(Problem("composite", f"region {c.name!r} is made of itself", (c.name,)))
    return out


def _counterparts(pool: dict[str, Concept]) -> list[Problem]:
    out = []
    for c in pool.values():
        if c.laterality is not None and c.laterality not in LATERALITIES:
            out.append(
                Problem(
                    "laterality", f"region {c.name!r} has laterality {c.laterality!r}", (c.name,)
                )
            )
        if c.counterpart is None:
            continue
        other = pool.get(c.counterpart)
        if other is None:
            out.append(
                Problem(
                    "counterpart",
                    f"region {c.name!r} has counterpart {c.counterpart!r}, which is not a region",
                    (c.name, c.counterpart),
                )
            )
        elif other.counterpart != c.name:
            out.append(
                Problem(
                    "counterpart",
                    f"region {c.name!r} has counterpart "
                    f"{other.name!r}, but {other.name!r} has counterpart "
                    f"{other.counterpart!r}",
                    (c.name, other.name),
                )
            )
        elif {c.laterality, other.laterality} != {"left", "right"}:
            out.append(
                Problem(
                    "counterpart",
                    f"counterparts {c.name!r} ({c.laterality}) and "
                    f"{other.name!r} ({other.laterality}) are not left and right",
                    (c.name, other.name),
                )
            )
    return out


# ------------------------------------------------------------------------------------
# HermiT through owlready2
# ------------------------------------------------------------------------------------
def java_available() -> bool:
    return shutil.which("java") is not None


def run_hermit(path: Path) -> tuple[str, list[Problem]]:
    """Load the OWL file into a fresh owlready2 world and classify it with HermiT."""
    if not java_available():
        return "skipped: Java is not installed (HermiT needs a `java` on PATH)", []
    import owlready2

    world = owlready2.World()
    try:
        onto = world.get_ontology(Path(path).resolve().as_uri()).load()
    except Exception as exc:  # owlready2 raises parser-specific errors
        return "not run", [Problem("owl", f"owlready2 cannot load {path}: {exc}")]
    try:
        with onto:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError as exc:
        return "inconsistent", [Problem("hermit", f"the ontology is inconsistent: {exc}")]
    except owlready2.OwlReadyJavaError as exc:
        return "failed", [Problem("hermit", f"HermiT failed: {str(exc)[-500:]}")]
    unsat = [c for c in world.inconsistent_classes() if c is not owlready2.Nothing]
    problems = [
        Problem("hermit", f"class {c.iri} ({_label(c)}) is unsatisfiable", (_label(c),))
        for c in unsat
    ]
    return ("consistent" if not problems else "unsatisfiable classes"), problems


def _label(entity: object) -> str:
    labels = list(getattr(entity, "prefLabel", []) or getattr(entity, "label", []) or [])
    return str(labels[0]) if labels else str(getattr(entity, "name", entity))


def validate_file(path: Path | None = None, *, reasoner: bool = True) -> ValidationReport:
    """Structural checks, and HermiT consistency unless `reasoner` is False."""
    from cxrkg.ontology.files import default_path
    from cxrkg.ontology.owl_io import OntologyFileError, read_owl

    path = Path(path) if path else default_path()
    report = ValidationReport(str(path))
    try:
        concepts, _meta = read_owl(path)
    except (OntologyFileError, OSError) as exc:
        report.problems.append(Problem("file", str(exc)))
        return report
    report.counts = {
        "findings": sum(c.kind == "finding" for c in concepts),
        "regions": sum(c.kind == "region" for c in concepts),
    }
    report.problems += validate_concepts(concepts)
    if reasoner:
        report.reasoner, found = run_hermit(path)
        report.problems += found
    return report
