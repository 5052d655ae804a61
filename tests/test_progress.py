"""Progress bars show only when asked for and only on a terminal."""

import io

from tqdm.auto import tqdm

from hockey_vae.progress import bar_disable


def test_bars_hide_off_a_terminal_and_when_not_wanted():
    log = io.StringIO()  # not a terminal
    for _ in tqdm(range(3), file=log, disable=bar_disable(True)):
        pass
    assert log.getvalue() == ""
    assert bar_disable(False) is True
    assert bar_disable(True) is None  # tqdm then decides by the stream
