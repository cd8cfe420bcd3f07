"""Who may use the app and what each role may do: roles from configuration, the local users
file with argon2 password hashes (argon2-cffi), and the sign-in check with its throttle.

    users = UsersFile(settings.users_path)
    users.add("dr-lee", "curator", "a long passphrase")      # `cxrkg users add dr-lee`
    sign_in(settings, "dr-lee", "a long passphrase")          # -> User(name, role)
    Directory(settings).role("dr-lee")                         # -> "curator"

The library enforces the roles (`Collab` asks `allowed` before every change); the app only
shows or hides buttons to match.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cxrkg.config import Role, Settings, User

ROLES: tuple[str, ...] = get_args(Role)  # viewer < curator < reviewer < admin
# What each role may do. Reading and discussing is for everyone signed in.
CAN: dict[str, frozenset[str]] = {
    "read": frozenset(ROLES),
    "comment": frozenset(ROLES),
    "watch": frozenset(ROLES),
    "propose": frozenset({"curator", "reviewer", "admin"}),
    "regenerate_qa": frozenset({"curator", "reviewer", "admin"}),
    "review": frozenset({"reviewer", "admin"}),
    "restore": frozenset({"reviewer", "admin"}),
    "manage_users": frozenset({"admin"}),
}
MIN_PASSWORD = 10
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class UsersError(ValueError):
    """A user-management request that cannot be done; the message says why."""


class SignInError(UsersError):
    """Wrong name or password, or too many failed attempts."""


def allowed(role: str | None, action: str) -> bool:
    return role is not None and role in CAN[action]


def same_user(a: str, b: str) -> bool:
    """User names (and OIDC e-mails) compare without regard to case."""
    return a.strip().casefold() == b.strip().casefold()


@dataclass
class Account:
    name: str
    role: str
    password_hash: str
    created: str
    changed: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class UsersFile:
    """The local users of one CXRKG_HOME: a JSON file readable by its owner only (600)."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def accounts(self) -> dict[str, Account]:
        if not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {a["name"]: Account(**a) for a in data.get("users", [])}
        except (ValueError, TypeError, KeyError) as exc:
            raise UsersError(f"{self.path} is not a cxrkg users file: {exc}") from exc

    def get(self, name: str) -> Account | None:
        return next((a for a in self.accounts().values() if same_user(a.name, name)), None)

    @contextlib.contextmanager
    def _editing(self) -> Iterator[dict[str, Account]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            accounts = self.accounts()
            yield accounts
            data = {"users": [asdict(a) for a in sorted(accounts.values(), key=lambda a: a.name)]}
            tmp = self.path.with_name(self.path.name + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1)
            os.chmod(tmp, 0o600)  # also when the file existed with looser modes
            os.replace(tmp, self.path)

    def add(self, name: str, role: str, password: str) -> Account:
        check_name(name)
        check_role(role)
        check_password(password)
        with self._editing() as accounts:
            if any(same_user(n, name) for n in accounts):
                raise UsersError(f"{name} is already a user; `cxrkg users passwd {name}`")
            accounts[name] = Account(name, role, _hasher.hash(password), _now(), _now())
            return accounts[name]

    def set_password(self, name: str, password: str) -> None:
        check_password(password)
        with self._editing() as accounts:
            account = self._find(accounts, name)
            account.password_hash, account.changed = _hasher.hash(password), _now()

    def set_role(self, name: str, role: str) -> None:
        check_role(role)
        with self._editing() as accounts:
            account = self._find(accounts, name)
            account.role, account.changed = role, _now()

    def remove(self, name: str) -> None:
        with self._editing() as accounts:
            del accounts[self._find(accounts, name).name]

    def verify(self, name: str, password: str) -> Account | None:
        """The account if the password is right; as slow for an unknown name as a known one."""
        account = self.get(name)
        try:
            _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if account is None:
            return None
        if _hasher.check_needs_rehash(account.password_hash):
            with contextlib.suppress(UsersError, OSError):
                self.set_password(account.name, password)
        return account

    @staticmethod
    def _find(accounts: dict[str, Account], name: str) -> Account:
        for account in accounts.values():
            if same_user(account.name, name):
                return account
        raise UsersError(f"{name} is not a user; `cxrkg users add {name} --role viewer`")


_DUMMY_HASH = _hasher.hash("not a password of anyone")


def check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise UsersError(
            f"{name!r} cannot be a user name: letters, digits and . _ @ + -, at most 100,"
            " starting with a letter or digit"
        )


def check_role(role: str) -> None:
    if role not in ROLES:
        raise UsersError(f"{role!r} is not a role; the roles are {', '.join(ROLES)}")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsersError(f"a password has at least {MIN_PASSWORD} characters")


class Directory:
    """Every user the app knows and their role: the users file, then `settings.users`
    (where OIDC identities get their roles). A name in both takes the users file's role."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.file = UsersFile(settings.users_path)

    def users(self) -> list[User]:
        out = {
            a.name.casefold(): User(name=a.name, role=a.role) for a in self.file.accounts().values()
        }  # type: ignore[arg-type]
        for u in self.settings.users:
            out.setdefault(u.name.casefold(), u)
        return sorted(out.values(), key=lambda u: u.name.casefold())

    def role(self, name: str) -> str | None:
        """The user's role, or None for a name the app does not know."""
        account = self.file.get(name)
        if account is not None:
            return account.role
        return next((u.role for u in self.settings.users if same_user(u.name, name)), None)

    def user(self, name: str) -> User | None:
        role = self.role(name)
        if role is None:
            return None
        account = self.file.get(name)
        return User(name=account.name if account else name, role=role)  # type: ignore[arg-type]


# -- signing in ------------------------------------------------------------------------------
MAX_FAILURES = 5  # failed sign-ins of one name within FAILURE_WINDOW_S before a pause
FAILURE_WINDOW_S = 600
LOCKOUT_S = 60


class _Throttle:
    """Failed sign-ins per user name, in this process (the app server): after MAX_FAILURES
    within the window the name is paused for LOCKOUT_S, so passwords cannot be guessed fast."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}

    def wait_s(self, name: str) -> float:
        with self._lock:
            now = time.monotonic()
            recent = [
                t for t in self._failures.get(name.casefold(), []) if now - t < FAILURE_WINDOW_S
            ]
            if len(recent) < MAX_FAILURES:
                return 0.0
            return max(0.0, recent[-1] + LOCKOUT_S - now)

    def failed(self, name: str) -> None:
        with self._lock:
            self._failures.setdefault(name.casefold(), []).append(time.monotonic())

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name.casefold(), None)


throttle = _Throttle()


def sign_in(settings: Settings, name: str, password: str) -> User:
    """The user for a name and password from the local users file; SignInError otherwise."""
    wait = throttle.wait_s(name)
    if wait > 0:
        raise SignInError(f"too many failed sign-ins for this name; try again in {wait:.0f} s")
    account = UsersFile(settings.users_path).verify(name, password)
    if account is None:
        throttle.failed(name)
        raise SignInError("wrong user name or password")
    throttle.succeeded(name)
    return User(name=account.name, role=account.role)  # type: ignore[arg-type]
