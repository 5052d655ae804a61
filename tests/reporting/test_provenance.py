"""Provenance: one commit format for every report, and headers that name every fact."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from hockey_vae.reporting import Provenance, git_commit, provenance


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "config", "user.email", "t@example.com")
    _git(tmp_path, "config", "user.name", "t")
    (tmp_path / "a.txt").write_text("one\n")
    _git(tmp_path, "add", "a.txt")
    _git(tmp_path, "commit", "-q", "-m", "first")
    return tmp_path


def test_git_commit_is_full_sha_and_marks_dirty_trees(repo: Path) -> None:
    clean = git_commit(repo)
    assert re.fullmatch(r"[0-9a-f]{40}", clean)
    (repo / "a.txt").write_text("two\n")
    assert git_commit(repo) == clean + "-dirty"
    (repo / "untracked.txt").write_text("x")  # untracked files do not make a tree dirty
    (repo / "a.txt").write_text("one\n")
    assert git_commit(repo) == clean


def test_a_rewritten_report_does_not_make_the_code_dirty(repo: Path) -> None:
    (repo / "reports").mkdir()
    (repo / "reports" / "r.md").write_text("old\n")
    _git(repo, "add", "reports/r.md")
    _git(repo, "commit", "-q", "-m", "report")
    clean = git_commit(repo)
    (repo / "reports" / "r.md").write_text("regenerated\n")
    assert git_commit(repo) == clean
    assert git_commit(repo / "reports") == clean  # from a subfolder too


def test_git_commit_outside_a_repository_is_unknown(tmp_path: Path) -> None:
    assert git_commit(tmp_path) == "unknown"


def test_provenance_header_names_command_data_split_seeds_commit(repo: Path) -> None:
    prov = provenance("hockey-vae benchmark --data NHL_DIR", "NHL 2018-19", split="80/10/10",
                      seeds=[0, 1], repo=repo, threads=2)
    text = "\n".join(prov.markdown())
    for fact in ("hockey-vae benchmark --data NHL_DIR", "NHL 2018-19", "80/10/10", "0, 1",
                 prov.commit, prov.created_utc, "threads: 2"):
        assert fact in text
    as_dict = prov.to_dict()
    assert as_dict["seeds"] == [0, 1] and as_dict["threads"] == 2 and "extra" not in as_dict


def test_empty_facts_are_left_out() -> None:
    lines = Provenance(command="c", data="d", commit="abc", created_utc="now").markdown()
    assert not any(line.startswith(("- split", "- seeds")) for line in lines)
