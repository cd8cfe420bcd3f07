"""docker-compose.yml and the Dockerfile agree with cxrkg's configuration.

No Docker engine runs here, so the files are parsed and checked, not started: services,
images, ports, volumes, and every CXRKG_* variable against `cxrkg.config.Settings`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from cxrkg.config import Settings

REPO = Path(__file__).resolve().parent.parent
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"

_VAR = re.compile(r"\$\$|\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)")


def interpolate(value: Any) -> Any:
    """Compose's `${VAR:-default}` substitution with an empty shell environment."""
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            if m.group(0) == "$$":
                return "$"
            return m.group(2) or ""

        return _VAR.sub(sub, value)
    if isinstance(value, list):
        return [interpolate(v) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v) for k, v in value.items()}
    return value


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose(raw: dict[str, Any]) -> dict[str, Any]:
    return interpolate(raw)


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the `- NAME=value` form
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def published(service: dict[str, Any]) -> set[tuple[int, int]]:
    """(host, container) port pairs of a service."""
    pairs = set()
    for port in service.get("ports", []):
        host, _, container = str(port).rpartition(":")
        pairs.add((int(host or container), int(container)))
    return pairs


def settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, home: Path) -> Settings:
    """The Settings cxrkg would build inside a container with this environment."""
    for name in list(Settings.model_fields):
        monkeypatch.delenv(f"CXRKG_{name.upper()}", raising=False)
    monkeypatch.delenv("CXRKG_CONFIG", raising=False)
    monkeypatch.setenv("CXRKG_HOME", str(home))  # no config.toml of the user's
    for key, value in env.items():
        if key.startswith("CXRKG_") and key != "CXRKG_HOME":
            monkeypatch.setenv(key, value)
    return Settings()


def test_compose_has_neo4j_app_and_an_llm_profile(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"neo4j", "app", "llm"}
    assert services["neo4j"]["image"] == "neo4j:5"
    assert services["llm"]["image"].startswith("vllm/vllm-openai")
    assert services["llm"]["profiles"] == ["llm"]
    assert "profiles" not in services["neo4j"] and "profiles" not in services["app"]


def test_neo4j_publishes_browser_and_bolt_keeps_data_in_a_named_volume(
    compose: dict[str, Any],
) -> None:
    neo4j = compose["services"]["neo4j"]
    assert published(neo4j) == {(7474, 7474), (7687, 7687)}
    mounts = dict(v.split(":", 1) for v in neo4j["volumes"])
    assert mounts["neo4j_data"] == "/data"
    assert set(mounts) <= set(compose["volumes"])
    assert "cypher-shell" in " ".join(neo4j["healthcheck"]["test"])


def test_every_cxrkg_variable_in_compose_is_a_settings_field(raw: dict[str, Any]) -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    names = set(re.findall(r"\bCXRKG_[A-Z0-9_]+", text))
    assert names, "docker-compose.yml configures cxrkg through CXRKG_* variables"
    fields = {f"CXRKG_{name.upper()}" for name in Settings.model_fields}
    assert names <= fields, f"not cxrkg settings: {sorted(names - fields)}"


def test_app_runs_on_neo4j_in_the_neo4j_database(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app = compose["services"]["app"]
    settings = settings_from(environment(app), monkeypatch, tmp_path)

    assert settings.backend == "neo4j"
    assert settings.graph == "neo4j"  # Community Edition has no other database
    uri = urlsplit(settings.neo4j_uri)
    assert uri.scheme == "bolt" and uri.hostname == "neo4j"
    assert (uri.port, uri.port) in published(compose["services"]["neo4j"])
    assert app["depends_on"]["neo4j"]["condition"] == "service_healthy"


def test_neo4j_auth_and_app_password_are_the_same_and_default_to_cxrkgs(
    raw: dict[str, Any], compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    user, _, password = environment(compose["services"]["neo4j"])["NEO4J_AUTH"].partition("/")
    settings = settings_from(environment(compose["services"]["app"]), monkeypatch, tmp_path)
    assert (settings.neo4j_user, settings.neo4j_password) == (user, password)
    assert password == Settings.model_fields["neo4j_password"].default
    assert len(password) >= 8  # Neo4j 5 refuses shorter initial passwords
    # One variable sets both, so an override cannot make them disagree.
    raw_auth = environment(raw["services"]["neo4j"])["NEO4J_AUTH"]
    raw_password = environment(raw["services"]["app"])["CXRKG_NEO4J_PASSWORD"]
    assert raw_auth == f"neo4j/{raw_password}" and raw_password.startswith("${CXRKG_NEO4J_PASSWORD")


def test_app_serves_streamlit_port_and_keeps_its_home_in_a_volume(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app = compose["services"]["app"]
    assert app["build"] == {"context": ".", "dockerfile": "Dockerfile"}
    assert app["command"] == ["cxrkg", "app", "--host", "0.0.0.0", "--port", "8501"]
    assert published(app) == {(8501, 8501)}
    mounts = dict(v.split(":", 1) for v in app["volumes"])
    assert mounts["cxrkg_home"] == environment(app)["CXRKG_HOME"]
    assert "cxrkg_home" in compose["volumes"]


def test_llm_service_serves_the_model_the_app_asks_for_on_a_gpu(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    llm = compose["services"]["llm"]
    settings = settings_from(environment(compose["services"]["app"]), monkeypatch, tmp_path)

    url = urlsplit(settings.llm_base_url)
    assert url.hostname == "llm" and url.path == "/v1"
    command = llm["command"]
    assert command[command.index("--port") + 1] == str(url.port) == "8000"
    assert (8000, 8000) in published(llm)
    served = command[command.index("--model") + 1]
    assert served == settings.llm_model == Settings.model_fields["llm_model"].default
    assert served.startswith("meta-llama/Llama-3.1-")
    devices = llm["deploy"]["resources"]["reservations"]["devices"]
    assert any("gpu" in d["capabilities"] and d["driver"] == "nvidia" for d in devices)
    mounts = dict(v.split(":", 1) for v in llm["volumes"])
    assert mounts["hf_cache"] == "/root/.cache/huggingface"


def test_every_named_volume_used_is_declared(compose: dict[str, Any]) -> None:
    used = {
        v.split(":", 1)[0]
        for s in compose["services"].values()
        for v in s.get("volumes", [])
        if not v.startswith((".", "/"))
    }
    assert used == set(compose["volumes"])


def test_dockerfile_builds_the_app_image_from_python_311_slim() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    instructions = [ln for ln in text.splitlines() if ln and not ln.startswith(("#", " "))]
    assert instructions[0] == "FROM python:3.11-slim"
    assert "RUN pip install . \\" in instructions or "RUN pip install ." in instructions
    assert "EXPOSE 8501" in instructions
    assert 'CMD ["cxrkg", "app", "--host", "0.0.0.0", "--port", "8501"]' in instructions
    assert re.search(r'pip install "torch==\$\{TORCH_VERSION\}"', text)
    pinned = re.search(r"^ARG TORCH_VERSION=(\S+)$", text, re.M)
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert pinned and f'"torch=={pinned.group(1)}"' in pyproject


def test_pip_install_ships_every_python_package_of_the_repository() -> None:
    import os
    import tomllib

    # The image runs `pip install .`, which installs only the packages pyproject lists.
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    found = set()
    for folder, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in {"tests", "build", "node_modules"} and d[0] != "."]
        if "__init__.py" in files:
            found.add(".".join(("cxrkg", *Path(folder).relative_to(REPO).parts)))
    assert "cxrkg.cypher.store" in found
    assert set(pyproject["tool"]["setuptools"]["packages"]) == found


def test_dockerignore_keeps_git_and_node_modules_out_of_the_build() -> None:
    lines = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert ".git" in lines and "**/node_modules" in lines


def test_the_published_app_requires_sign_in(
    raw: dict[str, Any], compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The app listens on the network, so no configuration of it lets a visitor in unsigned:
    sign-in is local (users file in the persisted home) or OIDC, and `cxrkg app` serves
    main.py, whose first act is the sign-in, without error details."""
    from pydantic import ValidationError

    from cxrkg.app.cli_webapp import streamlit_command

    # before the environment is patched: it reads (and caches) the session's settings
    cmd = streamlit_command(8501, "0.0.0.0")
    app = compose["services"]["app"]
    assert published(app) == {(8501, 8501)}
    settings = settings_from(environment(app), monkeypatch, tmp_path)
    assert settings.app_auth == "local"
    raw_auth = environment(raw["services"]["app"])["CXRKG_APP_AUTH"]
    assert raw_auth.startswith("${CXRKG_APP_AUTH:-local}")
    with pytest.raises(ValidationError):
        Settings(app_auth="none")  # no way to switch sign-in off
    # the users file and secrets.toml live in the volume that persists the home
    home = environment(app)["CXRKG_HOME"]
    assert str(settings.users_path) == f"{tmp_path}/users.json"  # i.e. <CXRKG_HOME>/users.json
    mounts = dict(v.split(":", 1) for v in app["volumes"])
    assert mounts["cxrkg_home"] == home
    # the container runs `cxrkg app`, never a bare `streamlit run` that could skip its options
    assert app["command"][:2] == ["cxrkg", "app"]
    main = REPO / "app" / "webapp" / "main.py"
    text = main.read_text(encoding="utf-8")
    assert text.index("signin.sign_in_page()") < text.index("navigation.run()")
    assert cmd[cmd.index("--client.showErrorDetails") + 1] == "none"
    assert cmd[cmd.index("run") + 1].endswith("main.py")


def test_oidc_users_in_compose_parse_as_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, compose: dict[str, Any]
) -> None:
    env = environment(compose["services"]["app"])
    env["CXRKG_APP_AUTH"] = "oidc"
    env["CXRKG_USERS"] = '[{"name": "dr.park@hospital.example", "role": "reviewer"}]'
    settings = settings_from(env, monkeypatch, tmp_path)
    assert settings.app_auth == "oidc"
    assert [(u.name, u.role) for u in settings.users] == [("dr.park@hospital.example", "reviewer")]
