"""``relucid tour`` / ``relucid report`` and the report writer against hostile output folders (issue 15,
finding 6): a link or a non-file at ``--out/index.html`` is refused with one line on stderr and exit code 2,
and nothing is written outside the output folder."""

from __future__ import annotations

import json
import logging
import os

import numpy as np
import pytest

from cli_helpers import refused, run
from relucid.errors import InvalidValueError


# -- finding 6: the report writer ---------------------------------------------------------------------

def _tiny_report():
    """A one-section report, built in milliseconds."""
    from relucid.report import Job, run_jobs
    from relucid.report.section import Section

    job = Job("one", "One", lambda: Section("one", "One", "done", summary="ok", body="<p>ok</p>"))
    return run_jobs("tiny", "a test page", [job])


def test_report_write_refuses_a_symlinked_index_and_writes_nothing_outside(tmp_path):
    rep = _tiny_report()
    out, victim = tmp_path / "site", tmp_path / "outside.txt"
    out.mkdir()
    victim.write_text("precious")
    (out / "index.html").symlink_to(victim)
    with pytest.raises(InvalidValueError, match="symbolic link"):
        rep.write(out)
    assert victim.read_text() == "precious"
    assert (out / "index.html").is_symlink() and sorted(p.name for p in out.iterdir()) == ["index.html"]
    # a dangling link (to a file that does not exist yet) is refused too, and not created
    (out / "index.html").unlink()
    (out / "index.html").symlink_to(tmp_path / "new.html")
    with pytest.raises(InvalidValueError, match="symbolic link"):
        rep.write(out)
    assert not (tmp_path / "new.html").exists()


def test_report_write_replaces_a_hard_link_without_touching_its_target(tmp_path):
    rep = _tiny_report()
    out, victim = tmp_path / "site", tmp_path / "outside.txt"
    out.mkdir()
    victim.write_text("precious")
    os.link(victim, out / "index.html")
    path = rep.write(out)
    assert victim.read_text() == "precious"
    assert path == out / "index.html" and path.read_text(encoding="utf-8") == rep.html
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]  # no temporary file left behind


def test_report_write_refuses_empty_path_and_non_folders(tmp_path, monkeypatch):
    rep = _tiny_report()
    monkeypatch.chdir(tmp_path)
    for bad in ("", "  "):
        with pytest.raises(InvalidValueError, match="empty"):
            rep.write(bad)
    assert list(tmp_path.iterdir()) == []  # nothing written into the working directory
    (tmp_path / "file").write_text("x")
    with pytest.raises(InvalidValueError, match="not a folder"):
        rep.write(tmp_path / "file")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "index.html").mkdir()
    with pytest.raises(InvalidValueError, match="not a regular file"):
        rep.write(tmp_path / "d")


def test_report_write_says_when_it_replaces_a_report(tmp_path, caplog):
    from relucid.report.build import report_exists

    rep, out = _tiny_report(), tmp_path / "site"
    assert not report_exists(out)
    rep.write(out)
    assert report_exists(out)
    with caplog.at_level(logging.WARNING, logger="relucid.report.build"):
        rep.write(out)
    assert any("replacing the existing report" in r.getMessage() for r in caplog.records)


@pytest.fixture
def fast_tour(monkeypatch):
    """``relucid tour`` with a one-section report (the real tour takes ~15 s)."""
    import relucid.report

    monkeypatch.setattr(relucid.report, "tour", lambda **kw: _tiny_report())


def test_cli_tour_refuses_symlinked_index(capsys, tmp_path, fast_tour):
    out, victim = tmp_path / "site", tmp_path / "victim.txt"
    out.mkdir()
    victim.write_text("precious")
    (out / "index.html").symlink_to(victim)
    refused(capsys, "tour", "--out", out, "--no-progress", fragment="symbolic link")
    assert victim.read_text() == "precious"


def test_cli_tour_refuses_empty_out(capsys, tmp_path, monkeypatch, fast_tour):
    monkeypatch.chdir(tmp_path)
    refused(capsys, "tour", "--out", "", fragment="argument --out: expected an output folder")
    refused(capsys, "report", "example:moons", "data.npz", "--out", "", fragment="argument --out")
    assert list(tmp_path.iterdir()) == []


def test_cli_tour_says_when_it_replaces_a_report(capsys, tmp_path, fast_tour):
    out = tmp_path / "site"
    code, text, _ = run(capsys, "tour", "--out", out, "--no-progress")
    assert code == 0 and "replaced" not in text
    code, text, _ = run(capsys, "tour", "--out", out, "--no-progress")
    assert code == 0 and "(replaced the previous report)" in text
    code, text, _ = run(capsys, "tour", "--out", out, "--json")
    assert code == 0 and json.loads(text)["replaced"] is True


@pytest.mark.slow
def test_build_report_write_refuses_symlinked_index(tmp_path):
    from relucid.report import build_report

    out, victim = tmp_path / "site", tmp_path / "victim.txt"
    out.mkdir()
    victim.write_text("precious")
    (out / "index.html").symlink_to(victim)
    rep = build_report("example:chevron", _chevron_data(tmp_path))
    with pytest.raises(InvalidValueError, match="symbolic link"):
        rep.write(out)
    assert victim.read_text() == "precious"


def _chevron_data(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "chevron_data.npz"
    np.savez(path, X=rng.uniform(-1, 1, (40, 2)), y=rng.integers(0, 2, 40))
    return path
