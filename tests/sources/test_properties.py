"""Property tests for every loader: whatever a file holds, only ParseError escapes (and only
under strict), a good sibling file is kept whole, and the output is valid.

Each example writes a good game (sample 0) and a broken one (built from sample 1: random
bytes, a truncation, gzip damage, a random JSON value or a random CSV cell) into a fresh
folder and reads the folder with and without `strict`.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import tempfile
from pathlib import Path

import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hockey_vae.ingest import get_reader
from hockey_vae.sources import ParseError
from hockey_vae.sources.samples import FORMATS, sample_text

SETTINGS = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
JSON_FORMATS = ("nhl_api", "pwhl")
CSV_FORMATS = ("hockey_scraper", "stathletes", "tabular")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False)
    | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=6,
)


def _check(format: str, bad_name: str, bad: bytes) -> None:
    """Read a folder with a good game and `bad`; assert the three properties."""
    reader = get_reader(format)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        good_name, good_text = sample_text(format, 0)
        good = folder / good_name
        good.write_text(good_text, encoding="utf-8")
        alone = reader(good, strict=True, progress=False)
        (folder / bad_name).write_bytes(bad)
        out = reader(folder, progress=False)  # never raises on a bad file
        out.validate()
        for game_id in alone.games.column("game_id").to_pylist():
            kept = out.events.filter(pc.equal(out.events.column("game_id"), game_id))
            assert kept.equals(alone.events.filter(
                pc.equal(alone.events.column("game_id"), game_id))), f"{good_name} lost rows"
        for problem in out.problems:
            assert problem.file and str(problem)  # every problem names its file
        try:
            strict = reader(folder / bad_name, strict=True, progress=False)
        except ParseError as err:
            assert err.file and err.message
        else:
            strict.validate()


def _sample(format: str) -> tuple[str, bytes]:
    name, text = sample_text(format, 1)
    return name, text.encode("utf-8")


@SETTINGS
@given(format=st.sampled_from(FORMATS), data=st.binary(max_size=400), gz=st.booleans())
def test_random_bytes(format: str, data: bytes, gz: bool) -> None:
    name, _ = _sample(format)
    _check(format, name + (".gz" if gz else ""), data)


@SETTINGS
@given(format=st.sampled_from(FORMATS), cut=st.floats(0, 1), gz=st.booleans())
def test_truncations(format: str, cut: float, gz: bool) -> None:
    name, data = _sample(format)
    if gz:
        name, data = name + ".gz", gzip.compress(data)
    _check(format, name, data[:int(len(data) * cut)])


@SETTINGS
@given(format=st.sampled_from(FORMATS), where=st.floats(0, 1), junk=st.binary(min_size=1,
                                                                             max_size=8))
def test_damaged_bytes_in_a_good_file(format: str, where: float, junk: bytes) -> None:
    name, data = _sample(format)
    at = int(len(data) * where)
    _check(format, name, data[:at] + junk + data[at + len(junk):])


def _paths(value: object, prefix: tuple = ()) -> list[tuple]:
    """Every path (keys and indices) into a JSON document."""
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out += _paths(child, prefix + (i,))
    return out


@SETTINGS
@given(format=st.sampled_from(JSON_FORMATS), pick=st.floats(0, 1), value=json_values)
def test_random_json_values(format: str, pick: float, value: object) -> None:
    name, data = _sample(format)
    doc = json.loads(data)
    paths = _paths(doc)
    path = paths[min(int(pick * len(paths)), len(paths) - 1)]
    if not path:
        doc = value
    else:
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = value
    _check(format, name, json.dumps(doc).encode())


@SETTINGS
@given(format=st.sampled_from(CSV_FORMATS), row=st.floats(0, 1), column=st.floats(0, 1),
       cell=st.text(max_size=12))
def test_random_csv_cells(format: str, row: float, column: float, cell: str) -> None:
    name, data = _sample(format)
    rows = list(csv.reader(io.StringIO(data.decode())))
    r = min(int(row * len(rows)), len(rows) - 1)
    c = min(int(column * len(rows[r])), len(rows[r]) - 1)
    rows[r][c] = cell
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    _check(format, name, out.getvalue().encode("utf-8"))
