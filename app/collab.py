"""Clinicians' collaboration on the ontology: proposals reviewed by a second user, comment
threads and watches, stored as JSON under `settings.curation_dir/collab/`.

    p = propose(Edit("add_synonym", "finding", "pleural effusion", {"synonym": "pl eff"}),
                user="dr a", reason="common in our reports")
    approve(p.id, reviewer="dr b", store=store)   # applies it, re-maps the affected studies

An edit is validated by the ontology library when proposed and again when approved (the
ontology may have changed in between); only `curation.apply` ever writes the ontology.
Roles are enforced here, whoever calls: a viewer cannot propose, only a reviewer or admin
reviews, and never a proposal of their own.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cxrkg.app.users import Directory, allowed, same_user
from cxrkg.config import Settings, get_settings
from cxrkg.cypher.store import GraphStore, StoreError
from cxrkg.ontology import curation
from cxrkg.ontology.curation import CurationError, Edit


class CollabError(ValueError):
    """Something a user asked for that is not allowed or not possible; the message says why."""


@dataclass
class Proposal:
    id: int
    edit: dict[str, Any]
    summary: str
    reason: str
    author: str
    created: str
    status: str = "pending"  # pending, approved, rejected, failed
    reviewer: str | None = None
    review_note: str = ""
    reviewed: str | None = None
    change_id: int | None = None
    affected_studies: list[str] = field(default_factory=list)
    qa_regenerated: bool = False

    @property
    def concept(self) -> str:
        return concept_key(self.edit["kind"], self.edit["name"])

    def touches(self) -> set[str]:
        """Concept keys this proposal changes (merge and deprecate touch the target too)."""
        e = self.edit
        keys = {self.concept}
        for arg in ("into", "replaced_by"):
            if e["args"].get(arg):
                keys.add(concept_key(e["kind"], e["args"][arg]))
        return keys


@dataclass
class Comment:
    id: int
    target: str  # "finding:pleural effusion", "region:left lung" or "proposal:3"
    user: str
    text: str
    when: str


def concept_key(kind: str, name: str) -> str:
    return f"{kind}:{name}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Collab:
    """Proposals, comments and watches of one curation folder."""

    def __init__(self, settings: Settings | None = None, folder: Path | None = None):
        self.settings = settings or get_settings()
        self.folder = folder or self.settings.curation_dir / "collab"
        self.directory = Directory(self.settings)

    # -- storage: one JSON file per kind, rewritten atomically under a lock -------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _load(self, name: str, default: Any) -> Any:
        path = self.folder / f"{name}.json"
        if not path.is_file():
            return default
        return json.loads(path.read_text(encoding="utf-8"))

    def _save(self, name: str, data: Any) -> None:
        path = self.folder / f"{name}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)

    # -- users --------------------------------------------------------------------------
    def role(self, user: str) -> str:
        role = self.directory.role(user)
        if role is None:
            raise CollabError(
                f"{user!r} is not a user of this app; add them with `cxrkg users add` (or to"
                " [cxrkg] users in config.toml for sign-in through an identity provider)"
            )
        return role

    def _require(self, user: str, action: str, doing: str) -> None:
        role = self.role(user)
        if not allowed(role, action):
            raise CollabError(f"{user} is a {role}; a {role} cannot {doing}")

    # -- proposals ------------------------------------------------------------------------
    def proposals(self, status: str | None = None) -> list[Proposal]:
        items = [Proposal(**p) for p in self._load("proposals", [])]
        return [p for p in items if status is None or p.status == status]

    def proposal(self, proposal_id: int) -> Proposal:
        for p in self.proposals():
            if p.id == proposal_id:
                return p
        raise CollabError(f"no proposal #{proposal_id}")

    def _store_proposal(self, proposal: Proposal) -> None:
        items = [p for p in self._load("proposals", []) if p["id"] != proposal.id]
        items.append(asdict(proposal))
        self._save("proposals", sorted(items, key=lambda p: p["id"]))

    def propose(self, edit: Edit, user: str, reason: str) -> Proposal:
        """Validate the edit with the ontology library and hold it for review."""
        self._require(user, "propose", "propose ontology changes")
        if not reason.strip():
            raise CollabError("a proposal needs a reason: say why the ontology should change")
        problems = curation.validate_edit(None, edit)
        if problems:
            raise CollabError(
                f"{edit.describe()} would make the ontology invalid: "
                + "; ".join(str(p) for p in problems)
            )
        with self._locked():
            items = self._load("proposals", [])
            proposal = Proposal(
                id=max((p["id"] for p in items), default=0) + 1,
                edit=edit.to_json(),
                summary=edit.describe(),
                reason=reason.strip(),
                author=user,
                created=_now(),
            )
            self._store_proposal(proposal)
        return proposal

    def _review(self, proposal_id: int, reviewer: str) -> Proposal:
        self._require(reviewer, "review", "approve or reject proposals")
        p = self.proposal(proposal_id)
        if p.status != "pending":
            raise CollabError(f"proposal #{p.id} is already {p.status}")
        if same_user(p.author, reviewer):
            raise CollabError(
                f"{reviewer} wrote proposal #{p.id}: a proposal must be reviewed by someone"
                " other than its author"
            )
        return p

    def approve(
        self, proposal_id: int, reviewer: str, *, store: GraphStore | None = None, note: str = ""
    ) -> Proposal:
        """Apply the edit to the ontology (logged under the author, with the reviewer named),
        then, given a store, mirror the ontology into the graph and record the studies whose
        observations or regions were re-mapped."""
        with self._locked():
            p = self._review(proposal_id, reviewer)
            edit = Edit.from_json(p.edit)
            try:
                record = curation.apply(
                    None,
                    edit,
                    user=p.author,
                    reason=f"{p.reason} (approved by {reviewer})",
                    approved_by=reviewer,
                )
            except CurationError as exc:
                raise CollabError(f"proposal #{p.id} cannot be applied now: {exc}") from exc
            p.status, p.reviewer, p.review_note, p.reviewed = "approved", reviewer, note, _now()
            p.change_id = record.id
            self._store_proposal(p)
        if store is not None:
            try:
                p.affected_studies = remap(store)
            except StoreError as exc:
                raise CollabError(
                    f"proposal #{p.id} is approved and in the ontology, but the graph could not"
                    f" be re-mapped ({exc}); run `cxrkg ontology sync` once the store is back"
                ) from exc
            with self._locked():
                self._store_proposal(p)
        return p

    def reject(self, proposal_id: int, reviewer: str, note: str) -> Proposal:
        if not note.strip():
            raise CollabError("say why the proposal is rejected, so its author can revise it")
        with self._locked():
            p = self._review(proposal_id, reviewer)
            p.status, p.reviewer, p.review_note, p.reviewed = "rejected", reviewer, note, _now()
            self._store_proposal(p)
        return p

    def regenerate_qa(self, proposal_id: int, user: str, store: GraphStore) -> int:
        """Regenerate the QA of the studies an approved proposal re-mapped; questions written."""
        self._require(user, "regenerate_qa", "regenerate QA")
        p = self.proposal(proposal_id)
        if p.status != "approved":
            raise CollabError(f"proposal #{p.id} is {p.status}; only approved ones re-map studies")
        written = regenerate_qa(store, p.affected_studies)
        with self._locked():
            p = self.proposal(proposal_id)
            p.qa_regenerated = True
            self._store_proposal(p)
        return written

    def restore(
        self, version: str, user: str, *, reason: str, store: GraphStore | None = None
    ) -> list[str]:
        """Bring an earlier ontology version back (logged under `user`), then re-map the graph;
        the studies whose links changed."""
        self._require(user, "restore", "restore ontology versions")
        try:
            curation.restore(version, user=user, reason=reason)
        except CurationError as exc:
            raise CollabError(str(exc)) from exc
        return remap(store) if store is not None else []

    # -- comments -------------------------------------------------------------------------
    def comments(self, target: str) -> list[Comment]:
        return [Comment(**c) for c in self._load("comments", []) if c["target"] == target]

    def comment(self, target: str, user: str, text: str) -> Comment:
        self._require(user, "comment", "comment")
        if not text.strip():
            raise CollabError("a comment needs some text")
        with self._locked():
            items = self._load("comments", [])
            c = Comment(len(items) + 1, target, user, text.strip(), _now())
            items.append(asdict(c))
            self._save("comments", items)
        return c

    # -- watches --------------------------------------------------------------------------
    def watched(self, user: str) -> list[str]:
        return list(self._load("watches", {}).get(user, []))

    def watch(self, user: str, target: str, on: bool = True) -> None:
        self._require(user, "watch", "watch concepts")
        with self._locked():
            data = self._load("watches", {})
            have = [t for t in data.get(user, []) if t != target]
            data[user] = sorted([*have, target] if on else have)
            self._save("watches", data)

    def feed(self, user: str, limit: int = 50) -> list[dict[str, Any]]:
        """What happened to the concepts a user watches: applied changes, proposals, comments;
        newest first."""
        watched = set(self.watched(user))
        if not watched:
            return []
        events: list[dict[str, Any]] = []
        for rec in curation.history():
            keys = {concept_key(rec.kind, rec.concept)}
            keys |= {
                concept_key(rec.kind, rec.args[a])
                for a in ("into", "replaced_by")
                if rec.args.get(a)
            }
            if keys & watched:
                events.append(
                    {
                        "when": rec.when,
                        "concept": rec.concept,
                        "what": f"changed: {rec.summary}",
                        "user": rec.user,
                        "reason": rec.reason,
                    }
                )
        for p in self.proposals():
            if p.touches() & watched and p.status in ("pending", "rejected"):
                events.append(
                    {
                        "when": p.reviewed or p.created,
                        "concept": p.edit["name"],
                        "what": f"proposal #{p.id} {p.status}: {p.summary}",
                        "user": p.reviewer or p.author,
                        "reason": p.review_note or p.reason,
                    }
                )
        for c in self._load("comments", []):
            if c["target"] in watched:
                events.append(
                    {
                        "when": c["when"],
                        "concept": c["target"].split(":", 1)[1],
                        "what": "comment",
                        "user": c["user"],
                        "reason": c["text"],
                    }
                )
        return sorted(events, key=lambda e: e["when"], reverse=True)[:limit]


def remap(store: GraphStore) -> list[str]:
    """Mirror the (curated) ontology into the graph; the studies whose links changed."""
    from cxrkg.ontology import load_ontology
    from cxrkg.ontology.sync import sync_ontology

    return list(sync_ontology(store, load_ontology()).affected_studies)


def regenerate_qa(store: GraphStore, study_ids: list[str]) -> int:
    """Regenerate and rewrite the QA of these studies in the graph; questions written."""
    from cxrkg.qa_gen.generate import generate_qa

    if not study_ids:
        return 0
    return generate_qa(store, study_ids, None, write_graph=True).written_to_graph
