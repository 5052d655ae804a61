"""Where a report came from: one helper so every report names its commit the same way.

Every report in `reports/` states the command that regenerates it, the data, the split, the
seeds, the commit and when it was made. The commit is always the full SHA, with "-dirty"
appended when tracked files outside `reports/` had uncommitted changes, so a reader can tell a
report made from committed code from one that was not.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Provenance", "git_commit", "provenance"]

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def git_commit(path: str | Path | None = None) -> str:
    """Full SHA of HEAD of the repository holding `path` (+ "-dirty"), or "unknown" outside git.

    "-dirty" means a tracked file outside `reports/` differs from HEAD: the code, configs or
    data that produced a report. Reports themselves are left out, since a benchmark rewrites
    its own (tracked) report and figures, which says nothing about the code that ran.
    """
    cwd = Path(path) if path is not None else _PACKAGE_ROOT
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True,
                             text=True, check=True).stdout.strip()
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=cwd,
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "--no-optional-locks", "status", "--porcelain",
                                "--untracked-files=no", "--", ".", ":(exclude)reports"],
                               cwd=top, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha + ("-dirty" if dirty else "")


@dataclass(frozen=True)
class Provenance:
    """What produced a report: enough to regenerate it and to judge its numbers."""

    command: str
    data: str
    split: str = ""
    seeds: tuple[int, ...] = ()
    commit: str = ""
    created_utc: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (`extra` merged in at the top level)."""
        out = asdict(self)
        out["seeds"] = list(self.seeds)
        out.update(out.pop("extra"))
        return out

    def markdown(self) -> list[str]:
        """The report's header lines, one bullet per fact, empty facts left out."""
        lines = [f"- command: `{self.command}`", f"- data: {self.data}"]
        if self.split:
            lines.append(f"- split: {self.split}")
        if self.seeds:
            lines.append("- seeds: " + ", ".join(str(s) for s in self.seeds))
        lines.append(f"- commit: `{self.commit}`; created {self.created_utc} UTC")
        lines.extend(f"- {key}: {value}" for key, value in self.extra.items())
        return lines


def provenance(command: str, data: str, *, split: str = "", seeds: Sequence[int] = (),
               repo: str | Path | None = None, **extra: Any) -> Provenance:
    """A Provenance stamped with the current commit and UTC time."""
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
    return Provenance(command=command, data=data, split=split, seeds=tuple(seeds),
                      commit=git_commit(repo), created_utc=now, extra=dict(extra))
