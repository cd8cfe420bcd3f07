"""Signing in to the app: a visitor who is not signed in sees only the sign-in, never a page.

`CXRKG_APP_AUTH=local` (the default): a name and password checked against the users file
(`cxrkg users add`); the sign-in lasts for the browser tab's session. `oidc`: Streamlit's
`st.login` with the identity provider of `secrets.toml [auth]`; the identity-token claim
`oidc_user_claim` (e-mail) names the user, whose role comes from the configuration.
"""

from __future__ import annotations

import streamlit as st

from cxrkg.app.users import Directory, SignInError, UsersError, sign_in
from cxrkg.config import User, get_settings

_KEY = "_cxrkg_signed_in"  # the signed-in name; not a widget key, so no browser can set it


def require_user() -> User:
    """The signed-in user, with the role the configuration gives them now. For anyone else
    this draws the sign-in and stops the script run."""
    user = signed_in_user()
    if user is None:
        sign_in_page()
    return user  # type: ignore[return-value]  # sign_in_page() never returns


def signed_in_user() -> User | None:
    """The signed-in user, or None for a visitor who has not signed in (or whose identity
    the app does not know); draws nothing."""
    settings = get_settings()
    if settings.app_auth == "oidc":
        return _oidc_user()
    name = st.session_state.get(_KEY)
    if not name:
        return None
    try:
        user = Directory(settings).user(name)
    except UsersError as exc:
        _stop_with(f"The users file cannot be read: {exc}")
    if user is None:
        del st.session_state[_KEY]  # removed from the users file since: signed out
    return user


def sign_in_page() -> None:
    """The sign-in, and nothing else: the script run stops here."""
    if get_settings().app_auth == "oidc":
        _oidc_sign_in()
    else:
        _local_form()
    st.stop()


def _local_form() -> None:
    settings = get_settings()
    st.title("cxrkg")
    st.subheader("Sign in")
    try:
        has_users = bool(Directory(settings).file.accounts())
    except UsersError as exc:
        _stop_with(f"The users file cannot be read: {exc}")
    if not has_users:
        st.info(
            "No one can sign in yet: this app has no users. On the server, add one with\n\n"
            "`cxrkg users add NAME --role admin`"
        )
    with st.form("signin"):
        name = st.text_input("User name", key="signin_name")
        password = st.text_input("Password", type="password", key="signin_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            user = sign_in(settings, name.strip(), password)
        except SignInError as exc:
            st.error(str(exc))
            return
        except UsersError as exc:
            st.error(f"The users file cannot be read: {exc}")
            return
        st.session_state[_KEY] = user.name
        st.rerun()


def _oidc_user() -> User | None:
    settings = get_settings()
    if not st.user.get("is_logged_in"):
        return None
    name = str(st.user.get(settings.oidc_user_claim) or "")
    role = (Directory(settings).role(name) if name else None) or settings.oidc_default_role
    return User(name=name, role=role) if name and role else None  # type: ignore[arg-type]


def _oidc_sign_in() -> None:
    settings = get_settings()
    st.title("cxrkg")
    if st.user.get("is_logged_in"):  # signed in by the provider, but not a user here
        name = str(st.user.get(settings.oidc_user_claim) or "")
        st.error(
            f"You are signed in as {name or 'someone without ' + settings.oidc_user_claim}, who"
            " is not a user of this app. Ask its administrator to add you."
        )
        st.button("Sign out", on_click=st.logout, key="signout_oidc")
        return
    st.subheader("Sign in")
    if not _auth_configured():
        _stop_with(
            "Sign-in through an identity provider is configured (CXRKG_APP_AUTH=oidc) but"
            " Streamlit's secrets.toml has no [auth] section; see docs/app.md."
        )
    provider = settings.oidc_provider or None
    st.button(
        f"Sign in{' with ' + provider if provider else ''}",
        type="primary",
        on_click=st.login,
        args=(provider,) if provider else (),
        key="signin_oidc",
    )


def _auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False


def sign_out_button() -> None:
    """In the sidebar: ends this session's sign-in."""
    if get_settings().app_auth == "oidc":
        st.button("Sign out", on_click=st.logout, key="signout")
    elif st.button("Sign out", key="signout"):
        st.session_state.pop(_KEY, None)
        st.rerun()


def _stop_with(message: str) -> None:
    st.error(message)
    st.stop()
