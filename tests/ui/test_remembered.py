"""``ui.cache.remembered``: what a view computes from its results is computed once per process
for the same results (their stamps) and the same other arguments, and every session gets its
own copy (issue 18: a second session of the agency overview within 1.5 s)."""
from __future__ import annotations

import logging

import pandas as pd

from pancake.data.core import Result
from ui import cache

logging.getLogger("streamlit").setLevel(logging.ERROR)   # "no runtime" warnings of a bare call


def result(stamp, total):
    return Result(frames={"daily": pd.DataFrame({"total": [total]})}, stamp=stamp)


class Counted:
    """A view's computation that counts its runs."""

    def __init__(self) -> None:
        self.calls = 0

    def figures(self, frames, lang, *, compare=True):
        self.calls += 1
        return {"lang": lang, "compare": compare, "total": int(frames["engagement"]["total"].sum())}


def test_the_same_stamps_and_arguments_are_computed_once_and_copied():
    fn = Counted()
    now, before = result("a" * 32, 7), result("b" * 32, 5)
    frames = {"engagement": now["daily"]}
    first = cache.remembered(fn.figures, [now, before], frames, "vi", compare=True)
    second = cache.remembered(fn.figures, [now, before], frames, "vi", compare=True)
    assert first == second == {"lang": "vi", "compare": True, "total": 7}
    assert fn.calls == 1
    assert first is not second                 # each caller its own copy
    second["total"] = 0
    assert cache.remembered(fn.figures, [now, before], frames, "vi", compare=True)["total"] == 7


def test_other_stamps_or_other_arguments_are_computed_again():
    fn = Counted()
    now, before = result("a" * 32, 7), result("b" * 32, 5)
    frames = {"engagement": now["daily"]}
    cache.remembered(fn.figures, [now, before], frames, "vi")
    cache.remembered(fn.figures, [now, before], frames, "en")                  # another language
    cache.remembered(fn.figures, [now, before], frames, "vi", compare=False)   # another option
    cache.remembered(fn.figures, [now, None], frames, "vi")                    # no previous result
    other = result("c" * 32, 9)
    assert cache.remembered(fn.figures, [other, before], {"engagement": other["daily"]}, "vi")["total"] == 9
    assert fn.calls == 5


def test_a_result_without_a_stamp_is_always_computed():
    fn = Counted()
    failed = result(None, 3)           # e.g. a page failed: not made only of kept entries
    for _ in range(3):
        assert cache.remembered(fn.figures, [failed], {"engagement": failed["daily"]}, "vi")["total"] == 3
    assert fn.calls == 3


def test_no_results_at_all_is_a_key_like_any_other():
    fn = Counted()
    empty = {"engagement": pd.DataFrame({"total": pd.Series([], dtype="Int64")})}
    assert cache.remembered(fn.figures, [], empty, "vi")["total"] == 0
    assert cache.remembered(fn.figures, [], empty, "vi")["total"] == 0
    assert fn.calls == 1
