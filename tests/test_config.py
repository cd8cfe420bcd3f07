"""Configuration in one place: CXRKG_* environment variables over an optional TOML file."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxrkg.config import Settings


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in (
        "CXRKG_HOME",
        "CXRKG_CONFIG",
        "CXRKG_BACKEND",
        "CXRKG_FALKORDB_PORT",
        "CXRKG_GRAPH",
        "CXRKG_NEO4J_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CXRKG_HOME", str(tmp_path))
    return tmp_path


def test_defaults_are_the_embedded_falkordb(clean_env):
    s = Settings()
    assert s.backend == "falkordb" and s.graph == "cxrkg" and s.home == clean_env
    assert s.falkordb_dir == clean_env / "falkordb"


def test_the_toml_file_in_home_is_read_and_environment_variables_win(clean_env, monkeypatch):
    (clean_env / "config.toml").write_text(
        '[cxrkg]\nbackend = "neo4j"\ngraph = "studies"\nneo4j_uri = "bolt://db:7687"\n'
        'users = [{name = "ana", role = "reviewer"}]\n'
    )
    s = Settings()
    assert (s.backend, s.graph, s.neo4j_uri) == ("neo4j", "studies", "bolt://db:7687")
    assert [(u.name, u.role) for u in s.users] == [("ana", "reviewer")]
    monkeypatch.setenv("CXRKG_GRAPH", "from-env")
    assert Settings().graph == "from-env"


def test_an_explicit_config_path_is_used(clean_env, monkeypatch, tmp_path):
    other = tmp_path / "elsewhere.toml"
    other.write_text("falkordb_port = 7001\n")
    monkeypatch.setenv("CXRKG_CONFIG", str(other))
    assert Settings().falkordb_port == 7001


def test_a_broken_toml_file_is_named_in_the_error(clean_env):
    (clean_env / "config.toml").write_text("backend = \n")
    with pytest.raises(ValueError, match="config.toml is not valid TOML"):
        Settings()
