"""Enough games for what a command is about to do, checked before any work starts.

Training needs a validation game: early stopping and the choice of `best.pt` rest on it, and
without one a run would silently keep its last epoch. So a dataset whose split leaves no
validation game is refused before training (with the sizes and the fix), rather than
trained with a warning that scrolls away. A benchmark also needs a test game, and
`evaluate` needs at least one game of the split it scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["InsufficientData", "check_split", "require_games", "games_to_score"]

_WORD = {"train": "training", "val": "validation", "test": "test"}


class InsufficientData(ValueError):
    """Too few games for the requested split or command."""


def _join(words: list[str], last: str) -> str:
    """'a', 'a and b', 'a, b and c' (with `last` in place of 'and')."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def check_split(split: Mapping[str, Sequence[str]], needs: Sequence[str], *,
                what: str = "training", fractions: Sequence[float] | None = None) -> None:
    """Raise InsufficientData unless every part named in `needs` has at least one game."""
    empty = [part for part in needs if not split.get(part)]
    if not empty:
        return
    sizes = "/".join(str(len(split.get(k, []))) for k in ("train", "val", "test"))
    n_games = len({g for part in split.values() for g in part})
    rule = f" by split fractions {tuple(fractions)}" if fractions is not None else ""
    missing = _join([_WORD.get(p, p) for p in empty], "or")
    wanted = _join([f"one {_WORD.get(p, p)}" for p in needs], "and")
    raise InsufficientData(
        f"too little data for {what}: {n_games} game(s) split into train/val/test = "
        f"{sizes}{rule}, so there is no {missing} game; {what} needs at least {wanted} "
        "game. Add games or change split_fractions")


def require_games(n_games: int, split_name: str, *, run: str = "", data: str = "") -> None:
    """Raise InsufficientData when there are no games to score (instead of tables of NaN)."""
    if n_games > 0:
        return
    where = f" of run {run}" if run else ""
    in_data = f" in {data}" if data else ""
    raise InsufficientData(
        f"no {split_name} games{where} found{in_data}: nothing to evaluate (the data must "
        f"hold the games the run set aside as {split_name}; try --split all for every game)")


def games_to_score(split: dict[str, list[str]], split_name: str,
                   data_games: list[str]) -> tuple[list[str], str]:
    """(game ids of the data to evaluate a run on, a note saying which and why).

    `split` is the run's train/val/test split, `data_games` the games of the data given.
    The run's own `split_name` games are scored when the data holds them. When the data holds
    none of them (another season or league), a test evaluation scores every game of the data
    that the run neither trained nor validated on, and says so; `all` scores every game.
    """
    present = set(data_games)
    if split_name == "all":
        return list(data_games), f"all {len(data_games)} games of the data"
    own = [g for g in split[split_name] if g in present]
    if own:
        missing = len(split[split_name]) - len(own)
        note = f"the run's {len(own)} {split_name} games"
        return own, note + (f" ({missing} of them are not in the data)" if missing else "")
    if split_name == "test":
        seen = set(split["train"]) | set(split["val"])
        fresh = [g for g in data_games if g not in seen]
        if fresh:
            return fresh, (f"the data holds none of the run's test games: scoring its "
                           f"{len(fresh)} games the run neither trained nor validated on")
    return [], f"no {split_name} games of the run in the data"
