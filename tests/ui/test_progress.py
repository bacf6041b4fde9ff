"""The view's one progress indicator: its words in both languages, with units, counted by
``gather.Tally`` across kinds (never restarting per kind)."""
from __future__ import annotations

from concurrent.futures import Future

from pancake.data import gather
from ui.progress import text


def test_the_indicator_says_requests_and_pages_in_both_languages():
    counts = gather.Counts(calls_done=312, calls=720, pages_done=14, pages=24)
    assert text(counts, "en") == "312 of 720 requests · 14 of 24 pages complete"
    assert text(counts, "vi") == "312/720 yêu cầu · 14/24 trang đã tải đủ"


def test_thousands_are_grouped_the_languages_way():
    counts = gather.Counts(calls_done=1200, calls=2160, pages_done=0, pages=72)
    assert text(counts, "en") == "1,200 of 2,160 requests · 0 of 72 pages complete"
    assert text(counts, "vi") == "1.200/2.160 yêu cầu · 0/72 trang đã tải đủ"


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
    assert drawn == ["3 of 3 requests · 2 of 2 pages complete", "3 of 5 requests · 0 of 2 pages complete",
                     "4 of 5 requests · 1 of 2 pages complete"]


def test_the_kinds_after_the_first_wait_until_its_cards_are_drawn_not_just_answered(monkeypatch):
    """Issue 18: the engagement cards' calls go out first; the other kinds' only once those cards
    are on screen, so composing and drawing them shares the process with nothing else."""
    from datetime import date

    from ui import cache, page, state
    asked = []
    monkeypatch.setattr(cache, "prefetch", lambda kind, ids, start, end, **kw: asked.append(
        (kind, start, kw.get("after", []))))
    view = page.Page(view=state.View(compare=True, lang="en"), lang="en", page_ids=["1", "2"], names={},
                     start=date(2026, 11, 1), end=date(2026, 11, 30), prev_start=date(2026, 10, 2),
                     prev_end=date(2026, 10, 31))
    bar = view.ask_all(["engagement", "staff", "ads"])
    assert [(k, s.day) for k, s, _ in asked] == [("engagement", 1), ("engagement", 2), ("staff", 1),
                                                 ("staff", 2), ("ads", 1), ("ads", 2)]
    assert [len(after) for _, _, after in asked[:2]] == [0, 0]          # the cards' kind: now
    waits = {id(f) for _, _, after in asked[2:] for f in after}
    assert waits == {id(bar.drawn)} and not bar.drawn.done()            # answered or not: not yet
    bar.first_drawn()
    assert bar.drawn.done()
    bar.first_drawn()                                                   # twice: no error
    bar.close()
    assert bar.drawn.done()


def test_closing_a_view_that_drew_nothing_lets_the_waiting_kinds_go():
    from ui.progress import ViewProgress
    bar = ViewProgress(["1"], "vi")
    assert not bar.drawn.done()
    bar.close()
    assert bar.drawn.done()
