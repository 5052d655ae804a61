"""`hockey-vae fetch nhl` against a local HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import gzip
import json
import socket
from pathlib import Path

import pytest
from _http_server import scripted_servers, test_client

from hockey_vae import schema
from hockey_vae.cli import main
from hockey_vae.fetch import FetchError, HttpClient, fetch_nhl_season, season_schedule
from hockey_vae.sources import nhl_api

SEASON = "20232024"


def _game(gid: int, game_type: int = 2, state: str = "OFF", season: int = 20232024) -> dict:
    return {"id": gid, "season": season, "gameType": game_type, "gameState": state,
            "awayTeam": {"id": 1, "abbrev": "NJD"}, "homeTeam": {"id": 7, "abbrev": "BUF"}}


def _week(date: str, games: list[dict], following: str) -> dict:
    return {"nextStartDate": following, "regularSeasonEndDate": "2023-09-10",
            "gameWeek": [{"date": date, "games": games}]}


def _pbp(gid: int) -> dict:
    play = {"eventId": 1, "sortOrder": 1, "typeDescKey": "shot-on-goal",
            "periodDescriptor": {"number": 1, "periodType": "REG"}, "timeInPeriod": "00:10",
            "situationCode": "1551", "homeTeamDefendingSide": "left",
            "details": {"xCoord": 60, "yCoord": 5, "eventOwnerTeamId": 7, "shootingPlayerId": 11}}
    return {"id": gid, "season": 20232024, "gameDate": "2023-09-02", "gameState": "OFF",
            "homeTeam": {"id": 7, "abbrev": "BUF", "score": 1},
            "awayTeam": {"id": 1, "abbrev": "NJD", "score": 0},
            "gameOutcome": {"lastPeriodType": "REG"},
            "rosterSpots": [{"playerId": 11, "teamId": 7, "positionCode": "C",
                             "firstName": {"default": "A"}, "lastName": {"default": "B"}}],
            "plays": [play, dict(play, sortOrder=2, typeDescKey="goal", details={
                "xCoord": 80, "yCoord": 0, "eventOwnerTeamId": 7, "scoringPlayerId": 11})]}


def _routes(state2: str = "FINAL") -> dict:
    """Path -> list of (status, body, headers); the last response repeats."""
    ok = 200, None
    routes = {
        "/v1/schedule/2023-09-01": [_week("2023-09-01", [_game(2023020001),
                                                          _game(2023010001, game_type=1)],
                                          "2023-09-08")],
        "/v1/schedule/2023-09-08": [_week("2023-09-09", [
            _game(2023020002, state=state2), _game(2022030411, 3, season=20222023)],
            "2023-09-15")],
        "/v1/schedule/2023-09-15": [_week("2023-09-15", [], "2023-09-22")],
        "/v1/gamecenter/2023020001/play-by-play": [_pbp(2023020001)],
        "/v1/gamecenter/2023020002/play-by-play": [_pbp(2023020002)],
        "/v1/gamecenter/2023010001/play-by-play": [_pbp(2023010001)],
    }
    return {path: [(ok[0], body, {}) for body in bodies] for path, bodies in routes.items()}


@pytest.fixture
def server(monkeypatch):
    yield from scripted_servers(monkeypatch, _routes)


_client = test_client


def test_season_downloads_then_resumes_without_requests(server, tmp_path):
    srv = server()
    result = fetch_nhl_season(SEASON, tmp_path, client=_client(srv.url), progress=False)
    assert (result.games, result.downloaded, result.cached, result.failures) == (2, 2, 0, [])
    assert result.requests == len(srv.log) == 5  # 3 schedule weeks + 2 games
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["pbp_2023020001.json.gz", "pbp_2023020002.json.gz", "schedule_20232024.json"]
    cached = json.loads((tmp_path / "schedule_20232024.json").read_text())
    assert [g["id"] for g in cached["games"]] == [2023010001, 2023020001, 2023020002]
    with gzip.open(tmp_path / "pbp_2023020002.json.gz", "rt") as fh:
        assert json.load(fh) == _pbp(2023020002)  # raw bytes kept
    out = nhl_api.read(tmp_path, strict=True, progress=False)  # schedule file is ignored
    schema.validate_events(out.events)
    assert out.games.column("game_id").to_pylist() == ["NHL-2023020001", "NHL-2023020002"]
    assert out.events.column("x").to_pylist() == [60.0, 80.0, 60.0, 80.0]

    again = fetch_nhl_season(SEASON, tmp_path, client=_client(srv.url), progress=False)
    assert (again.downloaded, again.cached, again.requests) == (0, 2, 0)
    assert len(srv.log) == 5  # resume made no request at all


def test_preseason_and_playoffs_selected_by_game_type(server, tmp_path):
    srv = server()
    result = fetch_nhl_season(SEASON, tmp_path, game_types=(1, 3), client=_client(srv.url),
                              progress=False)
    assert (result.games, result.failures) == (1, [])  # 2022-23 playoff game is not ours
    assert srv.log[-1].endswith("/gamecenter/2023010001/play-by-play")


def test_503_then_success_is_retried(server, tmp_path):
    routes = _routes()
    path = "/v1/gamecenter/2023020002/play-by-play"
    routes[path] = [(503, {"error": "busy"}, {}), (429, b"", {"Retry-After": "3"})] + routes[path]
    srv = server(routes)
    sleeps: list[float] = []
    result = fetch_nhl_season(SEASON, tmp_path, client=_client(srv.url, sleeps), progress=False)
    assert result.failures == [] and result.downloaded == 2
    assert srv.log.count(path) == 3
    assert sleeps == [0.01, 3.0]  # backoff, then Retry-After wins over 0.02
    out = nhl_api.read(tmp_path, progress=False)
    schema.validate_events(out.events)
    assert out.games.num_rows == 2


def test_404_names_the_url_and_the_rest_goes_on(server, tmp_path, capsys):
    routes = _routes()
    del routes["/v1/gamecenter/2023020002/play-by-play"]
    srv = server(routes)
    result = fetch_nhl_season(SEASON, tmp_path, client=_client(srv.url), progress=False)
    assert result.downloaded == 1 and len(result.failures) == 1
    assert f"{srv.url}/gamecenter/2023020002/play-by-play: HTTP 404" in result.failures[0]
    assert not (tmp_path / "pbp_2023020002.json.gz").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    schema.validate_events(nhl_api.read(tmp_path, progress=False).events)
    with pytest.raises(FetchError, match=r"127\.0\.0\.1.*/nothing: HTTP 404") as info:
        _client(srv.url).get_bytes("nothing")
    assert info.value.status == 404
    # the CLI reports the failure and exits non-zero (pbp 1 is cached, no sleeping needed)
    code = main(["fetch", "nhl", "--season", SEASON, "--out", str(tmp_path), "--base-url",
                 srv.url, "--rate", "0", "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 1 and "gamecenter/2023020002/play-by-play: HTTP 404" in printed
    assert "1 already in" in printed


def test_gives_up_after_retries(server):
    srv = server({"/v1/x": [(503, b"", {})]})
    sleeps: list[float] = []
    with pytest.raises(FetchError, match="giving up after 3 attempts.*503"):
        _client(srv.url, sleeps, retries=2).get_bytes("x")
    assert sleeps == [0.01, 0.02] and len(srv.log) == 3


def test_connection_error_is_retried():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps: list[float] = []
    client = _client(f"http://127.0.0.1:{port}/v1", sleeps, retries=1, timeout=2.0)
    with pytest.raises(FetchError, match=f"127.0.0.1:{port}/v1/a: giving up after 2 attempts"):
        client.get_bytes("a")
    assert sleeps == [0.01] and client.requests == 2


def test_minimum_interval_between_requests(server):
    srv = server({"/v1/a": [(200, {"ok": 1}, {})]})
    sleeps: list[float] = []
    now = [100.0]
    client = HttpClient(base_url=srv.url, min_interval=0.5, sleep=sleeps.append,
                        clock=lambda: now[0])
    client.get_json("a")
    now[0] += 0.2
    client.get_json("a")
    now[0] += 1.0
    client.get_json("a")
    assert sleeps == [pytest.approx(0.3)]


def test_not_json_is_an_error_and_nothing_written(server, tmp_path):
    routes = _routes()
    routes["/v1/gamecenter/2023020001/play-by-play"] = [(200, b"<html>", {})]
    srv = server(routes)
    result = fetch_nhl_season(SEASON, tmp_path, client=_client(srv.url), progress=False)
    assert len(result.failures) == 1 and "not JSON" in result.failures[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "pbp_2023020002.json.gz", "schedule_20232024.json"]


def test_unfinished_games_skipped_and_schedule_not_cached(server, tmp_path):
    srv = server(_routes(state2="FUT"))
    result = fetch_nhl_season(SEASON, tmp_path, client=_client(srv.url), progress=False)
    assert (result.downloaded, result.not_final) == (1, 1)
    assert not (tmp_path / "schedule_20232024.json").exists()  # re-read next run
    schema.validate_events(nhl_api.read(tmp_path, progress=False).events)


def test_schedule_errors(server):
    with pytest.raises(ValueError, match="20232025"):
        season_schedule(_client("http://127.0.0.1:9/v1"), "20232025")
    srv = server({"/v1/schedule/2030-09-01": [(200, _week("2030-09-01", [], None), {})]})
    with pytest.raises(FetchError, match="no game of season 20302031"):
        season_schedule(_client(srv.url), "20302031")


def test_shift_charts_fetched_beside_pbp(server, tmp_path):
    routes = _routes()
    for gid in (2023020001, 2023020002):
        routes[f"/v1/shiftcharts?cayenneExp=gameId={gid}"] = [(200, {"data": [], "total": 0}, {})]
    srv = server(routes)
    client = _client(srv.url)
    result = fetch_nhl_season(SEASON, tmp_path, client=client, shifts=True,
                              shifts_client=_client(srv.url), progress=False)
    assert (result.downloaded, result.failures) == (4, [])
    assert (tmp_path / "shifts_2023020001.json.gz").is_file()
    out = nhl_api.read(tmp_path, strict=True, progress=False)
    schema.validate_events(out.events)
    assert out.games.num_rows == 2


def test_cli_downloads(server, tmp_path, capsys):
    srv = server()
    code = main(["fetch", "nhl", "--season", SEASON, "--out", str(tmp_path / "raw"),
                 "--base-url", srv.url, "--rate", "0", "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0 and "downloaded 2 file(s)" in printed and "5 request(s)" in printed
    assert isinstance(Path(tmp_path / "raw" / "pbp_2023020001.json.gz").stat().st_size, int)
    schema.validate_events(nhl_api.read(tmp_path / "raw", progress=False).events)


def test_schedule_walks_through_a_pause_until_the_playoffs_end(server, tmp_path):
    cancelled = dict(_game(2023020003), gameScheduleState="CNCL")
    week1 = _week("2023-09-01", [_game(2023020001), cancelled], "2023-09-08")
    week1["playoffEndDate"] = "2023-09-25"  # regular season ends 09-10, playoffs later
    routes = {
        "/v1/schedule/2023-09-01": [(200, week1, {})],
        "/v1/schedule/2023-09-08": [(200, _week("2023-09-08", [], "2023-09-15"), {})],
        "/v1/schedule/2023-09-15": [(200, _week("2023-09-15", [], "2023-09-22"), {})],
        "/v1/schedule/2023-09-22": [(200, _week("2023-09-22", [_game(2023030111, 3)],
                                                 "2023-09-29"), {})],
        "/v1/schedule/2023-09-29": [(200, _week("2023-09-29", [], "2023-10-06"), {})],
    }
    srv = server(routes)
    games = season_schedule(_client(srv.url), SEASON)
    assert [g["id"] for g in games] == [2023020001, 2023030111]  # the cancelled game dropped
    assert len(srv.log) == 5 and srv.log[-1].endswith("2023-09-29")  # stopped after the end
    assert games[1]["gameType"] == 3 and games[1]["homeTeam"] == "BUF"
