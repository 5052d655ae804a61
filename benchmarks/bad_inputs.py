"""Benchmark: a generated set of bad inputs across the five loaders, each ingested through the
CLI alone and in a folder beside a good file, with and without `--strict`.

Usage: python benchmarks/bad_inputs.py [--report reports/ingest/bad_inputs.md]

Every bad input starts from the loader's tiny valid sample (`hockey_vae.sources.samples`,
game 1) and breaks it one way; the good sibling is sample game 0. Counted per run:
- traceback: an exception escaped `hockey-vae ingest` (the done-bar is 0);
- good file dropped: a folder run without `--strict` whose output lacks any event of the
  good sibling (the done-bar is 0);
- named: the bad file's name appears in what the CLI printed (problem lines or error);
- silent: a bad input that produced no problem line and no error at all.
Writes the report as Markdown and JSON (same stem).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import io
import json
import logging
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pyarrow.compute as pc

from hockey_vae.cli import main
from hockey_vae.ingest import get_reader, load_tables
from hockey_vae.reporting import git_commit
from hockey_vae.sources.samples import FORMATS, sample_text

Variant = Callable[[str, str], tuple[str, bytes]]  # (name, text) -> (bad name, bad bytes)
ROOT = Path(__file__).resolve().parents[1]


def _rng(tag: str) -> random.Random:
    return random.Random(tag)  # seeded by the variant's name: the set is the same every run


def _cells(text: str, edit: Callable[[list[list[str]]], None]) -> bytes:
    rows = list(csv.reader(io.StringIO(text)))
    edit(rows)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def _set(column: str, value: str, row: int = 2) -> Callable[[list[list[str]]], None]:
    def edit(rows: list[list[str]]) -> None:
        if column in rows[0]:
            rows[row][rows[0].index(column)] = value
    return edit


def _drop(names: tuple[str, ...]) -> Callable[[list[list[str]]], None]:
    """Remove the first of `names` that the header has, from every row."""
    def edit(rows: list[list[str]]) -> None:
        column = next((rows[0].index(c) for c in names if c in rows[0]), None)
        if column is not None:
            for row in rows:
                del row[column:column + 1]
    return edit


def _json(text: str, edit: Callable[[dict], object]) -> bytes:
    doc = json.loads(text)
    result = edit(doc)
    return json.dumps(doc if result is None else result, allow_nan=True).encode()


GENERIC: dict[str, Variant] = {
    "empty": lambda n, t: (n, b""),
    "whitespace": lambda n, t: (n, b"  \n\n \t\n"),
    "random_bytes_a": lambda n, t: (n, _rng("a").randbytes(500)),
    "random_bytes_b": lambda n, t: (n, _rng("b").randbytes(20)),
    "truncated_half": lambda n, t: (n, t.encode()[: len(t) // 2]),
    "truncated_tenth": lambda n, t: (n, t.encode()[: len(t) // 10]),
    "gzip_truncated": lambda n, t: (n + ".gz", gzip.compress(t.encode())[:-20]),
    "gzip_header_only": lambda n, t: (n + ".gz", gzip.compress(t.encode())[:12]),
    "not_gzip": lambda n, t: (n + ".gz", t.encode()),
    "gzip_of_gzip": lambda n, t: (n + ".gz", gzip.compress(gzip.compress(t.encode()))),
    "non_utf8_byte": lambda n, t: (n, t.encode()[:60] + b"\xff\xfe" + t.encode()[60:]),
    "utf16": lambda n, t: (n, t.encode("utf-16")),
    "nul_bytes": lambda n, t: (n, t.encode().replace(b",", b"\x00,", 5).replace(b":", b"\x00:",
                                                                                   5)),
    "damaged_middle": lambda n, t: (n, t.encode()[:len(t) // 2] + _rng("d").randbytes(8)
                                    + t.encode()[len(t) // 2 + 8:]),
}

JSON_COMMON: dict[str, Variant] = {
    "top_level_list": lambda n, t: (n, b"[1, 2, 3]"),
    "top_level_string": lambda n, t: (n, b'"a game"'),
    "top_level_null": lambda n, t: (n, b"null"),
    "empty_object": lambda n, t: (n, b"{}"),
    "deep_nesting": lambda n, t: (n, b"[" * 100_000 + b"]" * 100_000),
    "nan_literals": lambda n, t: (n, t.replace("0", "NaN", 3).encode()),
}

NHL_API: dict[str, Variant] = {
    **JSON_COMMON,
    "plays_is_object": lambda n, t: (n, _json(t, lambda d: d.update(plays={"a": 1}))),
    "play_is_string": lambda n, t: (n, _json(t, lambda d: d["plays"].insert(1, "faceoff"))),
    "details_is_list": lambda n, t: (n, _json(t, lambda d: d["plays"][2].update(details=[1]))),
    "period_descriptor_string": lambda n, t: (n, _json(t, lambda d: d["plays"][1].update(
        periodDescriptor="P1"))),
    "odd_game_id": lambda n, t: (n, _json(t, lambda d: d.update(id="../../escaped"))),
    "home_team_list": lambda n, t: (n, _json(t, lambda d: d.update(homeTeam=[7, "BUF"]))),
    "roster_spots_string": lambda n, t: (n, _json(t, lambda d: d.update(rosterSpots="none"))),
    "clock_number": lambda n, t: (n, _json(t, lambda d: d["plays"][2].update(timeInPeriod=30))),
    "coordinates_text": lambda n, t: (n, _json(t, lambda d: d["plays"][2]["details"].update(
        xCoord="left"))),
    "duplicate_sort_order": lambda n, t: (n, _json(t, lambda d: d["plays"][3].update(
        sortOrder=3))),
    "missing_sort_order": lambda n, t: (n, _json(t, lambda d: d["plays"][3].pop("sortOrder"))),
    "no_plays": lambda n, t: (n, _json(t, lambda d: d.update(plays=[]))),
    "score_text": lambda n, t: (n, _json(t, lambda d: d["homeTeam"].update(score="three"))),
    "period_zero": lambda n, t: (n, _json(t, lambda d: d["plays"][2]["periodDescriptor"].update(
        number=0))),
    "player_id_object": lambda n, t: (n, _json(t, lambda d: d["plays"][2]["details"].update(
        shootingPlayerId={"id": 21}))),
}

PWHL: dict[str, Variant] = {
    **JSON_COMMON,
    "summary_is_list": lambda n, t: (n, _json(t, lambda d: d.update(summary_raw=["x"]))),
    "summary_without_id": lambda n, t: (n, _json(t, lambda d: d["summary_raw"]["details"].pop(
        "id"))),
    "team_info_missing": lambda n, t: (n, _json(t, lambda d: d["summary_raw"]["homeTeam"].pop(
        "info"))),
    "pbp_is_object": lambda n, t: (n, _json(t, lambda d: d.update(pbp_raw={"a": 1}))),
    "event_details_list": lambda n, t: (n, _json(t, lambda d: d["pbp_raw"][1].update(
        details=[1]))),
    "bad_time": lambda n, t: (n, _json(t, lambda d: d["pbp_raw"][1]["details"].update(
        time="soon"))),
    "bad_period": lambda n, t: (n, _json(t, lambda d: d["pbp_raw"][1]["details"].update(
        period={"id": "X"}))),
    "coordinates_text": lambda n, t: (n, _json(t, lambda d: d["pbp_raw"][1]["details"].update(
        xLocation="left"))),
    "goals_text": lambda n, t: (n, _json(t, lambda d: d["summary_raw"]["homeTeam"].update(
        stats={"goals": "two"}))),
    "odd_game_id": lambda n, t: (n, _json(t, lambda d: d["summary_raw"]["details"].update(
        id="abc"))),
    "no_events": lambda n, t: (n, _json(t, lambda d: d.update(pbp_raw=[]))),
    "unknown_event": lambda n, t: (n, _json(t, lambda d: d["pbp_raw"].append(
        {"event": "zamboni", "details": {}}))),
    "skaters_object": lambda n, t: (n, _json(t, lambda d: d["summary_raw"]["homeTeam"].update(
        skaters={"a": 1}))),
    "assists_string": lambda n, t: (n, _json(t, lambda d: d["pbp_raw"][2]["details"].update(
        assists="none"))),
    "period_zero": lambda n, t: (n, _json(t, lambda d: d["pbp_raw"][1]["details"].update(
        period={"id": "0"}))),
}

CSV_COMMON: dict[str, Variant] = {
    "header_only": lambda n, t: (n, t.split("\n", 1)[0].encode() + b"\n"),
    "semicolon_dialect": lambda n, t: (n, t.replace(",", ";").encode()),
    "unclosed_quote": lambda n, t: (n, t.replace("\n", '\n"', 2).encode()),
    "too_many_fields": lambda n, t: (n, _cells(t, lambda r: r[2].extend(["x", "y", "z"]))),
    "too_few_fields": lambda n, t: (n, _cells(t, lambda r: r.__setitem__(2, r[2][:2]))),
    "field_over_128_kib": lambda n, t: (n, _cells(t, lambda r: [
        _set(c, "9" * 200_000)(r) for c in ("xC", "X Coordinate", "x")])),
    "missing_required_column": lambda n, t: (n, _cells(t, _drop(("Event", "event_type")))),
    "missing_optional_column": lambda n, t: (n, _cells(t, _drop(("Date", "Player 2",
                                                                  "league")))),
}

HOCKEY_SCRAPER: dict[str, Variant] = {
    **CSV_COMMON,
    "coordinate_text": lambda n, t: (n, _cells(t, _set("xC", "eighty"))),
    "coordinate_out_of_rink": lambda n, t: (n, _cells(t, _set("xC", "450"))),
    "unknown_event": lambda n, t: (n, _cells(t, _set("Event", "ZAMBONI"))),
    "period_zero": lambda n, t: (n, _cells(t, _set("Period", "0"))),
    "period_text": lambda n, t: (n, _cells(t, _set("Period", "first"))),
    "seconds_text": lambda n, t: (n, _cells(t, _set("Seconds_Elapsed", "1:30"))),
    "score_huge": lambda n, t: (n, _cells(t, _set("Home_Score", "1e9"))),
    "bad_date": lambda n, t: (n, _cells(t, _set("Date", "yesterday"))),
    "odd_game_id": lambda n, t: ("2018990002.csv", t.encode()),
    "no_game_id": lambda n, t: ("game.csv", t.encode()),
}

STATHLETES: dict[str, Variant] = {
    **CSV_COMMON,
    "coordinate_text": lambda n, t: (n, _cells(t, _set("X Coordinate", "abc"))),
    "unknown_event": lambda n, t: (n, _cells(t, _set("Event", "Fight"))),
    "bad_clock": lambda n, t: (n, _cells(t, _set("Clock", "19:7x"))),
    "period_zero": lambda n, t: (n, _cells(t, _set("Period", "0"))),
    "team_not_playing": lambda n, t: (n, _cells(t, _set("Team", "Nobody"))),
    "ambiguous_dates": lambda n, t: (n, t.replace("2021-01-02", "3/4/2021").encode()),
    "mixed_date_orders": lambda n, t: (n, _cells(t, lambda r: [
        _set("game_date", "14/2/2021", 1)(r), _set("game_date", "2/15/2021", 2)(r)])),
    "backwards_score": lambda n, t: (n, _cells(t, _set("Home Team Goals", "3", 2))),
    "goals_text": lambda n, t: (n, _cells(t, _set("Home Team Goals", "two"))),
}

TABULAR: dict[str, Variant] = {
    **CSV_COMMON,
    "coordinate_text": lambda n, t: (n, _cells(t, _set("x", "far"))),
    "unknown_event": lambda n, t: (n, _cells(t, _set("event_type", "zamboni"))),
    "period_zero": lambda n, t: (n, _cells(t, _set("period", "0"))),
    "repeated_event_idx": lambda n, t: (n, _cells(t, _set("event_idx", "0"))),
    "event_idx_text": lambda n, t: (n, _cells(t, _set("event_idx", "third"))),
    "missing_game_id": lambda n, t: (n, _cells(t, _set("game_id", ""))),
    "bad_date": lambda n, t: (n, _cells(t, _set("game_date", "yesterday"))),
    "bad_boolean": lambda n, t: (n, _cells(t, _set("is_home", "maybe"))),
    "phantom_game": lambda n, t: ("games_x.csv", b"game_id,home_team\nT-1,AAA\nT-9,CCC\n"),
}

SPECIFIC = {"hockey_scraper": HOCKEY_SCRAPER, "nhl_api": NHL_API, "pwhl": PWHL,
            "stathletes": STATHLETES, "tabular": TABULAR}


def catalogue() -> list[tuple[str, str, Variant]]:
    """(format, variant name, variant) for every bad input."""
    return [(fmt, name, variant) for fmt in FORMATS
            for name, variant in {**GENERIC, **SPECIFIC[fmt]}.items()]


def _run_cli(args: list[str]) -> tuple[int | None, str, str | None]:
    """(exit code, printed text, traceback or None) of one in-process CLI run."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue() + err.getvalue(), None
    except BaseException:  # noqa: BLE001 - counting tracebacks is the point
        return None, out.getvalue() + err.getvalue(), traceback.format_exc()
    return code, out.getvalue() + err.getvalue(), None


def _good_kept(fmt: str, good: Path, out_dir: Path) -> bool:
    """Every event of the good file is in the output folder."""
    expected = get_reader(fmt)(good, strict=True, progress=False).events
    if not (out_dir / "events.parquet").exists():
        return False
    events = load_tables(out_dir).events
    for game in set(expected.column("game_id").to_pylist()):
        want = expected.filter(pc.equal(expected.column("game_id"), game))
        got = events.filter(pc.equal(events.column("game_id"), game))
        if not got.equals(want):
            return False
    return True


def run_one(fmt: str, name: str, variant: Variant, work: Path) -> list[dict]:
    """The four runs of one bad input (alone/folder x strict or not)."""
    records = []
    base_name, base_text = sample_text(fmt, 1)
    bad_name, bad_bytes = variant(base_name, base_text)
    for folder_run in (False, True):
        for strict in (False, True):
            case = work / f"{fmt}-{name}-{int(folder_run)}{int(strict)}"
            raw = case / "raw"
            raw.mkdir(parents=True)
            bad = raw / bad_name
            bad.write_bytes(bad_bytes)
            good = None
            if folder_run:
                good_name, good_text = sample_text(fmt, 0)
                good = raw / good_name
                good.write_text(good_text, encoding="utf-8")
            args = ["ingest", fmt, str(raw), "--out", str(case / "out"), "--no-progress"]
            code, text, tb = _run_cli(args + (["--strict"] if strict else []))
            kept = None if good is None or strict or tb else _good_kept(fmt, good, case / "out")
            reported = "problem" in text and "0 problem(s)" not in text or code not in (0, None)
            records.append({
                "format": fmt, "input": name, "file": bad_name, "folder": folder_run,
                "strict": strict, "exit": code, "traceback": tb, "good_kept": kept,
                "named": bad_name in text, "silent": tb is None and not reported,
                # the scratch folder is a machine path: the report names it WORK
                "output": (text.replace(str(work), "WORK")[-400:]
                           if tb or bad_name not in text else None),
            })
    return records


def summarise(records: list[dict]) -> dict:
    """The counts the report leads with."""
    inputs = {(r["format"], r["input"]) for r in records}
    folder = [r for r in records if r["folder"] and not r["strict"]]
    return {
        "bad_inputs": len(inputs),
        "per_format": dict(Counter(f for f, _ in sorted(inputs))),
        "runs": len(records),
        "tracebacks": sum(r["traceback"] is not None for r in records),
        "folder_runs_without_strict": len(folder),
        "good_files_dropped": sum(r["good_kept"] is False for r in folder),
        "runs_naming_the_bad_file": sum(r["named"] for r in records),
        "runs_not_naming_the_bad_file": sum(not r["named"] for r in records),
        "silent_runs": sum(r["silent"] for r in records),
        "exit_codes": dict(Counter(str(r["exit"]) for r in records)),
    }


def write_report(records: list[dict], seconds: float, path: Path) -> None:
    s = summarise(records)
    command = "python benchmarks/bad_inputs.py --report " + str(path)
    unnamed = sorted({(r["format"], r["input"]) for r in records if not r["named"]})
    silent = sorted({(r["format"], r["input"], r["folder"]) for r in records if r["silent"]})
    lines = [
        "# Bad inputs: every loader, alone and beside a good file, with and without --strict",
        "",
        f"- command: `{command}`",
        f"- commit: {git_commit()}",
        f"- python {sys.version.split()[0]}, {seconds:.1f} s for {s['runs']} CLI runs",
        "- inputs: each loader's tiny valid sample (`hockey_vae.sources.samples`, game 1) broken "
        "one way; the good sibling is sample game 0",
        "",
        "| measure | count |",
        "|---|---|",
        f"| bad inputs | {s['bad_inputs']} ({', '.join(f'{k} {v}' for k, v in s['per_format'].items())}) |",
        f"| CLI runs (alone/folder x strict/not) | {s['runs']} |",
        f"| **tracebacks** | **{s['tracebacks']}** |",
        f"| **good files dropped** (folder runs without --strict: {s['folder_runs_without_strict']}) "
        f"| **{s['good_files_dropped']}** |",
        f"| runs whose output names the bad file | {s['runs_naming_the_bad_file']} |",
        f"| runs whose output does not name it | {s['runs_not_naming_the_bad_file']} |",
        f"| silent runs (no problem line, no error) | {s['silent_runs']} |",
        f"| exit codes | {', '.join(f'{k}: {v}' for k, v in sorted(s['exit_codes'].items()))} |",
        "",
        "Exit codes: 0 = ingested (problems listed), 1 = `--strict` stopped at the first problem, "
        "2 = nothing ingested (the reasons are printed).",
        "",
        "## Inputs whose bad file is not named in some run",
        "",
        *(f"- {f} / {i}" for f, i in unnamed), *([] if unnamed else ["- none"]),
        "",
        "## Silent runs (accepted without a problem line)",
        "",
        "`missing_optional_column` drops a column the loader documents as optional (2021 "
        "`Player 2`, tabular `league`): the file is valid and its values are null, so no "
        "problem line is expected there (hockey_scraper reports a missing `Date`).",
        "",
        *(f"- {f} / {i} ({'folder' if fo else 'alone'})" for f, i, fo in silent),
        *([] if silent else ["- none"]),
        "",
        "## Every input",
        "",
        "| format | input | runs named | exit codes (alone, alone strict, folder, folder strict) |",
        "|---|---|---|---|",
    ]
    by_input: dict[tuple[str, str], list[dict]] = {}
    for r in records:
        by_input.setdefault((r["format"], r["input"]), []).append(r)
    for (fmt, name), runs in by_input.items():
        lines.append(f"| {fmt} | {name} | {sum(r['named'] for r in runs)}/4 | "
                     f"{', '.join(str(r['exit']) for r in runs)} |")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    path.with_suffix(".json").write_text(json.dumps(
        {"command": command, "commit": git_commit(), "seconds": round(seconds, 2),
         "summary": s, "runs": records}, indent=1) + "\n")


def main_benchmark(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--report", type=Path, default=ROOT / "reports/ingest/bad_inputs.md")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # every problem is in the CLI output already
    start = time.perf_counter()
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, name, variant in catalogue():
            records += run_one(fmt, name, variant, Path(tmp))
    seconds = time.perf_counter() - start
    write_report(records, seconds, args.report)
    s = summarise(records)
    print(json.dumps({k: v for k, v in s.items() if k != "per_format"}))
    return 0 if s["tracebacks"] == 0 and s["good_files_dropped"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main_benchmark())
