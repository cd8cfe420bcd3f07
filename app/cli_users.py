"""`cxrkg users`: the app's local users file (names, roles, argon2 password hashes)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

StdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from standard input")
]


def _password(prompt: str, from_stdin: bool) -> str:
    if from_stdin:  # for scripts and `docker compose run`: the first line of stdin
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=True)


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    users_app = typer.Typer(
        help="Users of the app and their roles (viewer, curator, reviewer, admin).",
        no_args_is_help=True,
    )
    app.add_typer(users_app, name="users")

    def users_file():  # noqa: ANN202 - imported lazily, like every command's library
        from cxrkg.app.users import UsersFile
        from cxrkg.config import get_settings

        return UsersFile(get_settings().users_path)

    def run(action) -> None:  # noqa: ANN001
        from cxrkg.app.cli import fail
        from cxrkg.app.users import UsersError

        try:
            action()
        except UsersError as exc:
            fail(str(exc))

    @users_app.command("add")
    def add(
        name: Annotated[str, typer.Argument(help="user name (letters, digits, . _ @ + -)")],
        role: Annotated[str, typer.Option(help="viewer, curator, reviewer or admin")] = "viewer",
        password_stdin: StdinOpt = False,
    ) -> None:
        """Add a user with a password (asked twice, never shown)."""
        from cxrkg.app.users import check_name, check_role

        def action() -> None:
            check_name(name)
            check_role(role)
            f = users_file()
            f.add(name, role, _password(f"Password for {name}", password_stdin))
            typer.echo(f"{name} ({role}) added to {f.path}")

        run(action)

    @users_app.command("passwd")
    def passwd(name: str, password_stdin: StdinOpt = False) -> None:
        """Set a user's password."""

        from cxrkg.app.users import UsersError

        def action() -> None:
            f = users_file()
            if f.get(name) is None:  # say so before asking for a password
                raise UsersError(f"{name} is not a user; `cxrkg users add {name}`")
            f.set_password(name, _password(f"New password for {name}", password_stdin))
            typer.echo(f"password of {name} changed")

        run(action)

    @users_app.command("role")
    def set_role(name: str, role: str) -> None:
        """Give a user another role (it applies from their next page load)."""

        def action() -> None:
            users_file().set_role(name, role)
            typer.echo(f"{name} is now a {role}")

        run(action)

    @users_app.command("remove")
    def remove(name: str) -> None:
        """Remove a user; a session they have open is signed out at its next page load."""

        def action() -> None:
            users_file().remove(name)
            typer.echo(f"{name} removed")

        run(action)

    @users_app.command("list")
    def list_users() -> None:
        """Every user the app knows: the users file and `users` in config.toml (OIDC)."""
        from rich.table import Table

        from cxrkg.app.cli import console
        from cxrkg.app.users import Directory
        from cxrkg.config import get_settings

        def action() -> None:
            settings = get_settings()
            local = Directory(settings).file.accounts()
            table = Table("user", "role", "signs in with")
            for user in Directory(settings).users():
                how = "password (users file)" if user.name in local else "identity provider"
                table.add_row(user.name, user.role, how)
            console.print(table)
            console.print(f"users file: {settings.users_path}; sign-in: {settings.app_auth}")

        run(action)
