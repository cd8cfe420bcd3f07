"""Curation operations: each round-trips through save, load and the change log; restore is exact."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cxrkg.config import reset_settings
from cxrkg.ontology import curation, load_ontology
from cxrkg.ontology.curation import CurationError, Edit
from cxrkg.ontology.files import BUNDLED, curated_path, default_path


@pytest.fixture()
def owl(tmp_path: Path) -> Path:
    path = tmp_path / "onto" / "cxrkg.owl"
    path.parent.mkdir()
    shutil.copyfile(BUNDLED, path)
    return path


def _check_add_concept(onto) -> None:
    c = onto.finding("extrapleural lipoma")
    assert c is not None and c.name == "pleural lipoma" and c.parents == ("pleural mass",)
    assert "pleural lipoma" in onto.descendants("mass")


def _check_rename(onto) -> None:
    assert "airspace consolidation" in onto.findings and "consolidation" not in onto.findings
    assert onto.finding("consolidation").name == "airspace consolidation"  # old name kept
    assert "airspace consolidation" in onto.parents("pneumonia")  # references follow


def _check_add_synonym(onto) -> None:
    assert onto.finding("pl eff").name == "pleural effusion"


def _check_remove_synonym(onto) -> None:
    assert onto.finding("hydrothorax") is None


def _check_reparent(onto) -> None:
    assert onto.parents("calcified granuloma") == ["granuloma"]


def _check_merge(onto) -> None:
    gone = onto.findings["infiltration"]
    assert gone.deprecated and gone.replaced_by == "lung opacity"
    assert onto.finding("infiltrates").name == "lung opacity"
    assert onto.finding("infiltration") is gone  # by its own name: the deprecated concept
    assert onto.resolve("infiltration", "finding").name == "lung opacity"


def _check_deprecate(onto) -> None:
    c = onto.findings["pseudonodule"]
    assert c.deprecated and c.replaced_by == "nodule"
    assert onto.resolve("pseudonodule", "finding").name == "nodule"
    assert "pseudonodule" not in onto.value_sets()["findings"]


OPERATIONS = [
    (
        lambda p: curation.add_concept(
            p,
            "dr a",
            "seen in reports",
            kind="finding",
            label="Pleural lipoma",
            parents=["pleural mass"],
            categories=["ANATOMICAL_FINDING"],
            subcategories=["PLEURA"],
            default_regions=["pleura"],
            synonyms=["extrapleural lipoma"],
        ),
        _check_add_concept,
    ),
    (
        lambda p: curation.rename(
            p,
            "dr a",
            "clearer",
            kind="finding",
            name="consolidation",
            new_label="airspace consolidation",
        ),
        _check_rename,
    ),
    (
        lambda p: curation.add_synonym(
            p, "dr a", "local usage", kind="finding", name="pleural effusion", synonym="pl eff"
        ),
        _check_add_synonym,
    ),
    (
        lambda p: curation.remove_synonym(
            p, "dr a", "misleading", kind="finding", name="pleural effusion", synonym="hydrothorax"
        ),
        _check_remove_synonym,
    ),
    (
        lambda p: curation.reparent(
            p,
            "dr a",
            "one parent",
            kind="finding",
            name="calcified granuloma",
            parents=["granuloma"],
        ),
        _check_reparent,
    ),
    (
        lambda p: curation.merge(
            p, "dr a", "duplicates", kind="finding", name="infiltration", into="lung opacity"
        ),
        _check_merge,
    ),
    (
        lambda p: curation.deprecate(
            p, "dr a", "not a finding", kind="finding", name="pseudonodule", replaced_by="nodule"
        ),
        _check_deprecate,
    ),
]


@pytest.mark.parametrize(
    ("operate", "check"),
    OPERATIONS,
    ids=[c.__name__.removeprefix("_check_") for _, c in OPERATIONS],
)
def test_each_curation_operation_round_trips_through_save_load_and_the_change_log(
    owl: Path, operate, check
) -> None:
    before = load_ontology(owl)
    record = operate(owl)
    after = load_ontology(owl)
    check(after)
    assert after.version != before.version
    assert record.version_before == before.version and record.version_after == after.version
    [logged] = curation.history(owl)
    assert logged == record and logged.user == "dr a" and logged.reason
    assert logged.after and logged.when.endswith("+00:00")
    assert json.loads(curation.log_path(owl).read_text().splitlines()[0])["op"] == record.op
    # a save of what was loaded gives the same bytes: the edit is stable
    from cxrkg.ontology.owl_io import read_owl, render_owl

    concepts, meta = read_owl(owl)
    assert render_owl(concepts, meta) == owl.read_text(encoding="utf-8")


def test_deprecating_a_parent_warns_about_its_active_children(owl: Path) -> None:
    from cxrkg.ontology.validation import validate_concepts

    curation.deprecate(
        owl, "dr a", "too vague", kind="finding", name="volume loss", replaced_by="atelectasis"
    )
    warnings = validate_concepts(load_ontology(owl).concepts())
    assert {(w.check, w.severity, w.concepts) for w in warnings} == {
        ("deprecated-parent", "warning", ("low lung volumes", "volume loss"))
    }
    assert "use 'atelectasis'" in str(warnings[0])


def test_an_edit_that_breaks_the_ontology_is_rejected_and_nothing_is_written(owl: Path) -> None:
    data = owl.read_bytes()
    with pytest.raises(CurationError, match="cycle"):
        curation.reparent(
            owl, "dr a", "oops", kind="finding", name="lung opacity", parents=["consolidation"]
        )
    with pytest.raises(CurationError, match="belongs to 2 concepts"):
        curation.add_synonym(
            owl, "dr a", "oops", kind="finding", name="pneumothorax", synonym="effusion"
        )
    with pytest.raises(CurationError, match="no finding named"):
        curation.add_synonym(owl, "dr a", "oops", kind="finding", name="moon", synonym="x")
    assert owl.read_bytes() == data
    assert curation.history(owl) == []


def test_an_edit_can_be_previewed_without_being_applied(owl: Path) -> None:
    edit = Edit("merge", "finding", "infiltration", {"into": "lung opacity"})
    assert Edit.from_json(json.loads(json.dumps(edit.to_json()))) == edit
    data = owl.read_bytes()
    preview = curation.preview(owl, edit)
    assert preview.ok and {c.name for c in preview.after} == {"infiltration", "lung opacity"}
    bad = Edit("reparent", "finding", "lung opacity", {"parents": ["pneumonia"]})
    assert any(p.check == "cycle" for p in curation.validate_edit(owl, bad))
    assert owl.read_bytes() == data and curation.history(owl) == []


def test_restore_brings_back_an_earlier_version_exactly(owl: Path) -> None:
    original = owl.read_bytes()
    first = curation.add_synonym(
        owl, "dr a", "x", kind="finding", name="atelectasis", synonym="atx"
    )
    after_first = owl.read_bytes()
    curation.merge(owl, "dr b", "y", kind="finding", name="infiltration", into="lung opacity")
    rec = curation.restore(first.version_after, owl, user="dr c", reason="undo the merge")
    assert owl.read_bytes() == after_first
    assert rec.op == "restore" and [r.op for r in curation.history(owl)] == [
        "add_synonym",
        "merge",
        "restore",
    ]
    curation.restore(first.version_before, owl, user="dr c", reason="back to shipped")
    assert owl.read_bytes() == original
    with pytest.raises(CurationError, match="no single saved version"):
        curation.restore("ffffffff", owl, user="dr c")


def test_first_edit_copies_the_bundled_file_to_the_curation_folder_which_load_prefers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CXRKG_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CXRKG_ONTOLOGY_PATH", raising=False)
    reset_settings()
    try:
        assert default_path() == BUNDLED
        curation.add_synonym(
            None, "dr a", "x", kind="region", name="lung bases", synonym="both lower zones"
        )
        assert curated_path().is_file() and default_path() == curated_path()
        assert load_ontology().region("both lower zones").name == "lung bases"
        assert load_ontology(BUNDLED).region("both lower zones") is None  # shipped file untouched
        assert [r.op for r in curation.history()] == ["add_synonym"]
    finally:
        monkeypatch.undo()
        reset_settings()
