"""Shared fixtures: a real embedded FalkorDB per test session, on a free port, in a temp home."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from cxrkg.config import Settings, reset_settings  # noqa: E402
from cxrkg.cypher.store import FalkorDBStore, GraphStore  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def cxrkg_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cxrkg_home")


@pytest.fixture(scope="session")
def settings(cxrkg_home: Path) -> Iterator[Settings]:
    """Settings pointing at this session's own home and port; also exported to the env
    so that code reading `get_settings()` (the CLI, the app) sees the same store."""
    port = free_port()
    env = {
        "CXRKG_HOME": str(cxrkg_home),
        "CXRKG_FALKORDB_PORT": str(port),
        "CXRKG_BACKEND": "falkordb",
        "CXRKG_GRAPH": "cxrkg_test",
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    reset_settings()
    yield Settings()
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    reset_settings()


@pytest.fixture(scope="session")
def session_store(settings: Settings) -> Iterator[GraphStore]:
    store = FalkorDBStore(settings)
    store.setup_schema()
    yield store
    store.server.stop()
    store.close()


@pytest.fixture(scope="session")
def ray_cluster(settings: Settings) -> Iterator[object]:
    """A local Ray cluster of 2 CPUs for this session (started once: it takes seconds), its
    workers in this session's environment (home, port)."""
    import ray

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=200 * 1024 * 1024,
        configure_logging=False,
        log_to_driver=False,
    )
    yield ray
    ray.shutdown()


@pytest.fixture()
def store(session_store: GraphStore) -> GraphStore:
    """The session's store, emptied and with its schema, for one test."""
    session_store.clear()
    session_store.setup_schema()
    return session_store


@contextmanager
def private_ontology(folder: Path) -> Iterator[Path]:
    """A copy of the bundled ontology as CXRKG_ONTOLOGY_PATH, so that curation in a test
    edits only that copy; the previous setting comes back afterwards."""
    from cxrkg.ontology.files import BUNDLED

    path = folder / "cxrkg.owl"
    shutil.copyfile(BUNDLED, path)
    old = os.environ.get("CXRKG_ONTOLOGY_PATH")
    os.environ["CXRKG_ONTOLOGY_PATH"] = str(path)
    reset_settings()
    try:
        yield path
    finally:
        if old is None:
            os.environ.pop("CXRKG_ONTOLOGY_PATH", None)
        else:
            os.environ["CXRKG_ONTOLOGY_PATH"] = old
        reset_settings()


def load_demo_with_qa(store: GraphStore, settings: Settings) -> GraphStore:
    """An emptied store holding the demo and its QA, and no earlier curation proposals."""
    from cxrkg.app.demo import load_demo
    from cxrkg.qa_gen.generate import generate_qa

    shutil.rmtree(settings.curation_dir / "collab", ignore_errors=True)
    store.clear()
    store.setup_schema()
    load_demo(store, progress=False)
    generate_qa(store, None, None, write_graph=True)
    return store


# The app's users in the test session's users file: one per role, a second reviewer.
APP_PASSWORD = "a test passphrase"
APP_USERS = {
    "curator": "curator",
    "reviewer": "reviewer",
    "reviewer2": "reviewer",
    "viewer": "viewer",
    "admin": "admin",
}


def add_app_users(settings: Settings) -> None:
    """Every APP_USERS user, with APP_PASSWORD, in the users file (those missing)."""
    from cxrkg.app.users import UsersFile

    users = UsersFile(settings.users_path)
    have = users.accounts()
    for name, role in APP_USERS.items():
        if name not in have:
            users.add(name, role, APP_PASSWORD)
