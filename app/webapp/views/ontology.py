"""Ontology: browse and search findings and anatomy; a concept's page with its labels,
hierarchy, codes and use in the graph; propose edits, watch it, discuss it, see its history."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cxrkg.app.collab import Collab, CollabError, concept_key
from cxrkg.app.users import allowed
from cxrkg.app.webapp import data, widgets
from cxrkg.ontology import curation, normalize
from cxrkg.ontology.curation import CurationError, Edit

user = data.user_sidebar()  # first: nothing shows before the sign-in
st.title("Ontology")
onto = widgets.ontology()
collab = Collab()

c1, c2 = st.columns([1, 3])
kind_label = c1.radio("Hierarchy", ["Findings", "Anatomy"], key="onto_kind", horizontal=True)
kind = "finding" if kind_label == "Findings" else "region"
pool = onto.findings if kind == "finding" else onto.regions
query = c2.text_input("Search labels and synonyms", key="onto_search", placeholder="effusion")

if query.strip():
    q = normalize(query)
    hits = sorted(
        n for n, c in pool.items() if any(q in normalize(f) for f in (c.name, *c.surface_forms))
    )
else:
    hits = sorted(pool)
st.caption(f"{len(hits)} of {len(pool)} {kind_label.lower()} concepts")

# The concept to show: ?concept= in the URL, a click in the hierarchy, or the picker.
url_concept = st.query_params.get("concept")
if url_concept and url_concept in pool and st.session_state.get("_url_concept") != url_concept:
    st.session_state["_url_concept"] = url_concept
    st.session_state["onto_concept"] = url_concept
if st.session_state.get("onto_concept") not in hits:
    st.session_state["onto_concept"] = hits[0] if hits else None
if not hits:
    st.info("No concept matches this search.")
    st.stop()


def hierarchy_markdown(
    roots: list[str], current: str, depth: int = 0, seen: set[str] | None = None
) -> list[str]:
    """The is-a (findings) or part-of (anatomy) tree as a nested list, the current concept bold."""
    seen = set() if seen is None else seen
    lines: list[str] = []
    for n in sorted(roots):
        if n in seen:  # a concept with two parents is listed under each, expanded once
            lines.append("  " * depth + f"- {n} ↑")
            continue
        seen.add(n)
        c = pool.get(n)
        text = f"**{n}**" if n == current else n
        if c is not None and c.deprecated:
            text = f"~~{text}~~"
        lines.append("  " * depth + f"- {text}")
        lines += hierarchy_markdown(onto.children(n), current, depth + 1, seen)
    return lines


with st.expander(f"The whole {kind_label.lower()} hierarchy"):
    roots = [n for n, c in pool.items() if not [p for p in c.parents if p in pool]]
    st.markdown("\n".join(hierarchy_markdown(roots, st.session_state.get("onto_concept") or "")))
name = st.selectbox("Concept", hits, key="onto_concept")
concept = pool[name]


def goto(target: str) -> None:
    st.session_state["onto_concept"] = target
    st.session_state["onto_search"] = ""


st.header(concept.label + (" (deprecated)" if concept.deprecated else ""))
if concept.deprecated and concept.replaced_by:
    st.warning(f"Deprecated; replaced by **{concept.replaced_by}**.")
if concept.definition:
    st.markdown(concept.definition)

path = list(reversed(onto.ancestors(name)))
st.caption("Ancestors: " + (" › ".join(path) if path else "(a root)"))

info, usage = st.columns([3, 2])
with info:
    st.markdown(f"**name (graph key):** `{concept.name}` · **kind:** {concept.kind}")
    st.markdown("**synonyms:** " + (", ".join(concept.synonyms) or "—"))
    st.markdown("**categories:** " + (", ".join(concept.categories) or "—"))
    if concept.subcategories:
        st.markdown("**subcategories:** " + ", ".join(concept.subcategories))
    if concept.default_regions:
        st.markdown("**default regions:** " + ", ".join(concept.default_regions))
    if concept.laterality or concept.counterpart:
        st.markdown(
            f"**laterality:** {concept.laterality or '—'} · counterpart "
            f"{concept.counterpart or '—'}"
        )
    if concept.codes:
        st.markdown("**codes:** " + ", ".join(f"{k}: `{v}`" for k, v in concept.codes.items()))
    st.markdown("**parents:**" + ("" if concept.parents else " — (a root)"))
    pcols = st.columns(max(1, min(4, len(concept.parents))))
    for i, parent in enumerate(concept.parents):
        pcols[i % len(pcols)].button(parent, key=f"par_{parent}", on_click=goto, args=(parent,))
    kids = onto.children(name)
    st.markdown(f"**children ({len(kids)}):**")
    if kids:
        kcols = st.columns(4)
        for i, child in enumerate(sorted(kids)):
            kcols[i % 4].button(child, key=f"kid_{child}", on_click=goto, args=(child,))
with usage:
    counts = data.named(f"app/{kind}_counts", name=name)
    n = counts[0] if counts else {"observations": 0, "studies": 0}
    m1, m2 = st.columns(2)
    m1.metric("Observations mapped", n["observations"])
    m2.metric("Studies", n["studies"])
    rows = data.named(
        f"explore/{kind}_usage", name=name, skip=data.skip(f"usage_{kind}"), limit=data.PAGE_SIZE
    )
    if rows:
        df = pd.DataFrame(rows)
        ids = list(df["study_id"])
        df.insert(0, "open", [f"/studies?study={s}" for s in df.pop("study_id")])
        picked = st.dataframe(
            df,
            hide_index=True,
            width="stretch",
            on_select="rerun",
            selection_mode="single-row",
            key=f"usage_table_{kind}_{name}",
            column_config={
                "open": st.column_config.LinkColumn("study", display_text=r"study=(.*)")
            },
        )
        st.caption("Pick a row to open the study here; the link opens it in a new tab.")
        if picked and picked.selection.rows:
            st.switch_page(
                "views/studies.py", query_params={"study": ids[picked.selection.rows[0]]}
            )
        data.pager(f"usage_{kind}", len(rows))
    watching = concept_key(kind, name) in collab.watched(user.name)
    if st.toggle("Watch this concept", value=watching, key=f"watch_{kind}_{name}") != watching:
        collab.watch(user.name, concept_key(kind, name), not watching)
        st.rerun()

tab_edit, tab_talk, tab_hist = st.tabs(["Propose a change", "Discussion", "History"])

with tab_edit:
    if not allowed(user.role, "propose"):
        st.info(f"{user.name} is a {user.role}; curators and reviewers propose changes.")
    else:
        ops = {
            "add_synonym": "Add a synonym",
            "remove_synonym": "Remove a synonym",
            "rename": "Rename",
            "reparent": "Re-parent",
            "merge": "Merge into another concept",
            "deprecate": "Deprecate",
            "add_concept": "Add a new child concept",
        }
        op = st.selectbox("Change", list(ops), format_func=ops.get, key="edit_op")
        names = sorted(pool)
        args: dict[str, object] = {}
        target = name
        if op == "add_synonym":
            args["synonym"] = st.text_input("New synonym", key="edit_syn").strip()
        elif op == "remove_synonym":
            args["synonym"] = st.selectbox("Synonym", list(concept.synonyms), key="edit_rsyn")
        elif op == "rename":
            args["new_label"] = st.text_input("New label", key="edit_label").strip()
            args["keep_old"] = st.checkbox("Keep the old label as a synonym", True, key="edit_keep")
        elif op == "reparent":
            args["parents"] = st.multiselect(
                "Parents", names, default=list(concept.parents), key=f"edit_parents_{name}"
            )
        elif op == "merge":
            args["into"] = st.selectbox(
                "Merge into", [n for n in names if n != name], key="edit_into"
            )
        elif op == "deprecate":
            repl = st.selectbox(
                "Replaced by", ["", *[n for n in names if n != name]], key="edit_repl"
            )
            args["replaced_by"] = repl or None
        else:
            label = st.text_input("Label of the new concept", key="edit_new_label").strip()
            syns = st.text_input("Synonyms (comma-separated)", key="edit_new_syns")
            target = label.lower()
            args = {
                "label": label,
                "parents": [name],
                "categories": list(concept.categories),
                "subcategories": list(concept.subcategories),
                "synonyms": [s.strip() for s in syns.split(",") if s.strip()],
            }
        reason = st.text_area("Reason (required)", key="edit_reason", height=70)
        edit = Edit(op, kind, target, args)
        required = ("synonym", "new_label", "parents", "into", "label")
        ready = bool(target) and all(args[k] not in ("", None, []) for k in required if k in args)
        if ready:
            try:
                pv = curation.preview(None, edit)
                st.markdown(f"**Preview:** {edit.describe()}")
                if pv.problems:
                    st.error(
                        "This change would make the ontology invalid:\n\n"
                        + "\n".join(f"- {p}" for p in pv.problems)
                    )
                else:
                    widgets.show_diff(
                        [c.to_json() for c in pv.before], [c.to_json() for c in pv.after]
                    )
            except CurationError as exc:
                st.error(str(exc))
        if st.button("Submit proposal", type="primary", key="edit_submit", disabled=not ready):
            try:
                p = collab.propose(edit, user.name, reason)
                st.success(
                    f"Proposal #{p.id} submitted: {p.summary}. A reviewer approves or rejects it "
                    "on the Proposals page."
                )
            except (CollabError, CurationError) as exc:
                st.error(str(exc))
    pending = [p for p in collab.proposals("pending") if concept_key(kind, name) in p.touches()]
    if pending:
        st.markdown("**Pending proposals on this concept:**")
        for p in pending:
            st.page_link(
                "views/proposals.py",
                label=f"#{p.id} {p.summary} (by {p.author})",
                query_params={"proposal": str(p.id)},
            )

with tab_talk:
    widgets.comment_thread(concept_key(kind, name), key=f"{kind}_{name}")

with tab_hist:
    records = [
        r
        for r in curation.history()
        if r.concept == name or name in (r.args.get("into"), r.args.get("replaced_by"))
    ]
    if not records:
        st.caption("No recorded changes to this concept.")
    for r in reversed(records):
        with st.expander(f"#{r.id} {r.when} · {r.user}: {r.summary}"):
            st.caption(f"reason: {r.reason} · version {r.version_before} → {r.version_after}")
            widgets.show_diff(r.before, r.after)
