"""Progress bars only where someone watches: on a terminal, and only when asked for."""

from __future__ import annotations

__all__ = ["bar_disable"]


def bar_disable(show: bool) -> bool | None:
    """tqdm's `disable` for a bar the caller wants shown when `show` is True.

    None lets tqdm hide the bar when its stream is not a terminal (a log file, CI), so logs
    are not filled with hundreds of bar redraws; True always hides it.
    """
    return None if show else True
