"""The app's access to the graph: one store per server, cached queries keyed by the graph's
version (bumped on every write job), the signed-in user, and error display."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from cxrkg.app.webapp import signin
from cxrkg.config import Settings, User, get_settings
from cxrkg.cypher.store import GraphStore, StoreError, open_store
from cxrkg.ingest.graph_read import StudyNotFound, read_scene_graph
from cxrkg.ingest.model import SceneGraph
from cxrkg.qa_gen.graph_write import read_questions
from cxrkg.qa_gen.model import Question

T = TypeVar("T")
PAGE_SIZE = 50


@st.cache_resource(show_spinner="Connecting to the graph store…")
def _store(backend: str, graph: str, port: int, uri: str) -> GraphStore:
    # Keyed by where the store is, so a changed configuration opens a new connection.
    return open_store(get_settings())


def settings() -> Settings:
    return get_settings()


def store() -> GraphStore:
    """The configured store; stops the page with a clear message if it cannot be reached."""
    s = get_settings()
    try:
        return _store(s.backend, s.graph, s.falkordb_port, s.neo4j_uri)
    except Exception as exc:  # the server may be missing, stopped or misconfigured
        st.error(f"The graph store could not be opened: {exc}\n\nTry `cxrkg db status`.")
        st.stop()
        raise  # unreachable: st.stop() ends the script run


def version() -> int:
    """The graph version; every cache below is keyed on it, so a write shows up at once."""
    try:
        return store().version()
    except StoreError as exc:
        st.error(f"The graph store did not answer: {exc}")
        st.stop()
        raise


@st.cache_data(show_spinner=False, max_entries=512)
def _run_named(version: int, name: str, params_json: str) -> list[dict[str, Any]]:
    return store().run_named(name, json.loads(params_json), read_only=True)


def named(query: str, /, **params: Any) -> list[dict[str, Any]]:
    """Rows of a named read-only query, cached until the graph changes."""
    try:
        return _run_named(version(), query, json.dumps(params, sort_keys=True))
    except StoreError as exc:
        st.error(f"The query {query} failed: {exc}")
        return []


@st.cache_data(show_spinner=False, max_entries=128)
def _scene_graph(version: int, study_id: str) -> SceneGraph:
    return read_scene_graph(store(), study_id)


def scene_graph(study_id: str) -> SceneGraph | None:
    try:
        return _scene_graph(version(), study_id)
    except StudyNotFound:
        return None


@st.cache_data(show_spinner=False, max_entries=128)
def _questions(version: int, keys: tuple[str, ...]) -> dict[str, Question]:
    return read_questions(store(), list(keys))


def questions(keys: list[str]) -> dict[str, Question]:
    """Stored questions by key, as the QA contract's records (cached until the graph changes)."""
    try:
        return _questions(version(), tuple(keys))
    except StoreError as exc:
        st.error(f"The questions could not be read: {exc}")
        return {}


def cached(fn: Callable[..., T]) -> Callable[..., T]:
    """Cache a pure function of (graph version, arguments): rendered images and graphs."""
    return st.cache_data(show_spinner=False, max_entries=256)(fn)


# -- the signed-in user -------------------------------------------------------------------
def current_user() -> User:
    """The signed-in user (an anonymous visitor gets the sign-in and the run stops)."""
    return signin.require_user()


def user_sidebar() -> User:
    """Who is signed in, a sign-out button and the store, in the sidebar; every page calls
    it first, so no page runs for a visitor who is not signed in."""
    user = current_user()
    with st.sidebar:
        st.caption(f"Signed in as **{user.name}** ({user.role})")
        signin.sign_out_button()
        st.caption(f"Store: {store().describe()} · graph version {version()}")
    return user


def new_pick(key: str, event: Any) -> int | None:
    """The row just picked in a selectable dataframe, once: a selection persists across
    reruns, and replaying it would override what the user chose since."""
    rows = list(event.selection.rows) if event is not None and hasattr(event, "selection") else []
    last = st.session_state.get(f"_{key}_last_pick")
    st.session_state[f"_{key}_last_pick"] = rows
    return rows[0] if rows and rows != last else None


def skip(key: str, page_size: int = PAGE_SIZE) -> int:
    """Pager state for a paginated query: `skip` for the current page."""
    return int(st.session_state.get(f"{key}_page", 0)) * page_size


def pager(key: str, got: int, page_size: int = PAGE_SIZE) -> None:
    """Previous / next buttons under a paginated table."""
    page = int(st.session_state.get(f"{key}_page", 0))
    c1, c2, c3 = st.columns([2, 2, 5])
    if c1.button("◀ Previous", key=f"{key}_prev", disabled=page == 0):
        st.session_state[f"{key}_page"] = page - 1
        st.rerun()
    if c2.button("Next ▶", key=f"{key}_next", disabled=got < page_size):
        st.session_state[f"{key}_page"] = page + 1
        st.rerun()
    c3.caption(f"page {page + 1} · rows {page * page_size + 1}–{page * page_size + got}")
