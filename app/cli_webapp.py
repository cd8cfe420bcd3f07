"""`cxrkg app`: run the Streamlit app over the configured graph store."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer


def streamlit_command(port: int, host: str, headless: bool = True) -> list[str]:
    """The `streamlit run` command line for the app's main script."""
    from cxrkg.app.webapp import MAIN_SCRIPT

    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(MAIN_SCRIPT),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        "true" if headless else "false",
        "--browser.gatherUsageStats",
        "false",
        "--theme.base",
        "light",
        # the app is a tool, not a Streamlit project to deploy: no developer toolbar
        "--client.toolbarMode",
        "minimal",
        # a visitor never sees a traceback (source paths, data); the server log has it
        "--client.showErrorDetails",
        "none",
        # OIDC sign-in reads [auth] from secrets.toml: also the one in CXRKG_HOME
        *(arg for f in secrets_files() for arg in ("--secrets.files", str(f))),
    ]


def secrets_files() -> list[Path]:
    """Where the app's secrets.toml may be: Streamlit's usual places, then CXRKG_HOME's
    (later files win)."""
    from cxrkg.config import get_settings

    return [
        Path.home() / ".streamlit" / "secrets.toml",
        Path.cwd() / ".streamlit" / "secrets.toml",
        get_settings().home / "secrets.toml",
    ]


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    @app.command("app")
    def run_app(
        port: Annotated[int, typer.Option(help="port to serve on")] = 8501,
        host: Annotated[str, typer.Option(help="address to bind; 0.0.0.0 serves the network")] = (
            "127.0.0.1"
        ),
        open_browser: Annotated[bool, typer.Option(help="open a browser tab")] = False,
    ) -> None:
        """Start the Streamlit app: studies, QA, Cypher console, ontology curation."""
        cmd = streamlit_command(port, host, headless=not open_browser)
        typer.echo(f"cxrkg app on http://{host}:{port} (Ctrl-C stops it)", err=True)
        # Become the Streamlit server (same environment, same pid): a signal meant for
        # `cxrkg app` then reaches the server itself, and no orphan is left behind.
        os.execve(cmd[0], cmd, os.environ.copy())
