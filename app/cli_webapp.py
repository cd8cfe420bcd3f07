"""`cxrkg app`: run the Streamlit app over the configured graph store."""

from __future__ import annotations

import os
import sys
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
