"""A QA release written in parts: shards merged, a stopped run resumed, give the files of one
run over all the studies, byte for byte (every file of the release tree: zips, metadata
tables, stats, exports with their random subsets)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from cxrkg.app.demo import load_demo
from cxrkg.qa_gen.export import ReleaseOptions, ZipOut
from cxrkg.qa_gen.generate import generate_qa
from cxrkg.qa_gen.run import RunError, RunOptions, merge_release

SEED, SUBSET = 3, 40  # 40 questions: the q1M-style subsets are random draws, not everything


def release_files(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and "parts" not in p.relative_to(out).parts
    }


def assert_same_release(got: Path, want: dict[str, bytes]) -> None:
    have = release_files(got)
    assert sorted(have) == sorted(want)
    assert [name for name in want if have[name] != want[name]] == []


@pytest.fixture(scope="module")
def one_run(session_store, tmp_path_factory):  # noqa: ANN001, ANN201
    """The demo in the graph and the release of one uninterrupted run over all of it."""
    store = session_store
    store.clear()
    store.setup_schema()
    load_demo(store, progress=False)
    out = tmp_path_factory.mktemp("one_run")
    generate_qa(store, None, out, seed=SEED, release=ReleaseOptions(subset_size=SUBSET, seed=SEED))
    files = release_files(out)
    assert len(files) > 100 and not (out / "parts").exists()
    return {"out": out, "files": files}


def test_appending_zips_gives_the_bytes_of_writing_every_member_into_one(tmp_path: Path) -> None:
    members = [(f"qa/p1{i}/s{i}.qa.json", os.urandom(50) + b"x" * (i * 300)) for i in range(7)]
    whole, first, second = ZipOut(tmp_path / "whole.zip"), ZipOut(tmp_path / "a.zip"), None
    for name, data in members:
        whole.write(name, data)
    for name, data in members[:3]:
        first.write(name, data)
    second = ZipOut(tmp_path / "b.zip")
    for name, data in members[3:]:
        second.write(name, data)
    for z in (whole, first, second):
        z.close()
    merged = ZipOut(tmp_path / "merged.zip")
    merged.append(tmp_path / "a.zip")
    merged.append(tmp_path / "b.zip")
    merged.close()

    assert (tmp_path / "merged.zip").read_bytes() == (tmp_path / "whole.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "merged.zip") as zf:
        assert zf.testzip() is None
        assert [(n, zf.read(n)) for n in zf.namelist()] == members


def test_the_shards_of_a_run_merge_into_the_files_of_one_run(one_run, session_store, tmp_path):  # noqa: ANN001
    outs = []
    for i in (1, 2, 3):
        out = tmp_path / f"shard{i}"
        report = generate_qa(
            session_store,
            None,
            out,
            seed=SEED,
            release=ReleaseOptions(subset_size=SUBSET, seed=SEED),
            run=RunOptions(shard=(i, 3), part_size=4),
        )
        assert report.release is None and "cxrkg qa merge" in report.next_step
        outs.append(out)
    # A shard writes its parts only, never the release's files.
    assert not (outs[0] / "qa.zip").exists() and len(list((outs[0] / "parts").iterdir())) == 3

    with pytest.raises(RunError, match="2 of 6 parts are not complete"):
        merge_release(outs[:2], tmp_path / "incomplete")
    merged = merge_release(outs, tmp_path / "merged")

    assert_same_release(tmp_path / "merged", one_run["files"])
    assert merged.studies == 22 and merged.release.studies == 22


def test_parts_of_another_run_are_not_merged_or_resumed(one_run, session_store, tmp_path):  # noqa: ANN001
    def shard(out: Path, seed: int, resume: bool = False) -> None:
        generate_qa(
            session_store,
            None,
            out,
            seed=seed,
            run=RunOptions(shard=(1, 2), part_size=11, resume=resume),
        )

    shard(tmp_path / "a", SEED)
    shard(tmp_path / "b", SEED + 1)
    with pytest.raises(RunError, match="hold parts of different runs .*seed 3 then, 4 now"):
        merge_release([tmp_path / "a", tmp_path / "b"], tmp_path / "merged")
    with pytest.raises(RunError, match="holds parts of another run .*seed 3 then, 4 now"):
        shard(tmp_path / "a", SEED + 1, resume=True)


def run_cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from cxrkg.app.cli import main; main()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "250"},  # the summary's lines unwrapped
    )


def stop_after_first_part(proc: subprocess.Popen[str], parts: Path, sig: int) -> str:
    """Send `sig` once a part of the run is complete; the run's output."""
    deadline = time.monotonic() + 120
    while not list(parts.glob("*/part.json")):
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, "no part was finished in two minutes"
        time.sleep(0.02)
    proc.send_signal(sig)
    return proc.communicate(timeout=120)[0]


def test_a_stopped_run_resumes_without_redoing_finished_parts_and_gives_the_same_files(
    one_run, session_store, tmp_path
):  # noqa: ANN001
    out, parts = tmp_path / "release", tmp_path / "release" / "parts"
    args = ["qa", "generate", "--all", "--out", str(out), "--seed", str(SEED)]
    args += ["--subset-size", str(SUBSET), "--part-size", "2"]

    # Ctrl-C: the run says what is done and how to finish it.
    proc = run_cli(*args)
    output = stop_after_first_part(proc, parts, signal.SIGINT)
    assert proc.returncode == 130, output
    assert "stopped:" in output and "--resume" in output and "Traceback" not in output
    assert not (out / "qa.zip").exists()
    # Without --resume the stopped run is not thrown away.
    refused = run_cli(*args)
    assert refused.wait(120) != 0 and "add --resume" in refused.communicate()[0]

    # Killed outright while resuming: parts finished before stay, a half-written one goes.
    done_before = {p.parent.name: p.stat().st_mtime_ns for p in parts.glob("*/part.json")}
    proc = run_cli(*args, "--resume")
    deadline = time.monotonic() + 120
    while len(list(parts.glob("*/part.json"))) <= len(done_before):
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline
        time.sleep(0.02)
    proc.kill()
    proc.communicate(timeout=60)
    done = {p.parent.name: p.stat().st_mtime_ns for p in parts.glob("*/part.json")}
    assert len(done) < 11 and all(done[name] == t for name, t in done_before.items())

    finish = run_cli(*args, "--resume", "--keep-parts")
    output = finish.communicate(timeout=300)[0]
    assert finish.returncode == 0, output
    assert f"parts: 11 ({len(done)} kept from the stopped run)" in output
    assert "per family:" in output and "per grade:" in output and "QA pairs/s" in output
    # The kept parts were not written again.
    assert all((parts / name / "part.json").stat().st_mtime_ns == t for name, t in done.items())
    assert_same_release(out, one_run["files"])


def test_a_run_as_ray_tasks_writes_the_files_of_one_run(
    one_run, session_store, ray_cluster, tmp_path
):  # noqa: ANN001
    out = tmp_path / "on_ray"
    report = generate_qa(
        session_store,
        None,
        out,
        seed=SEED,
        release=ReleaseOptions(subset_size=SUBSET, seed=SEED),
        run=RunOptions(executor="ray", part_size=6),
    )
    assert report.parts == 4 and report.studies == 22
    assert_same_release(out, one_run["files"])


def test_qa_merge_names_a_folder_that_holds_no_run_and_a_bad_shard(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cxrkg.app.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["qa", "merge", str(tmp_path), "--out", str(tmp_path / "r")])
    assert result.exit_code != 0 and "not the --out of a `qa generate` run" in result.output
    result = runner.invoke(
        app, ["qa", "generate", "--all", "--out", str(tmp_path), "--shard", "0/2"]
    )
    assert result.exit_code != 0 and "i must be between 1 and n" in result.output
