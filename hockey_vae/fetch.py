"""Download a season of NHL play-by-play JSON from the NHL's public web API, politely.

Endpoints (https://api-web.nhle.com/v1, no key needed):
- `schedule/{YYYY-MM-DD}`: one week of games (`gameWeek[].games[]`) and `nextStartDate`.
  The season is walked week by week from 1 September of its first year, keeping games whose
  `season` matches (cancelled ones dropped), until a week without any of them after the
  `regularSeasonEndDate` / `playoffEndDate` those weeks report (about 40-45 requests). The club-schedule endpoint would need
  one call per team and a team list that changes between seasons; the weekly schedule needs neither.
- `gamecenter/{gameId}/play-by-play`: the format read by `hockey_vae.sources.nhl_api`.
- optionally `shiftcharts?cayenneExp=gameId={gameId}` on https://api.nhle.com/stats/rest/en
  (who was on the ice; paired with the play-by-play by the reader).

Files in OUT: `schedule_{season}.json` (every game of the season, all types; cached only
once every game in it is final), `pbp_{gameId}.json.gz` and `shifts_{gameId}.json.gz`, each
the raw response bytes, gzip-compressed and written atomically. A file already there is
not fetched again, so an interrupted run resumes where it stopped.
HTTP (`hockey_vae.http_client`): an overall deadline per attempt, retries with backoff on
429, 5xx, connection errors and bad bodies, `Retry-After` in both forms, a request interval.

Nothing from the server reaches a file name unchecked: a game id must be 10 ASCII digits,
and every path written must resolve inside OUT. A schedule of any shape is read without a
traceback: what cannot be used (a week that is not an object, games that are not objects,
bad ids) becomes a problem line, and the good games are fetched.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from hockey_vae.http_client import FetchError, HttpClient
from hockey_vae.io import PathLike, atomic_path
from hockey_vae.names import NHL_API_BASE, NHL_STATS_BASE
from hockey_vae.progress import bar_disable

__all__ = [
    "NHL_API_BASE",
    "NHL_STATS_BASE",
    "FINAL_STATES",
    "FetchError",
    "HttpClient",
    "FetchResult",
    "season_schedule",
    "fetch_nhl_season",
]

log = logging.getLogger(__name__)

FINAL_STATES = frozenset({"OFF", "FINAL"})  # gameState of a game that is over
_GAME_ID = re.compile(r"[0-9]{10}")  # e.g. 2023020001: season's first year, type, number
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass
class FetchResult:
    """What one `fetch_nhl_season` run did; `failures` name the URLs that failed."""

    season: str
    games: int = 0  # games of the selected types in the schedule
    downloaded: int = 0  # files written by this run
    cached: int = 0  # files already on disk
    not_final: int = 0  # games not over yet, skipped
    requests: int = 0  # HTTP attempts made
    failures: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # schedule entries refused, and why


def _check_season(season: str) -> int:
    if not re.fullmatch(r"\d{8}", season) or int(season[4:]) != int(season[:4]) + 1:
        raise ValueError(f"season must look like 20232024 (two consecutive years), got {season!r}")
    return int(season[:4])


def _game_id(value: Any) -> int | None:
    """`value` as a game id when it is 10 ASCII digits (an int or a string), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    text = str(value)
    return int(text) if _GAME_ID.fullmatch(text) else None


def _scalar(value: Any) -> str | int | None:
    """A string or int kept as it is; anything else (lists, objects, floats) becomes None."""
    return value if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def _abbrev(team: Any) -> Any:
    return team.get("abbrev") if isinstance(team, dict) else None


_SUMMARY = ("season", "gameType", "gameState", "gameScheduleState", "date", "awayTeam",
            "homeTeam")


def _summary(fields: dict, gid: int) -> dict:
    """One game as cached in the schedule file: its id and plain values only."""
    return {"id": gid, **{key: _scalar(fields.get(key)) for key in _SUMMARY}}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _objects(value: Any, where: str, problems: list[str]) -> list[dict]:
    """The objects in the list `value`; anything else is reported in `problems`."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(f"{where}: {type(value).__name__} {_short(value)}, not a list; ignored")
        return []
    bad = [v for v in value if not isinstance(v, dict)]
    if bad:
        problems.append(f"{where}: {len(bad)} entry(ies) not an object, e.g. {_short(bad[0])}; "
                        "ignored")
    return [v for v in value if isinstance(v, dict)]


def _read_week(doc: dict, where: str, season: str, games: dict[int, dict],
               problems: list[str]) -> int:
    """Add the week's games of `season` to `games`; return how many the week held."""
    in_week = 0
    for day in _objects(doc.get("gameWeek"), f"{where}: gameWeek", problems):
        day_games = _objects(day.get("games"), f"{where}: games of {_short(day.get('date'))}",
                             problems)
        for game in day_games:
            if str(game.get("season")) != season:
                continue
            gid = _game_id(game.get("id"))
            if gid is None:
                problems.append(f"{where}: game id {_short(game.get('id'))} is not a 10-digit "
                                "NHL game id; skipped")
                continue
            in_week += 1
            if game.get("gameScheduleState") != "CNCL":  # cancelled games never happen
                fields = dict(game, date=day.get("date"), awayTeam=_abbrev(game.get("awayTeam")),
                              homeTeam=_abbrev(game.get("homeTeam")))
                games[gid] = _summary(fields, gid)
    return in_week


def season_schedule(client: HttpClient, season: str,
                    problems: list[str] | None = None) -> list[dict]:
    """Every game of `season` (all game types) from the weekly schedule, sorted by id.

    What cannot be used (a week that is not an object, entries that are not objects, ids
    that are not 10 digits, a nextStartDate that is not a later date) is appended to
    `problems` and skipped; a malformed week, or one that cannot be fetched once games were
    found, ends the walk. Raises FetchError when the schedule yields no game of the season.
    """
    problems = [] if problems is None else problems
    first_year = _check_season(season)
    date: str | None = f"{first_year}-09-01"
    end = f"{first_year + 1}-10-31"  # hard stop (the 2020 playoffs ran into September)
    games: dict[int, dict] = {}
    season_end = ""  # latest regular-season or playoff end date reported in our weeks
    log.info("walking the %s schedule week by week from %s", season, date)
    while date and date <= end:
        where = client.url(f"schedule/{date}")
        try:
            doc, _ = client.get_json(f"schedule/{date}")
        except FetchError as err:
            if not games:
                raise
            problems.append(f"{err}; the walk stops here, the games found so far are kept")
            break
        if not isinstance(doc, dict):
            problems.append(f"{where}: the schedule is a {type(doc).__name__}, not an object; "
                            "the walk stops here")
            break
        if _read_week(doc, where, season, games, problems):
            reported = [doc.get("regularSeasonEndDate"), doc.get("playoffEndDate")]
            season_end = max([season_end] + [d for d in reported if isinstance(d, str)])
        elif games and season_end and date > season_end:
            break  # the season, playoffs included, is over
        following = doc.get("nextStartDate")
        if following is not None and not (isinstance(following, str)
                                           and _DATE.fullmatch(following) and following > date):
            problems.append(f"{where}: nextStartDate {_short(following)} is not a later date; "
                            "the walk stops here")
            break
        date = following
    if not games:
        why = f" ({problems[-1]})" if problems else ""
        raise FetchError(client.url(f"schedule/{first_year}-09-01"),
                         f"no game of season {season} found in the schedule{why}")
    return [games[g] for g in sorted(games)]


def _inside(out_dir: Path, name: str, problems: list[str]) -> Path | None:
    """`out_dir / name` if it resolves to a file directly inside `out_dir`, else a problem."""
    target = out_dir / name
    if target.resolve().parent != out_dir.resolve():
        problems.append(f"{target}: resolves to {target.resolve()}, outside {out_dir}; refused")
        return None
    return target


def _cached_schedule(path: Path, problems: list[str]) -> list[dict] | None:
    """The games of a schedule cache file, or None (with a problem) when it is unusable."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        problems.append(f"{path}: unreadable schedule cache ({err}); fetched again")
        return None
    games = doc.get("games") if isinstance(doc, dict) else None
    if not isinstance(games, list):
        problems.append(f"{path}: not a schedule cache (no list of games); fetched again")
        return None
    out = []
    for game in _objects(games, f"{path}: games", problems):
        gid = _game_id(game.get("id"))
        if gid is None:
            problems.append(f"{path}: game id {_short(game.get('id'))} is not a 10-digit NHL "
                            "game id; skipped")
            continue
        out.append(_summary(game, gid))
    return out


def _load_or_fetch_schedule(client: HttpClient, season: str, out_dir: Path, refresh: bool,
                            problems: list[str]) -> list[dict]:
    path = _inside(out_dir, f"schedule_{season}.json", problems)
    if path is not None and path.is_file() and not refresh:
        log.info("schedule from cache %s", path)
        cached = _cached_schedule(path, problems)
        if cached is not None:
            return cached
    before = len(problems)
    games = season_schedule(client, season, problems)
    finished = all(g.get("gameState") in FINAL_STATES for g in games)
    if path is not None and finished and len(problems) == before:  # cache a clean, final season
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps({"season": season, "games": games}, indent=1),
                           encoding="utf-8")
    return games


def _download(client: HttpClient, url_path: str, target: Path, check: Callable[[Any], bool],
              what: str) -> None:
    """Fetch `url_path` and write its raw body gzip-compressed to `target`, atomically."""
    doc, body = client.get_json(url_path)
    if not check(doc):
        raise FetchError(client.url(url_path), f"response is not {what}")
    with atomic_path(target) as tmp:
        tmp.write_bytes(gzip.compress(body, mtime=0))


def _is_pbp(doc: Any) -> bool:
    return isinstance(doc, dict) and "plays" in doc


def _is_shifts(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("data"), list)


def fetch_nhl_season(
    season: str,
    out_dir: PathLike,
    *,
    game_types: Iterable[int] = (2,),
    base_url: str = NHL_API_BASE,
    rate: float = 0.5,
    retries: int = 5,
    timeout: float = 30.0,
    shifts: bool = False,
    shifts_base_url: str = NHL_STATS_BASE,
    refresh_schedule: bool = False,
    progress: bool = True,
    client: HttpClient | None = None,
    shifts_client: HttpClient | None = None,
) -> FetchResult:
    """Download the schedule and every finished game's play-by-play of `season` into `out_dir`.

    Keyword options mirror the CLI flags (hence their number). `game_types`: 1 preseason,
    2 regular season, 3 playoffs. `rate`: minimum seconds between requests; `retries`: extra
    attempts on 429/5xx, connection errors and bad bodies; `timeout`: overall seconds per
    attempt. `client` (and `shifts_client`) replace the default HTTP clients, e.g. with a
    fake sleep. Per-game failures are collected in `FetchResult.failures`, refused schedule
    entries and paths in `FetchResult.problems`, and the run goes on; a schedule that yields
    no game raises FetchError. Files already in `out_dir` are kept.

    Its keyword options are the CLI's flags (URLs, rate, retries, timeout, shifts, progress),
    hence more than eight parameters; the work itself is split into the helpers above.
    """
    out_dir = Path(out_dir)
    client = client or HttpClient(base_url=base_url, min_interval=rate, retries=retries,
                                  timeout=timeout)
    if shifts and shifts_client is None:
        shifts_client = HttpClient(base_url=shifts_base_url, min_interval=rate, retries=retries,
                                   timeout=timeout)
        shifts_client.sleep, shifts_client.clock = client.sleep, client.clock
    types = set(game_types)
    problems: list[str] = []
    games = [g for g in _load_or_fetch_schedule(client, season, out_dir, refresh_schedule,
                                                problems) if g.get("gameType") in types]
    result = FetchResult(season=season, games=len(games), problems=problems)
    for game in tqdm(games, desc=f"NHL {season}", unit="game", disable=bar_disable(progress)):
        if game.get("gameState") not in FINAL_STATES:
            result.not_final += 1
            continue
        gid = game["id"]  # validated: 10 digits, an int
        jobs = [(client, f"gamecenter/{gid}/play-by-play", f"pbp_{gid}.json.gz", _is_pbp,
                 "a play-by-play document")]
        if shifts and shifts_client is not None:
            jobs.append((shifts_client, f"shiftcharts?cayenneExp=gameId={gid}",
                         f"shifts_{gid}.json.gz", _is_shifts, "a shift chart"))
        for job_client, url_path, name, check, what in jobs:
            target = _inside(out_dir, name, problems)
            if target is None:
                continue
            if target.is_file():
                result.cached += 1
                continue
            try:
                _download(job_client, url_path, target, check, what)
                result.downloaded += 1
            except FetchError as err:
                log.warning("failed: %s", err)
                result.failures.append(str(err))
    result.requests = client.requests + (shifts_client.requests if shifts_client else 0)
    if result.not_final:
        log.info("%d game(s) not final yet: rerun later to fetch them", result.not_final)
    return result
