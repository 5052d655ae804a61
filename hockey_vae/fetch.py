"""Download a season of NHL play-by-play JSON from the NHL's public web API, politely.

Endpoints (https://api-web.nhle.com/v1, no key needed):
- `schedule/{YYYY-MM-DD}`: one week of games (`gameWeek[].games[]`) and `nextStartDate`.
  The season is walked week by week from 1 September of its first year, keeping games whose
  `season` matches (cancelled ones dropped), until a week without any of them after the
  `regularSeasonEndDate` / `playoffEndDate` those weeks report (about 40-45 requests). The club-schedule endpoint would need one call per team and a team
  list that changes between seasons; the weekly schedule needs neither.
- `gamecenter/{gameId}/play-by-play`: the format read by `hockey_vae.sources.nhl_api`.
- optionally `shiftcharts?cayenneExp=gameId={gameId}` on https://api.nhle.com/stats/rest/en
  (who was on the ice; paired with the play-by-play by the reader).

Files in OUT: `schedule_{season}.json` (every game of the season, all types; cached only
once every game in it is final), `pbp_{gameId}.json.gz` and `shifts_{gameId}.json.gz`, each
the raw response bytes, gzip-compressed and written atomically. A file already there is
not fetched again, so an interrupted run resumes where it stopped.
HTTP uses only the standard library: retries with exponential backoff on 429, 5xx and
connection errors (honouring Retry-After), and a minimum interval between requests.
"""

from __future__ import annotations

import gzip
import http.client
import json
import logging
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from hockey_vae.io import PathLike, atomic_path

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

NHL_API_BASE = "https://api-web.nhle.com/v1"
NHL_STATS_BASE = "https://api.nhle.com/stats/rest/en"
FINAL_STATES = frozenset({"OFF", "FINAL"})  # gameState of a game that is over
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_USER_AGENT = "hockey_vae-fetch/0.1 (+research; polite)"


class FetchError(RuntimeError):
    """A download failed for good; the message names the URL (and HTTP status if any)."""

    def __init__(self, url: str, message: str, status: int | None = None):
        self.url, self.status = url, status
        super().__init__(f"{url}: {message}")


@dataclass
class HttpClient:
    """GET JSON from one base URL with retries, backoff and a minimum request interval.

    `sleep` and `clock` are injectable so tests run without real waiting.
    """

    base_url: str = NHL_API_BASE
    min_interval: float = 0.5  # seconds between the starts of two requests
    retries: int = 5  # extra attempts after the first, for retryable failures
    backoff: float = 1.0  # first retry delay in seconds, doubled per attempt
    max_delay: float = 60.0  # cap on one retry delay (also on Retry-After)
    timeout: float = 30.0  # seconds per request
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    requests: int = 0  # HTTP attempts made so far
    _last: float | None = field(default=None, init=False, repr=False)

    def url(self, path: str) -> str:
        """The full URL of `path` under the base URL."""
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"

    def get_bytes(self, path: str) -> bytes:
        """The body of GET `path`; FetchError after the last retry or on a non-retryable status."""
        url = self.url(path)
        last_error = "no attempt"
        for attempt in range(self.retries + 1):
            self._wait()
            try:
                return self._get_once(url)
            except urllib.error.HTTPError as err:
                if err.code not in _RETRY_STATUS:
                    raise FetchError(url, f"HTTP {err.code} {err.reason}", err.code) from None
                last_error = f"HTTP {err.code} {err.reason}"
                delay = self._delay(attempt, err.headers.get("Retry-After") if err.headers else None)
            except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
                last_error = f"{type(err).__name__}: {getattr(err, 'reason', err)}"
                delay = self._delay(attempt, None)
            if attempt < self.retries:
                log.info("retrying %s in %.1fs after %s", url, delay, last_error)
                self.sleep(delay)
        raise FetchError(url, f"giving up after {self.retries + 1} attempts ({last_error})")

    def get_json(self, path: str) -> tuple[Any, bytes]:
        """(parsed JSON, raw body) of GET `path`; FetchError naming the URL if not JSON."""
        body = self.get_bytes(path)
        try:
            return json.loads(body), body
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise FetchError(self.url(path), f"response is not JSON ({err})") from None

    def _get_once(self, url: str) -> bytes:
        self.requests += 1
        request = urllib.request.Request(
            url, headers={"User-Agent": _USER_AGENT, "Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return response.read()

    def _wait(self) -> None:
        now = self.clock()
        if self._last is not None:
            wait = self.min_interval - (now - self._last)
            if wait > 0:
                self.sleep(wait)
                now = self.clock()
        self._last = now

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        delay = self.backoff * 2.0**attempt
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, float(retry_after))
        return min(delay, self.max_delay)


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


def _check_season(season: str) -> int:
    if not re.fullmatch(r"\d{8}", season) or int(season[4:]) != int(season[:4]) + 1:
        raise ValueError(f"season must look like 20232024 (two consecutive years), got {season!r}")
    return int(season[:4])


def _game_summary(game: dict, day: str | None) -> dict:
    return {
        "id": game["id"], "season": game.get("season"), "gameType": game.get("gameType"),
        "gameState": game.get("gameState"),
        "gameScheduleState": game.get("gameScheduleState"), "date": day,
        "awayTeam": (game.get("awayTeam") or {}).get("abbrev"),
        "homeTeam": (game.get("homeTeam") or {}).get("abbrev"),
    }


def season_schedule(client: HttpClient, season: str) -> list[dict]:
    """Every game of `season` (all game types) from the weekly schedule, sorted by id.

    Raises FetchError when the schedule holds no game of that season.
    """
    first_year = _check_season(season)
    date: str | None = f"{first_year}-09-01"
    end = f"{first_year + 1}-10-31"  # hard stop (the 2020 playoffs ran into September)
    games: dict[int, dict] = {}
    season_end = ""  # latest regular-season or playoff end date reported in our weeks
    log.info("walking the %s schedule week by week from %s", season, date)
    while date and date <= end:
        doc, _ = client.get_json(f"schedule/{date}")
        in_week = 0
        for day in doc.get("gameWeek") or []:
            for game in day.get("games") or []:
                if str(game.get("season")) != season or "id" not in game:
                    continue
                in_week += 1
                if game.get("gameScheduleState") != "CNCL":  # cancelled games never happen
                    games[game["id"]] = _game_summary(game, day.get("date"))
        if in_week:
            reported = [doc.get("regularSeasonEndDate"), doc.get("playoffEndDate")]
            season_end = max([season_end] + [d for d in reported if isinstance(d, str)])
        elif games and season_end and date > season_end:
            break  # the season, playoffs included, is over
        following = doc.get("nextStartDate")
        if following is not None and following <= date:
            raise FetchError(client.url(f"schedule/{date}"),
                             f"nextStartDate {following!r} does not advance")
        date = following
    if not games:
        raise FetchError(client.url(f"schedule/{first_year}-09-01"),
                         f"no game of season {season} found in the schedule")
    return [games[g] for g in sorted(games)]


def _load_or_fetch_schedule(client: HttpClient, season: str, out_dir: Path,
                            refresh: bool) -> list[dict]:
    path = out_dir / f"schedule_{season}.json"
    if path.is_file() and not refresh:
        log.info("schedule from cache %s", path)
        return json.loads(path.read_text(encoding="utf-8"))["games"]
    games = season_schedule(client, season)
    if all(g.get("gameState") in FINAL_STATES for g in games):  # cache only a finished season
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
    shifts: bool = False,
    shifts_base_url: str = NHL_STATS_BASE,
    refresh_schedule: bool = False,
    progress: bool = True,
    client: HttpClient | None = None,
    shifts_client: HttpClient | None = None,
) -> FetchResult:
    """Download the schedule and every finished game's play-by-play of `season` into `out_dir`.

    `game_types`: 1 preseason, 2 regular season, 3 playoffs. `rate`: minimum seconds
    between requests; `retries`: extra attempts on 429/5xx/connection errors. `client`
    (and `shifts_client`) replace the default HTTP clients, e.g. with a fake sleep. Per-game failures are collected in `FetchResult.failures` and the run
    goes on; a schedule failure raises FetchError. Files already in `out_dir` are kept.
    """
    out_dir = Path(out_dir)
    client = client or HttpClient(base_url=base_url, min_interval=rate, retries=retries)
    if shifts and shifts_client is None:
        shifts_client = HttpClient(base_url=shifts_base_url, min_interval=rate, retries=retries)
        shifts_client.sleep, shifts_client.clock = client.sleep, client.clock
    types = set(game_types)
    games = [g for g in _load_or_fetch_schedule(client, season, out_dir, refresh_schedule)
             if g.get("gameType") in types]
    result = FetchResult(season=season, games=len(games))
    for game in tqdm(games, desc=f"NHL {season}", unit="game", disable=not progress):
        if game.get("gameState") not in FINAL_STATES:
            result.not_final += 1
            continue
        jobs = [(client, f"gamecenter/{game['id']}/play-by-play",
                 out_dir / f"pbp_{game['id']}.json.gz", _is_pbp, "a play-by-play document")]
        if shifts and shifts_client is not None:
            jobs.append((shifts_client, f"shiftcharts?cayenneExp=gameId={game['id']}",
                         out_dir / f"shifts_{game['id']}.json.gz", _is_shifts, "a shift chart"))
        for job_client, url_path, target, check, what in jobs:
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
