"""fetch under hostile input: ids that try to leave OUT, odd schedule shapes, slow or broken
responses. Every server is local (127.0.0.1), scripted and stops by itself."""

from __future__ import annotations

import email.utils
import gzip
import json
import os
import re
import time
from pathlib import Path

import hypothesis.strategies as st
import pytest
from _http_server import scripted_servers, test_client
from hypothesis import HealthCheck, given, settings

from hockey_vae.cli import main
from hockey_vae.fetch import FetchError, fetch_nhl_season, season_schedule

SEASON = "20232024"
PBP = "/v1/gamecenter/{}/play-by-play"


def _game(gid, state: str = "OFF") -> dict:
    return {"id": gid, "season": 20232024, "gameType": 2, "gameState": state,
            "awayTeam": {"abbrev": "NJD"}, "homeTeam": {"abbrev": "BUF"}}


def _week(games: list, following: str | None = None, **extra) -> dict:
    return {"nextStartDate": following, "regularSeasonEndDate": "2023-09-02",
            "gameWeek": [{"date": "2023-09-01", "games": games}], **extra}


def _ok(body) -> list:
    return [(200, body, {})]


def _pbp_routes(*gids: int) -> dict:
    return {PBP.format(g): _ok({"id": g, "plays": []}) for g in gids}


@pytest.fixture
def server(monkeypatch):
    yield from scripted_servers(monkeypatch)


_client = test_client


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_escaping_and_malformed_ids_are_refused_good_games_fetched(server, tmp_path, capsys):
    games = [_game(2023020001), _game("/../../escaped"), _game("2023020002"), "not a game",
             _game(2023020001), _game(12345), _game(["2023020003"]), _game(True)]
    week = {"nextStartDate": None, "gameWeek": [{"date": "2023-09-01", "games": games}, 7]}
    srv = server({"/v1/schedule/2023-09-01": _ok(week), **_pbp_routes(2023020001, 2023020002)})
    out = tmp_path / "raw"
    result = fetch_nhl_season(SEASON, out, client=_client(srv.url), progress=False)
    assert (result.games, result.downloaded, result.failures) == (2, 2, [])
    assert _files(tmp_path) == ["raw/pbp_2023020001.json.gz", "raw/pbp_2023020002.json.gz"]
    text = "\n".join(result.problems)
    for bad in ("'/../../escaped'", "12345", "['2023020003']", "True"):
        assert f"game id {bad} is not a 10-digit NHL game id" in text
    assert "1 entry(ies) not an object, e.g. 'not a game'" in text
    assert "gameWeek: 1 entry(ies) not an object, e.g. 7" in text
    assert not any("escaped" in p for p in srv.log)  # never even requested
    # schedule with problems is not cached; the CLI lists them and exits 1
    code = main(["fetch", "nhl", "--season", SEASON, "--out", str(out), "--base-url", srv.url,
                 "--rate", "0", "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 1 and "problem: " in printed and "'/../../escaped'" in printed
    assert "2 already in" in printed and _files(tmp_path)[-1] == "raw/pbp_2023020002.json.gz"


def test_schedule_that_is_a_list_is_a_clean_error(server, tmp_path, capsys):
    srv = server({"/v1/schedule/2023-09-01": _ok([_game(2023020001)])})
    with pytest.raises(FetchError, match="no game of season.*the schedule is a list"):
        season_schedule(_client(srv.url), SEASON)
    code = main(["fetch", "nhl", "--season", SEASON, "--out", str(tmp_path), "--base-url",
                 srv.url, "--rate", "0", "--retries", "0", "--no-progress"])
    assert code == 1 and "error:" in capsys.readouterr().out
    assert _files(tmp_path) == []


@pytest.mark.parametrize("second", [
    [1, 2],  # a later week that is a list
    {"gameWeek": {"date": "x"}, "nextStartDate": None},  # gameWeek not a list
    (404, b"gone", {}),  # a later week that cannot be fetched
    {"gameWeek": [{"games": "none"}], "nextStartDate": 20230915},  # games a string, int date
    {"gameWeek": [], "nextStartDate": "2023-09-01"},  # a date that does not advance
])
def test_odd_later_weeks_end_the_walk_and_keep_good_games(server, tmp_path, second):
    first = _week([_game(2023020001), _game(2023020002, state=["OFF"])], "2023-09-08",
                  regularSeasonEndDate="2024-04-18")
    reply = [second] if isinstance(second, tuple) else _ok(second)
    srv = server({"/v1/schedule/2023-09-01": _ok(first), "/v1/schedule/2023-09-08": reply,
                  **_pbp_routes(2023020001)})
    result = fetch_nhl_season(SEASON, tmp_path, client=_client(srv.url), progress=False)
    assert result.downloaded == 1 and result.not_final == 1 and result.problems
    assert "2023-09-08" in result.problems[0]
    assert _files(tmp_path) == ["pbp_2023020001.json.gz"]  # no schedule cached


def test_tampered_schedule_cache_is_checked(server, tmp_path):
    cache = tmp_path / f"schedule_{SEASON}.json"
    cache.write_text(json.dumps({"games": [
        {"id": "../../../escaped", "gameType": 2, "gameState": "OFF"},
        {"id": 2023020001, "gameType": 2, "gameState": "OFF", "homeTeam": {"x": 1}}, None]}))
    srv = server(_pbp_routes(2023020001))
    result = fetch_nhl_season(SEASON, tmp_path, client=_client(srv.url), progress=False)
    assert result.downloaded == 1 and len(result.problems) == 2
    assert "'../../../escaped' is not a 10-digit" in "\n".join(result.problems)
    cache.write_text("[1, 2")  # unreadable: fetched again
    srv2 = server({"/v1/schedule/2023-09-01": _ok(_week([_game(2023020001)]))})
    again = fetch_nhl_season(SEASON, tmp_path, client=_client(srv2.url), progress=False)
    assert again.cached == 1 and "unreadable schedule cache" in again.problems[0]
    assert json.loads(cache.read_text())["games"][0]["id"] == 2023020001  # rewritten clean


def test_symlink_out_of_the_folder_is_refused(server, tmp_path):
    out, outside = tmp_path / "raw", tmp_path / "outside"
    out.mkdir()
    outside.mkdir()
    os.symlink(outside / "stolen.gz", out / "pbp_2023020001.json.gz")
    srv = server({"/v1/schedule/2023-09-01": _ok(_week([_game(2023020001)])),
                  **_pbp_routes(2023020001)})
    result = fetch_nhl_season(SEASON, out, client=_client(srv.url), progress=False)
    assert result.downloaded == 0 and "outside" in result.problems[0]
    assert list(outside.iterdir()) == []


def _trickle(head: bytes, body: bytes, pause: float = 0.05) -> callable:
    """A reply that sends `head` then `body` one byte at a time (bounded: stops on error)."""
    def reply(handler):
        try:
            handler.wfile.write(head)
            for i in range(len(body)):
                handler.wfile.write(body[i:i + 1])
                handler.wfile.flush()
                time.sleep(pause)
        except OSError:
            return
    return reply


@pytest.mark.parametrize("slow_part", ["body", "headers"])
def test_trickling_server_is_cut_off_at_the_deadline(server, slow_part):
    body = json.dumps({"plays": list(range(40))}).encode()
    head = b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body)
    reply = _trickle(b"", head + body) if slow_part == "headers" else _trickle(head, body)
    srv = server({"/v1/slow": [reply]})
    client = _client(srv.url, retries=1, timeout=0.4)
    start = time.monotonic()
    with pytest.raises(FetchError, match="giving up after 2 attempts.*within the 0.4 s deadline"):
        client.get_json("slow")
    assert time.monotonic() - start < 2.5  # two attempts of 0.4 s, not 5+ s of trickle


def _truncated(handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "100")
    handler.end_headers()
    handler.wfile.write(b'{"plays": [1, 2')


def test_bad_bodies_are_retried(server):
    good = {"plays": [1]}
    srv = server({"/v1/a": [
        _truncated,
        (200, b'{"plays": ', {}),  # complete but not JSON
        (200, b"\x1f\x8b\x08\x00broken", {"Content-Encoding": "gzip"}),
        (200, gzip.compress(json.dumps(good).encode()), {"Content-Encoding": "gzip"}),
    ]})
    sleeps: list[float] = []
    doc, body = _client(srv.url, sleeps).get_json("a")
    assert doc == good and json.loads(body) == good and len(srv.log) == 4
    assert sleeps == [0.01, 0.02, 0.04]
    srv.routes["/v1/b"] = [_truncated]
    with pytest.raises(FetchError, match=r"giving up after 2 attempts \(truncated body"):
        _client(srv.url, retries=1).get_bytes("b")


@pytest.mark.parametrize("header, wait", [
    ("7", 7.0),
    (email.utils.formatdate(1_700_000_030, usegmt=True), 30.0),  # an HTTP date, 30 s ahead
    (email.utils.formatdate(1_699_999_000, usegmt=True), 0.01),  # in the past: backoff
    ("soon", 0.01),  # unreadable: backoff
    ("100000", 60.0),  # capped by max_delay
])
def test_retry_after_in_both_forms(server, header, wait):
    srv = server({"/v1/x": [(429, b"", {"Retry-After": header}), (200, {"ok": 1}, {})]})
    sleeps: list[float] = []
    client = _client(srv.url, sleeps, wall=lambda: 1_700_000_000.0)
    assert client.get_json("x")[0] == {"ok": 1}
    assert sleeps == [pytest.approx(wait)]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=8)
_IDS = st.sampled_from([2023020001, "2023020002", 2023020003, "/../../escaped", "..",
                        "2023020001/x", "٢٠٢٣٠٢٠٠٠١", "202302000", 20230200011, "", "a" * 10,
                        None, True, 2023020001.0, [2023020001], {"id": 1}])


def _mixed(good: st.SearchStrategy) -> st.SearchStrategy:
    """Lists of mostly good entries with some arbitrary JSON among them, or junk itself."""
    lists = st.tuples(st.lists(good, min_size=1, max_size=3), st.lists(_JSON, max_size=2))
    return st.one_of(lists.map(lambda t: t[0] + t[1]), lists.map(lambda t: t[0]), _JSON)


_GAMES = st.fixed_dictionaries({
    "id": _IDS, "season": st.sampled_from([20232024, "20232024", 20232024, None, [1]]),
    "gameType": st.sampled_from([2, 2, "2", None, {}]),
    "gameState": st.sampled_from(["OFF", "FINAL", "FUT", None, ["OFF"], {"x": 1}]),
    "homeTeam": st.sampled_from([{"abbrev": "BUF"}, "BUF", ["BUF"], None, {"abbrev": [1]}]),
    "gameScheduleState": st.sampled_from(["OK", "CNCL", None, [1]])})
_DAYS = st.fixed_dictionaries({"date": st.sampled_from(["2023-09-01", None, 5, ["x"]]),
                               "games": _mixed(_GAMES)})
_WEEK = st.fixed_dictionaries({
    "gameWeek": _mixed(_DAYS),
    "nextStartDate": st.sampled_from([None, "2023-09-08", "2023-09-15", "2023-08-01", 20230915,
                                      ["2023-09-08"], "2023-9-8"]),
    "regularSeasonEndDate": st.sampled_from(["2024-04-18", None, 7, ["2024"]])})
_WEEKS = st.one_of(_WEEK, _WEEK, _WEEK, _JSON)


class _FakeClient:
    """Serves generated schedule weeks in order (then 404s) and a valid play-by-play."""

    def __init__(self, weeks: list):
        self.weeks, self.requests = list(weeks), 0

    def url(self, path: str) -> str:
        return f"http://fake/v1/{path}"

    def get_json(self, path: str) -> tuple:
        self.requests += 1
        if path.startswith("schedule/"):
            if not self.weeks:
                raise FetchError(self.url(path), "HTTP 404 Not Found", 404)
            doc = self.weeks.pop(0)
        else:
            doc = {"plays": []}
        return doc, json.dumps(doc).encode()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(weeks=st.tuples(_WEEK, st.lists(_WEEKS, max_size=2)).map(lambda t: [t[0], *t[1]]))
def test_any_schedule_shape_gives_files_inside_out_or_a_clean_error(tmp_path_factory, weeks):
    root = tmp_path_factory.mktemp("fetch")
    out = root / "raw"
    try:
        result = fetch_nhl_season(SEASON, out, client=_FakeClient(weeks), progress=False)
    except FetchError as err:  # no game found: the package's own error, naming the URL
        assert str(err).startswith("http://fake/v1/schedule/")
        assert _files(root) == []
        return
    names = _files(root)
    assert all(re.fullmatch(r"raw/(pbp_[0-9]{10}\.json\.gz|schedule_20232024\.json)", n)
               for n in names), names
    assert result.downloaded == sum(n.startswith("raw/pbp_") for n in names)
    if result.problems:
        assert "raw/schedule_20232024.json" not in names
