"""File helpers shared by every stage: path expansion, transparent gzip, atomic writes.

Atomic writes (temp file in the same folder, then `os.replace`) mean a failed run never
leaves a half-written file in place of an earlier good one.
"""

from __future__ import annotations

import contextlib
import glob
import gzip
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["expand_paths", "open_binary", "read_text", "atomic_path", "write_parquet"]

PathLike = str | os.PathLike


def expand_paths(
    paths: PathLike | Iterable[PathLike], suffixes: tuple[str, ...] = ()
) -> list[Path]:
    """Files named by `paths` (files, directories searched recursively, or globs), sorted.

    Directories keep only files whose name ends in one of `suffixes` (with or without `.gz`).
    Raises FileNotFoundError naming any path that matches nothing.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    found: list[Path] = []
    for entry in paths:
        text = os.fspath(entry)
        if any(ch in text for ch in "*?["):
            matches = [Path(m) for m in glob.glob(text, recursive=True) if Path(m).is_file()]
            if not matches:
                raise FileNotFoundError(f"no file matches {text!r}")
            found.extend(matches)
        elif Path(text).is_dir():
            for child in Path(text).rglob("*"):
                name = child.name.removesuffix(".gz")
                if child.is_file() and (not suffixes or name.endswith(suffixes)):
                    found.append(child)
        elif Path(text).is_file():
            found.append(Path(text))
        else:
            raise FileNotFoundError(f"no such file or directory: {text!r}")
    return sorted(set(found))


def open_binary(path: PathLike) -> io.BufferedIOBase:
    """Open `path` for reading bytes, decompressing `.gz` transparently."""
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def read_text(path: PathLike, encoding: str = "utf-8") -> str:
    """The whole text of `path` (gzip transparent)."""
    with open_binary(path) as fh:
        return fh.read().decode(encoding)


@contextlib.contextmanager
def atomic_path(target: PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success rename it onto `target`.

    On an exception the temporary file is removed and `target` is left untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates 0600 files; give the output the usual permissions (umask applies)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_parquet(table: pa.Table, path: PathLike) -> Path:
    """Write `table` to `path` atomically (zstd-compressed Parquet); return the path."""
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return Path(path)
