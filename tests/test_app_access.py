"""Who gets in and what they may do (issue 11, items 5 and 7): sign-in with the users file and
through an identity provider (OIDC), roles from configuration enforced by the library, a
reviewer never approving their own proposal, images only from the image roots, and no
traceback for a visitor. Streamlit AppTest against a real embedded FalkorDB with the demo."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import APP_PASSWORD, add_app_users, load_demo_with_qa, private_ontology
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from cxrkg.app.collab import Collab, CollabError
from cxrkg.app.users import (
    MAX_FAILURES,
    Directory,
    SignInError,
    UsersError,
    UsersFile,
    sign_in,
    throttle,
)
from cxrkg.app.webapp import MAIN_SCRIPT, overlay
from cxrkg.config import Settings, reset_settings
from cxrkg.cypher.store import GraphStore
from cxrkg.ingest.load import load_scene_graphs
from cxrkg.ingest.model import SceneGraph
from cxrkg.ingest.sources.qba import QBASource
from cxrkg.ontology.curation import Edit, history

VIEWS = MAIN_SCRIPT.parent / "views"


@pytest.fixture(scope="module")
def demo(session_store: GraphStore, settings: Settings, tmp_path_factory) -> Iterator[GraphStore]:
    add_app_users(settings)
    with private_ontology(tmp_path_factory.mktemp("onto")):
        yield load_demo_with_qa(session_store, settings)


def texts(elements) -> str:
    return "\n".join(str(e.value if hasattr(e, "value") else e.body) for e in elements)


def everything(at: AppTest) -> str:
    """All text the visitor can see, main area and sidebar."""
    kinds = ("title", "header", "subheader", "markdown", "caption", "info", "error", "warning")
    return "\n".join(texts(getattr(at, k)) for k in kinds) + texts(at.sidebar.caption)


def sign_in_form(at: AppTest, user: str, password: str) -> AppTest:
    at.text_input(key="signin_name").input(user)
    at.text_input(key="signin_password").input(password)
    at.button(key="FormSubmitter:signin-Sign in").click()
    return at.run()


def signed_in(user: str) -> AppTest:
    at = AppTest.from_file(str(MAIN_SCRIPT), default_timeout=120).run()
    sign_in_form(at, user, APP_PASSWORD)
    assert f"Signed in as **{user}**" in texts(at.sidebar.caption), everything(at)
    return at


def open_page(at: AppTest, name: str, **state: object) -> AppTest:
    for k, v in state.items():
        at.session_state[k] = v
    at.switch_page(f"views/{name}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def only_the_sign_in(at: AppTest) -> None:
    """The visitor sees the sign-in form and nothing of the app."""
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["cxrkg"]
    assert [s.value for s in at.subheader] == ["Sign in"]
    assert {t.key for t in at.text_input} == {"signin_name", "signin_password"}
    assert not at.sidebar.children or not everything(at).count("Signed in")
    assert not at.metric and not at.dataframe and not at.selectbox and not at.tabs
    assert "Store:" not in everything(at)


# -- anonymous visitors ------------------------------------------------------------------
def test_an_anonymous_visitor_sees_only_the_sign_in(demo: GraphStore) -> None:
    at = AppTest.from_file(str(MAIN_SCRIPT), default_timeout=60).run()
    only_the_sign_in(at)
    for name in ("overview", "studies", "qa", "cypher", "ontology", "proposals"):
        at.switch_page(f"views/{name}.py")
        at.run()
        only_the_sign_in(at)


@pytest.mark.parametrize("view", ["proposals", "cypher", "studies"])
def test_a_page_script_run_by_itself_shows_only_the_sign_in(demo: GraphStore, view: str) -> None:
    at = AppTest.from_file(str(VIEWS / f"{view}.py"), default_timeout=60).run()
    only_the_sign_in(at)


def test_a_wrong_password_is_refused_and_shows_nothing_more(demo: GraphStore) -> None:
    at = AppTest.from_file(str(MAIN_SCRIPT), default_timeout=60).run()
    sign_in_form(at, "reviewer", "not the password")
    only_the_sign_in(at)
    assert "wrong user name or password" in texts(at.error)
    sign_in_form(at, "nobody", APP_PASSWORD)
    assert "wrong user name or password" in texts(at.error)


def test_sign_out_returns_to_the_sign_in(demo: GraphStore) -> None:
    at = signed_in("viewer")
    at.sidebar.button(key="signout").click()
    at.run()
    only_the_sign_in(at)


def test_a_user_removed_from_the_users_file_is_signed_out(demo: GraphStore, settings) -> None:
    UsersFile(settings.users_path).add("temp-user", "curator", APP_PASSWORD)
    at = signed_in("temp-user")
    UsersFile(settings.users_path).remove("temp-user")
    at.run()
    only_the_sign_in(at)


def test_repeated_wrong_passwords_pause_the_name(settings) -> None:
    users = UsersFile(settings.users_path)
    users.add("guessed", "viewer", APP_PASSWORD)
    try:
        for _ in range(MAX_FAILURES):
            with pytest.raises(SignInError, match="wrong"):
                sign_in(settings, "guessed", "guess guess guess")
        with pytest.raises(SignInError, match="too many failed sign-ins"):
            sign_in(settings, "guessed", APP_PASSWORD)  # even the right one, for a while
    finally:
        throttle.succeeded("guessed")
        users.remove("guessed")


# -- the users file ----------------------------------------------------------------------
def test_the_users_file_holds_argon2_hashes_readable_by_its_owner_only(tmp_path: Path) -> None:
    users = UsersFile(tmp_path / "users.json")
    users.add("dr-lee", "curator", "correct horse battery")
    raw = (tmp_path / "users.json").read_text()
    assert "correct horse battery" not in raw
    assert json.loads(raw)["users"][0]["password_hash"].startswith("$argon2id$")
    assert (tmp_path / "users.json").stat().st_mode & 0o777 == 0o600
    assert users.verify("dr-lee", "correct horse battery").role == "curator"
    assert users.verify("DR-LEE", "correct horse battery") is not None  # names ignore case
    assert users.verify("dr-lee", "wrong horse battery") is None
    users.set_password("dr-lee", "another long passphrase")
    assert users.verify("dr-lee", "correct horse battery") is None
    users.set_role("dr-lee", "reviewer")
    assert Directory(Settings(users_file=tmp_path / "users.json")).role("dr-lee") == "reviewer"
    for bad in (lambda: users.add("dr-lee", "viewer", "long enough pass"),
                lambda: users.add("x/../y", "viewer", "long enough pass"),
                lambda: users.add("ok", "superuser", "long enough pass"),
                lambda: users.add("ok", "viewer", "short")):  # fmt: skip
        with pytest.raises(UsersError):
            bad()


def test_cli_adds_users_and_sets_roles_without_echoing_passwords(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cxrkg.app.cli import app

    monkeypatch.setenv("CXRKG_HOME", str(tmp_path))
    reset_settings()
    try:
        runner = CliRunner()
        done = runner.invoke(
            app,
            ["users", "add", "ana", "--role", "reviewer", "--password-stdin"],
            input="a long passphrase\n",
        )
        assert done.exit_code == 0, done.output
        assert "a long passphrase" not in done.output
        account = UsersFile(tmp_path / "users.json").verify("ana", "a long passphrase")
        assert account is not None and account.role == "reviewer"
        refused = runner.invoke(app, ["users", "role", "ana", "root"])
        assert refused.exit_code == 1 and "not a role" in refused.output
        listed = runner.invoke(app, ["users", "list"])
        assert "ana" in listed.output and "reviewer" in listed.output
    finally:
        monkeypatch.undo()
        reset_settings()


# -- roles, enforced by the library whoever calls it --------------------------------------
def edit(synonym: str) -> Edit:
    return Edit("add_synonym", "finding", "pneumothorax", {"synonym": synonym})


def test_a_reviewer_cannot_approve_their_own_proposal_through_the_library(demo) -> None:
    collab = Collab()
    p = collab.propose(edit("own work pneumo"), "reviewer", "seen on the ward")
    for who in ("reviewer", "REVIEWER", " reviewer "):
        with pytest.raises(CollabError, match="other than its author"):
            collab.approve(p.id, who, store=demo)
    with pytest.raises(CollabError, match="other than its author"):
        collab.reject(p.id, "reviewer", "changed my mind")
    assert collab.proposal(p.id).status == "pending"


def test_a_reviewer_cannot_approve_their_own_proposal_in_the_app(demo) -> None:
    collab = Collab()
    p = collab.propose(edit("self approved pneumo"), "reviewer", "seen on the ward")
    at = open_page(signed_in("reviewer"), "proposals", proposal=str(p.id))
    button = at.button(key=f"approve_{p.id}")
    assert button.disabled
    assert "You wrote this proposal; another reviewer must review it." in texts(at.caption)
    # (a crafted click would still reach only Collab.approve, which refuses: test above)

    at = open_page(signed_in("reviewer2"), "proposals", proposal=str(p.id))
    at.button(key=f"approve_{p.id}").click()
    at.run()
    assert not at.exception and not at.error, texts(at.error)
    assert collab.proposal(p.id).status == "approved"
    change = history()[-1]
    assert (change.user, change.approved_by) == ("reviewer", "reviewer2")  # the signed-in one


def test_a_viewer_can_neither_propose_nor_review(demo) -> None:
    collab = Collab()
    with pytest.raises(CollabError, match="a viewer cannot propose"):
        collab.propose(edit("viewer idea"), "viewer", "because")
    p = collab.propose(edit("curator idea"), "curator", "because")
    with pytest.raises(CollabError, match="a viewer cannot approve"):
        collab.approve(p.id, "viewer", store=demo)
    with pytest.raises(CollabError, match="a curator cannot approve"):
        collab.approve(p.id, "curator", store=demo)
    with pytest.raises(CollabError, match="a viewer cannot restore"):
        collab.restore("anything", "viewer", reason="x")
    with pytest.raises(CollabError, match="not a user of this app"):
        collab.approve(p.id, "intruder", store=demo)

    at = open_page(signed_in("viewer"), "ontology")
    assert "viewer is a viewer; curators and reviewers propose changes." in texts(at.info)
    assert not [b for b in at.button if b.key == "edit_submit"]
    at = open_page(signed_in("viewer"), "proposals", proposal=str(p.id))
    assert at.button(key=f"approve_{p.id}").disabled


def test_an_admin_reviews_and_restores(demo) -> None:
    collab = Collab()
    p = collab.propose(edit("admin checked"), "curator", "because")
    done = collab.approve(p.id, "admin", store=demo)
    assert done.status == "approved" and history()[-1].approved_by == "admin"
    collab.restore(history()[-1].version_before, "admin", reason="undo", store=demo)
    assert history()[-1].op == "restore" and history()[-1].user == "admin"


def test_roles_come_from_configuration_not_from_the_page(demo) -> None:
    at = signed_in("curator")
    assert "_acting_user_picker" not in {w.key for w in at.sidebar.selectbox}
    at.session_state["acting_user"] = "admin"  # what the old sidebar picker set
    at = open_page(at, "proposals")
    assert "Signed in as **curator** (curator)" in texts(at.sidebar.caption)
    assert "curator is a curator: only reviewers approve" in texts(at.caption)


# -- OIDC: Streamlit's st.login --------------------------------------------------------------
@pytest.fixture()
def oidc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CXRKG_APP_AUTH", "oidc")
    monkeypatch.setenv("CXRKG_USERS", '[{"name": "dr.park@hospital.example", "role": "reviewer"}]')
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a test cookie secret",
    "client_id": "cxrkg",
    "client_secret": "secret",
    "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
}


def oidc_app(user: dict[str, object]) -> AppTest:
    at = AppTest.from_file(str(MAIN_SCRIPT), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = user
    return at.run()


def test_oidc_anonymous_visitor_sees_only_the_sign_in_button(demo, oidc) -> None:
    at = oidc_app({"is_logged_in": False})
    assert not at.exception
    assert [b.key for b in at.button] == ["signin_oidc"] and at.button[0].label == "Sign in"
    assert not at.text_input and not at.sidebar.children and not at.metric
    at.switch_page("views/proposals.py")
    at.run()
    assert [b.key for b in at.button] == ["signin_oidc"]


def test_oidc_identity_gets_its_role_from_the_configuration(demo, oidc) -> None:
    at = oidc_app({"is_logged_in": True, "email": "dr.park@hospital.example"})
    assert not at.exception, at.exception
    caption = texts(at.sidebar.caption)
    assert "Signed in as **dr.park@hospital.example** (reviewer)" in caption


def test_oidc_identity_not_in_the_configuration_is_refused(demo, oidc) -> None:
    at = oidc_app({"is_logged_in": True, "email": "someone@elsewhere.example"})
    assert "is not a user of this app" in texts(at.error)
    assert not at.metric and not at.sidebar.caption
    assert [b.key for b in at.button] == ["signout_oidc"]


def test_oidc_without_an_auth_section_says_how_to_configure_it(demo, oidc) -> None:
    at = AppTest.from_file(str(MAIN_SCRIPT), default_timeout=60)
    at.user = {}
    at.run()
    assert "no [auth] section" in texts(at.error) and not at.button


# -- images only from the image roots; no traceback for a visitor ----------------------------
def test_image_paths_resolve_only_inside_the_image_roots(tmp_path: Path) -> None:
    root = tmp_path / "images"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.png").write_bytes(b"png")
    (tmp_path / "secret.png").write_bytes(b"png")
    (root / "link.png").symlink_to(tmp_path / "secret.png")
    roots = (root,)
    assert overlay.resolve_image_path("sub/a.png", roots) == (root / "sub" / "a.png").resolve()
    assert overlay.resolve_image_path("sub/missing.png", roots) is None
    for hostile in ("/etc/passwd", "../secret.png", "sub/../../secret.png", "link.png", "C:\\x"):
        with pytest.raises(overlay.ImagePathRefused):
            overlay.resolve_image_path(hostile, roots)


def test_configured_image_roots_are_searched(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "x.png").write_bytes(b"png")
    monkeypatch.setenv("CXRKG_IMAGE_ROOTS", json.dumps([str(tmp_path)]))
    reset_settings()
    try:
        assert overlay.resolve_image_path("x.png") == (tmp_path / "x.png").resolve()
        assert overlay.resolve_image_path("images/00000001_000.png") is not None  # the demo's
    finally:
        monkeypatch.undo()
        reset_settings()


def test_a_study_whose_image_paths_leave_the_roots_shows_a_refusal_not_the_file(demo) -> None:
    sg = next(g for g in QBASource(demo_qba()) if isinstance(g, SceneGraph))
    text = json.dumps(sg.model_dump(mode="json")).replace(sg.study_id[1:], "59999990")
    data = json.loads(text)  # a copy with its own study and image ids
    data["patient_id"] = "p19999990"
    first, second = list(data["images"])[:2]
    data["images"][first]["path"] = "/etc/passwd"
    data["images"][second]["path"] = "../../../../../../etc/passwd"
    report = load_scene_graphs(demo, [SceneGraph.model_validate(data)], progress=False)
    assert report.loaded == ["s59999990"], report.summary()
    at = open_page(signed_in("viewer"), "studies", open_study="s59999990")
    warnings = texts(at.warning)
    assert "'/etc/passwd' is not served" in warnings
    assert "'../../../../../../etc/passwd' is not served" in warnings
    assert "root:" not in everything(at)  # nothing of the file reached the page


def demo_qba() -> Path:
    from cxrkg.app.demo import demo_dir

    return demo_dir()


def test_a_failing_page_shows_a_message_without_a_traceback(demo, monkeypatch) -> None:
    from cxrkg.app.webapp import data

    def broken(*args: object, **kwargs: object) -> list:
        raise RuntimeError("secret detail from /opt/cxrkg/app/webapp/data.py")

    at = signed_in("viewer")
    monkeypatch.setattr(data, "named", broken)
    old = st_config.get_option("client.showErrorDetails")
    st_config.set_option("client.showErrorDetails", "none")  # what `cxrkg app` serves with
    try:
        at = open_page(at, "overview")
    finally:
        st_config.set_option("client.showErrorDetails", old)
    assert not at.exception
    assert "This page ran into an error (RuntimeError)" in texts(at.error)
    assert "secret detail" not in everything(at) and "Traceback" not in everything(at)


def test_cxrkg_app_serves_without_error_details() -> None:
    from cxrkg.app.cli_webapp import streamlit_command

    cmd = streamlit_command(8501, "127.0.0.1")
    assert cmd[cmd.index("--client.showErrorDetails") + 1] == "none"
