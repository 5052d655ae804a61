"""Named regressions for issue 9: each bad input found by hand gets a clear message naming
its file (and row and field where there is one), and good files and rows are kept."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.compute as pc
import pytest

from hockey_vae.cli import main
from hockey_vae.ingest import get_reader, ingest
from hockey_vae.sources import ParseError, nhl_api, pwhl, tabular
from hockey_vae.sources.samples import FORMATS, sample_text, write_sample


def _pair(format: str, folder: Path) -> tuple[Path, str, str]:
    """A good game (sample 0) in `folder`; returns its path, and sample 1's name and text."""
    good = write_sample(format, folder, 0)
    name, text = sample_text(format, 1)
    return good, name, text


def _games(out) -> list[str]:
    return out.games.column("game_id").to_pylist()


@pytest.mark.parametrize("format", FORMATS)
def test_truncated_gzip_in_every_loader(tmp_path: Path, format: str) -> None:
    good, name, text = _pair(format, tmp_path)
    bad = tmp_path / (name + ".gz")
    bad.write_bytes(gzip.compress(text.encode())[:-12])  # EOFError inside gzip
    out = get_reader(format)(tmp_path, progress=False)
    out.validate()
    assert len(_games(out)) == 1 and out.files_skipped == 1
    [problem] = [p for p in out.problems if p.fatal]
    assert problem.file == str(bad) and "truncated or corrupt compressed" in problem.message
    with pytest.raises(ParseError, match=rf"{bad.name}.*truncated or corrupt"):
        get_reader(format)([good, bad], strict=True, progress=False)


@pytest.mark.parametrize("format", FORMATS)
def test_non_utf8_bytes_name_file_and_line(tmp_path: Path, format: str) -> None:
    _, name, text = _pair(format, tmp_path)
    if name.endswith(".json"):
        text = json.dumps(json.loads(text), indent=1)
    lines = text.encode().split(b"\n")
    lines[2] = b"\xff\xfe" + lines[2]
    (tmp_path / name).write_bytes(b"\n".join(lines))
    out = get_reader(format)(tmp_path, progress=False)
    assert len(_games(out)) == 1
    [problem] = out.problems
    assert problem.file.endswith(name) and problem.field == "encoding"
    assert problem.row == 3 and "not UTF-8" in problem.message and "0xff" in problem.message


def test_random_bytes_tabular_csv_names_the_file(tmp_path: Path) -> None:
    write_sample("tabular", tmp_path, 0)
    (tmp_path / "events_junk.csv").write_bytes(bytes(range(256)) * 3)
    out = tabular.read(tmp_path, progress=False)
    assert _games(out) == ["T-0"]
    assert [Path(p.file).name for p in out.problems] == ["events_junk.csv"]


def test_corrupt_shift_chart_keeps_the_play_by_play(tmp_path: Path) -> None:
    good = write_sample("nhl_api", tmp_path, 0)
    shifts = tmp_path / "shifts_2023020001.json.gz"
    shifts.write_bytes(gzip.compress(b'{"data": [' * 50)[:-9])
    out = nhl_api.read(tmp_path, progress=False)
    out.validate()
    assert _games(out) == ["NHL-2023020001"] and out.events.num_rows == 5
    assert out.events.column("on_ice_for").null_count == 5
    [problem] = out.problems
    assert problem.file == str(shifts) and good.name in problem.message
    with pytest.raises(ParseError, match="shifts_2023020001"):
        nhl_api.read(tmp_path, strict=True, progress=False)


@pytest.mark.parametrize(("key", "value", "field"), [
    ("details", ["a list"], "details"),
    ("periodDescriptor", "P1", "periodDescriptor"),
    ("timeInPeriod", {"m": 1}, "timeInPeriod"),
])
def test_nhl_api_play_of_the_wrong_shape_drops_that_play(tmp_path: Path, key: str,
                                                         value: object, field: str) -> None:
    doc = json.loads(sample_text("nhl_api", 0)[1])
    doc["plays"][2][key] = value
    path = tmp_path / "pbp.json"
    path.write_text(json.dumps(doc))
    out = nhl_api.read(path, progress=False)
    out.validate()
    assert out.events.num_rows == 4
    assert [(p.row, p.field, p.rows) for p in out.problems if p.rows] == [(2, field, 1)]
    with pytest.raises(ParseError, match=rf"pbp.json, row 2, field '{field}'"):
        nhl_api.read(path, strict=True, progress=False)


def test_duplicate_sort_order_is_reported(tmp_path: Path) -> None:
    doc = json.loads(sample_text("nhl_api", 0)[1])
    doc["plays"][3]["sortOrder"] = doc["plays"][2]["sortOrder"]
    path = tmp_path / "pbp.json"
    path.write_text(json.dumps(doc))
    out = nhl_api.read(path, progress=False)
    assert out.events.num_rows == 5  # both kept, in file order
    [problem] = out.problems
    assert (problem.row, problem.field) == (3, "sortOrder") and "repeats play 2" in problem.message


@pytest.mark.parametrize("game_id", [12345, "abc", -2023020001, 2023990001, 1.5, None])
def test_odd_nhl_game_id_is_refused(tmp_path: Path, game_id: object) -> None:
    write_sample("nhl_api", tmp_path, 0)
    doc = json.loads(sample_text("nhl_api", 1)[1])
    doc["id"] = game_id
    (tmp_path / "odd.json").write_text(json.dumps(doc))
    out = nhl_api.read(tmp_path, progress=False)
    assert _games(out) == ["NHL-2023020001"]
    [problem] = out.problems
    assert problem.file.endswith("odd.json") and problem.field == "id"


def test_odd_hockey_scraper_game_id_is_refused(tmp_path: Path) -> None:
    write_sample("hockey_scraper", tmp_path, 0)
    (tmp_path / "2018990001.csv").write_text(sample_text("hockey_scraper", 1)[1])
    out = get_reader("hockey_scraper")(tmp_path, progress=False)
    assert _games(out) == ["NHL-2018020001"]
    assert "odd game id 2018990001" in out.problems[0].message


def test_game_without_events_is_reported(tmp_path: Path) -> None:
    doc = json.loads(sample_text("nhl_api", 0)[1])
    doc["plays"] = []
    path = tmp_path / "pbp.json"
    path.write_text(json.dumps(doc))
    out = nhl_api.read(path, progress=False)
    assert out.games.num_rows == 0 and out.rosters.num_rows == 0
    assert "has no events: dropped" in out.problems[-1].message
    with pytest.raises(ValueError, match="nothing ingested.*no events"):
        ingest("nhl_api", path, tmp_path / "out", progress=False)


def test_phantom_game_in_a_games_file_is_reported(tmp_path: Path) -> None:
    write_sample("tabular", tmp_path, 0)
    (tmp_path / "games.csv").write_text("game_id,home_team,away_team\nT-0,AAA,BBB\n"
                                        "T-9,CCC,DDD\n")
    out = tabular.read(tmp_path, progress=False)
    out.validate()
    assert _games(out) == ["T-0"]
    [problem] = out.problems
    assert problem.file.endswith("games.csv") and "T-9 has no events" in problem.message


def test_period_zero_and_repeated_event_idx_name_the_file(tmp_path: Path) -> None:
    good = write_sample("tabular", tmp_path, 0)
    name, text = sample_text("tabular", 1)
    lines = text.splitlines()
    lines[2] = lines[2].replace(",1,1,", ",0,0,", 1).replace(",1,10,", ",1,0,", 1)
    lines[3] = lines[3].replace("T-1,TST,20202021,2020-10-01,2,", "T-1,TST,20202021,"
                                "2020-10-01,0,", 1)
    bad = tmp_path / name
    bad.write_text("\n".join(lines) + "\n")
    out = tabular.read(tmp_path, progress=False)
    out.validate()
    assert _games(out) == ["T-0", "T-1"] and out.files_skipped == 0
    t1 = out.events.filter(pc.equal(out.events.column("game_id"), "T-1"))
    assert t1.column("event_idx").to_pylist() == [0, 3]
    fields = {p.field: p for p in out.problems}
    assert fields["period"].file == str(bad) and fields["period"].row == 1
    assert fields["event_idx"].file == str(bad) and fields["event_idx"].row == 2
    with pytest.raises(ParseError, match=rf"{name}, row 1, field 'period'"):
        tabular.read([good, bad], strict=True, progress=False)


def test_pwhl_summary_of_the_wrong_shape_names_the_field(tmp_path: Path) -> None:
    write_sample("pwhl", tmp_path, 0)
    doc = json.loads(sample_text("pwhl", 1)[1])
    doc["summary_raw"] = ["a", "list"]
    (tmp_path / "101.json").write_text(json.dumps(doc))
    out = pwhl.read(tmp_path, progress=False)
    assert _games(out) == ["PWHL-100"]
    [problem] = out.problems
    assert problem.field == "summary_raw" and "is a list" in problem.message


def test_bad_cell_drops_the_row_not_the_game(tmp_path: Path) -> None:
    doc = json.loads(sample_text("pwhl", 0)[1])
    doc["pbp_raw"][1]["details"]["time"] = "soon"
    doc["pbp_raw"][3]["details"]["xLocation"] = "left"
    path = tmp_path / "100.json"
    path.write_text(json.dumps(doc))
    out = pwhl.read(path, progress=False)
    out.validate()
    assert out.events.num_rows == 3 and out.games.column("home_goals").to_pylist() == [1]
    assert [(p.row, p.field, p.rows) for p in out.problems] == [(1, "time", 1),
                                                                (3, "xLocation", 0)]
    assert out.events.column("x").to_pylist()[-1] is None


def test_cli_strict_stops_and_summary_mentions_shootouts(tmp_path: Path, capsys) -> None:
    from _scraper_fixture import game_rows, write_game

    (tmp_path / "raw").mkdir()
    write_game(tmp_path / "raw" / "2018020001.csv", game_rows(shootout=True))
    (tmp_path / "raw" / "2018020002.csv").write_bytes(b"\xff\x00garbage")
    code = main(["ingest", "hockey_scraper", str(tmp_path / "raw"), "--out",
                 str(tmp_path / "out"), "--no-progress"])
    text = capsys.readouterr().out
    assert code == 0 and "dropped 5 shootout row(s) in 1 game(s) by design" in text
    assert "2018020002.csv" in text and "not UTF-8" in text
    code = main(["ingest", "hockey_scraper", str(tmp_path / "raw"), "--out",
                 str(tmp_path / "out2"), "--no-progress", "--strict"])
    assert code == 1 and "2018020002.csv" in capsys.readouterr().out
    assert not (tmp_path / "out2").exists()


def test_shootout_rows_are_counted_in_every_json_loader(tmp_path: Path) -> None:
    doc = json.loads(sample_text("nhl_api", 0)[1])
    so = {"eventId": 99, "sortOrder": 99, "typeDescKey": "shot-on-goal",
          "periodDescriptor": {"number": 5, "periodType": "SO"}, "timeInPeriod": "00:00"}
    doc["plays"] += [so, dict(so, sortOrder=100, typeDescKey="shootout-complete")]
    (tmp_path / "pbp.json").write_text(json.dumps(doc))
    game = json.loads(sample_text("pwhl", 0)[1])
    game["pbp_raw"] += [{"event": "shootout", "details": {}}] * 3
    (tmp_path / "100.json").write_text(json.dumps(game))
    nhl = nhl_api.read(tmp_path / "pbp.json", strict=True, progress=False)
    women = pwhl.read(tmp_path / "100.json", strict=True, progress=False)
    assert (nhl.shootout_rows, nhl.shootout_games, nhl.events.num_rows) == (2, 1, 5)
    assert (women.shootout_rows, women.shootout_games, women.events.num_rows) == (3, 1, 4)
    assert nhl.summary()["shootout_rows_dropped"] == 2


def test_unreadable_hockey_scraper_date_is_nulled_and_reported(tmp_path: Path) -> None:
    name, text = sample_text("hockey_scraper", 0)
    lines = text.splitlines()
    lines[3] = lines[3].replace("2018-10-03", "yesterday")
    (tmp_path / name).write_text("\n".join(lines) + "\n")
    out = get_reader("hockey_scraper")(tmp_path, progress=False)
    out.validate()
    assert out.events.num_rows == 9 and out.events.column("game_date").null_count == 1
    [problem] = out.problems
    assert (problem.row, problem.field, problem.rows) == (2, "Date", 0)
