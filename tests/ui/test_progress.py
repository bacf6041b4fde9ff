"""The view's one progress indicator: its words in both languages, with units, counted by
``gather.Tally`` across kinds (never restarting per kind)."""
from __future__ import annotations

from concurrent.futures import Future

from pancake.data import gather
from ui.progress import text


def test_the_indicator_says_requests_and_pages_in_both_languages():
    counts = gather.Counts(calls_done=312, calls=720, pages_done=14, pages=24)
    assert text(counts, "en") == "312 of 720 requests · 14 of 24 pages"
    assert text(counts, "vi") == "312/720 yêu cầu · 14/24 trang"


def test_thousands_are_grouped_the_languages_way():
    counts = gather.Counts(calls_done=1200, calls=2160, pages_done=0, pages=72)
    assert text(counts, "en") == "1,200 of 2,160 requests · 0 of 72 pages"
    assert text(counts, "vi") == "1.200/2.160 yêu cầu · 0/72 trang"


def test_a_second_kind_adds_to_the_count_instead_of_restarting_it():
    drawn = []
    tally = gather.Tally(["a", "b"], listener=lambda c: drawn.append(text(c, "en")))
    engagement = [Future() for _ in range(3)]
    for pid, fut in zip(["a", "a", "b"], engagement):
        tally.add(pid, fut)
    for fut in engagement:
        fut.set_result(None)
    tally.refresh()
    staff = [Future(), Future()]
    tally.add("a", staff[0])
    tally.add("b", staff[1])
    tally.refresh()
    staff[0].set_result(None)
    tally.refresh()
    assert drawn == ["3 of 3 requests · 2 of 2 pages", "3 of 5 requests · 0 of 2 pages",
                     "4 of 5 requests · 1 of 2 pages"]
