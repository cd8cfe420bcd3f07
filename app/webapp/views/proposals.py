"""Proposals: reviewers approve or reject the curators' ontology edits; approval applies the
edit, re-maps the affected studies in the graph and offers to regenerate their QA. Below, the
ontology's full change history with diffs and restore."""

from __future__ import annotations

import streamlit as st

from cxrkg.app.collab import Collab, CollabError
from cxrkg.app.users import allowed, same_user
from cxrkg.app.webapp import data, widgets
from cxrkg.cypher.store import StoreError
from cxrkg.ontology import curation
from cxrkg.ontology.curation import CurationError, Edit

user = data.user_sidebar()  # first: nothing shows before the sign-in
st.title("Ontology proposals")
collab = Collab()
is_reviewer = allowed(user.role, "review")
if not is_reviewer:
    st.caption(f"{user.name} is a {user.role}: only reviewers approve or reject proposals.")

wanted = st.query_params.get("proposal")
pending = collab.proposals("pending")
st.subheader(f"Pending ({len(pending)})")
if not pending:
    st.caption("Nothing waiting for review.")
for p in pending:
    with st.expander(
        f"#{p.id} {p.summary} — by {p.author}", expanded=wanted == str(p.id) or len(pending) == 1
    ):
        st.markdown(f"**Reason:** {p.reason}  \nproposed {p.created}")
        try:
            pv = curation.preview(None, Edit.from_json(p.edit))
            if pv.problems:
                st.error(
                    "Applying it now would make the ontology invalid:\n\n"
                    + "\n".join(f"- {x}" for x in pv.problems)
                )
            widgets.show_diff([c.to_json() for c in pv.before], [c.to_json() for c in pv.after])
        except CurationError as exc:
            st.error(f"It no longer applies to the current ontology: {exc}")
        note = st.text_input("Review note", key=f"note_{p.id}")
        c1, c2 = st.columns(2)
        own = same_user(user.name, p.author)
        can_review = is_reviewer and not own
        if is_reviewer and own:
            st.caption("You wrote this proposal; another reviewer must review it.")
        if c1.button(
            "Approve and apply", key=f"approve_{p.id}", type="primary", disabled=not can_review
        ):
            try:
                with st.spinner("Applying the edit and re-mapping the affected studies…"):
                    done = collab.approve(p.id, user.name, store=data.store(), note=note)
                st.session_state["just_approved"] = done.id
                st.rerun()
            except CollabError as exc:
                st.error(str(exc))
        if c2.button("Reject", key=f"reject_{p.id}", disabled=not can_review):
            try:
                collab.reject(p.id, user.name, note)
                st.rerun()
            except CollabError as exc:
                st.error(str(exc))
        st.markdown("**Discussion**")
        widgets.comment_thread(f"proposal:{p.id}", key=f"proposal_{p.id}")

decided = [p for p in reversed(collab.proposals()) if p.status != "pending"]
st.subheader(f"Decided ({len(decided)})")
for p in decided:
    icon = "✅" if p.status == "approved" else "❌"
    with st.expander(
        f"{icon} #{p.id} {p.summary} — {p.status} by {p.reviewer}",
        expanded=st.session_state.get("just_approved") == p.id,
    ):
        st.markdown(
            f"**Reason:** {p.reason} (by {p.author})  \n**Review:** {p.review_note or '—'}"
            f" ({p.reviewed})"
        )
        if p.status == "approved":
            st.markdown(
                f"**Re-mapped studies ({len(p.affected_studies)}):** "
                + (", ".join(p.affected_studies[:30]) or "none")
                + (" …" if len(p.affected_studies) > 30 else "")
            )
            if p.affected_studies and not p.qa_regenerated:
                if st.button(
                    f"Regenerate QA of {len(p.affected_studies)} studies",
                    key=f"regen_{p.id}",
                    disabled=not allowed(user.role, "regenerate_qa"),
                ):
                    try:
                        with st.spinner("Generating QA…"):
                            n = collab.regenerate_qa(p.id, user.name, data.store())
                        st.success(f"{n} questions regenerated.")
                    except CollabError as exc:
                        st.error(str(exc))
                    except StoreError as exc:
                        st.error(f"QA generation failed: {exc}")
            elif p.qa_regenerated:
                st.caption("QA regenerated for these studies.")
        widgets.comment_thread(f"proposal:{p.id}", key=f"proposal_{p.id}")

st.subheader("Change history")
records = curation.history()
if not records:
    st.caption("The ontology has not been changed here yet.")
for r in reversed(records):
    approved = f" · approved by {r.approved_by}" if r.approved_by else ""
    with st.expander(f"#{r.id} {r.when} · {r.user}{approved}: {r.summary}"):
        st.caption(f"reason: {r.reason} · version {r.version_before} → {r.version_after}")
        widgets.show_diff(r.before, r.after)
        if allowed(user.role, "restore") and st.button(
            f"Restore the version before this change ({r.version_before})", key=f"restore_{r.id}"
        ):
            reason = f"restore before change #{r.id}"
            try:
                with st.spinner("Restoring and re-mapping the graph…"):
                    studies = collab.restore(
                        r.version_before, user.name, reason=reason, store=data.store()
                    )
                st.success(f"Restored; {len(studies)} studies re-mapped.")
                st.rerun()
            except (CollabError, StoreError) as exc:
                st.error(str(exc))
