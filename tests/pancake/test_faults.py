"""The fault matrix: every kind of bad answer the simulator can inject, against the data layer
(in process) and the CLI (``pancake.delivery.cli.main`` against the simulator's HTTP server on loopback).

For each fault: the other pages still load or export, the failing page is named once, nothing
already fetched is lost (a page's windows that came back are kept and the missing days named),
nothing waits past its deadline (pytest-timeout guards every test), and the exit status tells
the truth. A single bad answer (5xx, HTML, a body cut short, a timeout) is retried and leaves
no trace.
"""
from __future__ import annotations

import io
import threading
from datetime import date, timedelta

import pandas as pd
import pytest

from pancake.api.client import PancakeClient
from pancake.api.errors import TransportError
from pancake.api.simulator import (
    BASE_URL,
    DEMO_PAGE_IDS,
    DEMO_PAGE_TOKENS,
    DEMO_USER_TOKEN,
    FaultRule,
    Faults,
    Simulator,
)
from pancake.config import ConfigError
from pancake.data import core, gather
from pancake.delivery import cli
from tests.clock import FakeClock

pytestmark = pytest.mark.timeout(120)

A, B, C = DEMO_PAGE_IDS[0], DEMO_PAGE_IDS[1], DEMO_PAGE_IDS[2]
SECRETS = (DEMO_USER_TOKEN, *DEMO_PAGE_TOKENS.values())


def _client(sim: Simulator, *, user: bool = True, tokens: dict | None = None, **kw) -> PancakeClient:
    return PancakeClient(access_token=DEMO_USER_TOKEN if user else None,
                         page_tokens=dict(DEMO_PAGE_TOKENS) if tokens is None else tokens,
                         base_url=BASE_URL, timezone=sim.tz.key, transport=sim.transport(),
                         jitter=lambda: 0.0, call_budget=kw.pop("call_budget", 20), **kw)


def _simulator(rules=()) -> tuple[Simulator, FakeClock]:
    """A simulator on a manual clock: its 5 calls/s/page, its slow answers and the client's
    pacing and retries all count that clock's seconds, so a case never waits in real time."""
    clock = FakeClock()
    return Simulator(faults=Faults(rules=list(rules), sleep=clock.sleep), clock=clock, sleep=clock.sleep), clock


def _loader(rules=(), *, user: bool = True, per_page: int | None = None, **kw):
    sim, clock = _simulator(rules)
    pool = gather.Pool(per_lane=per_page) if per_page else None
    return sim, core.Loader(_client(sim, user=user, clock=clock, sleep=clock.sleep, **kw), pool=pool)


def _range(days: int) -> tuple[date, date]:
    today = Simulator().today()
    return today - timedelta(days=days), today - timedelta(days=1)


_REFERENCE: dict[tuple, core.Result] = {}


def reference(kind: str, start: date, end: date, pages=(A, B), **options) -> core.Result:
    """The same load from a simulator without faults (same seed: the same numbers)."""
    key = (kind, start, end, tuple(pages), tuple(sorted(options.items())))
    if key not in _REFERENCE:
        _, loader = _loader()
        res = loader.load(kind, list(pages), start, end, **options)
        assert not res.errors, res.errors
        _REFERENCE[key] = res
    return _REFERENCE[key]


def rows(result: core.Result, page: str, days: list[date] | None = None) -> dict[str, pd.DataFrame]:
    """A page's rows of every frame (optionally only those days), index reset."""
    out = {}
    for name, frame in result.frames.items():
        f = frame[frame["page_id"].astype(str) == page]
        if days is not None:
            time_col = next((c for c in ("date", "hour") if c in f.columns), None)
            if time_col is None:   # a per-range frame (staff totals): no rows of days to pick
                continue
            f = f[f[time_col].dt.normalize().dt.date.isin(set(days))]
        out[name] = f.reset_index(drop=True)
    return out


def assert_same_rows(got: dict[str, pd.DataFrame], want: dict[str, pd.DataFrame]) -> None:
    assert set(got) == set(want)
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name], check_exact=True)


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


# --------------------------------------------------------------------------- the data layer

STORM = dict(every=1, page_id=A, path_contains="statistics")

# fault -> the PageError kind the failing page gets
PERSISTENT = [
    (FaultRule("429", retry_after=0, **STORM), "rate_limit"),
    (FaultRule("500", retry_after=0, **STORM), "server"),
    (FaultRule("502", retry_after=0, **STORM), "server"),
    (FaultRule("504", retry_after=0, **STORM), "server"),
    (FaultRule("non_json", **STORM), "bad_response"),
    (FaultRule("bad_json", **STORM), "bad_response"),
    (FaultRule("timeout", **STORM), "network"),
    (FaultRule("no_data", **STORM), "bad_response"),
    (FaultRule("null_data", **STORM), "bad_response"),
    (FaultRule("empty_object", **STORM), "bad_response"),
    (FaultRule("not_object", **STORM), "bad_response"),
    *[(FaultRule("error_code", code=code, **STORM), kind)
      for code, kind in ((100, "api"), (102, "auth"), (103, "auth"), (105, "auth"), (110, "api"),
                         (122, "api"), (404, "api"), (500, "api"), (999, "api"))],
]


@pytest.mark.parametrize("kind", ["engagement", "activity"])
@pytest.mark.parametrize("rule,error_kind", PERSISTENT, ids=lambda v: getattr(v, "kind", None) and
                         f"{v.kind}{'-' + str(v.code) if v.code is not None else ''}")
def test_a_failing_page_is_named_once_and_the_others_load(kind, rule, error_kind):
    start, end = _range(40)     # two windows
    sim, loader = _loader([rule])
    res = loader.load(kind, [A, B], start, end)
    assert [e.page_id for e in res.errors] == [A]
    err = res.errors[0]
    assert err.kind == error_kind, err
    assert A in err.message and err.message.count(A) <= 2
    assert_no_secret(err.message)
    assert res.pages_ok == [B]
    assert_same_rows(rows(res, B), rows(reference(kind, start, end), B))
    assert rows(res, A)[next(iter(res.frames))].empty


TRANSIENT = [
    FaultRule("429", first_n=1, retry_after=0, page_id=A, path_contains="statistics"),
    FaultRule("500", first_n=1, page_id=A, path_contains="statistics"),
    FaultRule("502", first_n=1, page_id=A, path_contains="statistics"),
    FaultRule("504", first_n=1, page_id=A, path_contains="statistics"),
    FaultRule("non_json", first_n=1, page_id=A, path_contains="statistics"),   # HTML with 200
    FaultRule("bad_json", first_n=1, page_id=A, path_contains="statistics"),   # truncated JSON
    FaultRule("timeout", first_n=1, page_id=A, path_contains="statistics"),
    FaultRule("error_code", code=429, first_n=1, page_id=A, path_contains="statistics"),
    FaultRule("slow", latency=0.3, first_n=2, page_id=A, path_contains="statistics"),
]


@pytest.mark.parametrize("rule", TRANSIENT, ids=lambda r: r.kind)
def test_one_bad_answer_is_retried_and_leaves_no_trace(rule):
    start, end = _range(40)
    sim, loader = _loader([rule])
    res = loader.load("engagement", [A, B], start, end)
    assert res.errors == [] and res.pages_ok == [A, B]
    ref = reference("engagement", start, end)
    for page in (A, B):
        assert_same_rows(rows(res, page), rows(ref, page))
    asked = [c for c in sim.calls if c.page_id == A and "statistics" in c.path]
    assert len(asked) == 2 + (0 if rule.kind == "slow" else 1)   # two windows, one of them twice


def test_a_storm_of_bad_answers_gives_up_within_the_budget():
    sim, loader = _loader([FaultRule("bad_json", **STORM)])
    start, end = _range(5)
    res = loader.load("activity", [A], start, end)
    assert [e.kind for e in res.errors] == ["bad_response"]
    assert "gave up after 5 attempts" in res.errors[0].message
    assert len([c for c in sim.calls if c.page_id == A]) == 5


def test_a_success_without_data_is_not_an_empty_range():
    """``{"success": true}`` is a bad response; a range with no activity is a real empty state."""
    sim, clock = _simulator([FaultRule("no_data", every=1, path_contains="statistics")])
    client = _client(sim, clock=clock, sleep=clock.sleep)
    for call in (lambda: client.engagements(A, *_range(3)), lambda: client.page_stats(A, *_range(3)),
                 lambda: client.tag_stats(A, *_range(3)), lambda: client.user_stats(A, *_range(3)),
                 lambda: client.ads_campaigns(A, *_range(3)), lambda: client.new_customers(A, *_range(3))):
        with pytest.raises(Exception) as info:
            call()
        assert type(info.value).__name__ == "BadResponseError" and "no data" in str(info.value)
    # a real empty answer (data: []) is fine
    clean = _client(Simulator())
    chunks = clean.page_stats(A, *_range(1))
    assert isinstance(chunks[0].payload.get("data"), list)


def test_a_configuration_error_is_not_retried():
    with pytest.raises(ConfigError):
        PancakeClient(access_token="x", base_url="not-a-url")
    with pytest.raises(ConfigError):
        PancakeClient(access_token="x", base_url="http://[::1")

    import httpx
    calls = []

    def refuse(request):
        calls.append(request)
        raise httpx.UnsupportedProtocol("Request URL has an unsupported protocol")
    client = PancakeClient(access_token="x", page_tokens={A: "t"}, base_url=BASE_URL,
                           transport=httpx.MockTransport(refuse), jitter=lambda: 1.0)
    with pytest.raises(TransportError) as info:
        client.page_stats(A, *_range(1))
    assert len(calls) == 1 and "PANCAKE_BASE_URL" in str(info.value)


def test_extra_and_missing_fields():
    start, end = _range(3)
    ref = reference("activity", start, end, pages=(A,))
    _, loader = _loader([FaultRule("extra_fields", every=1, path_contains="statistics")])
    res = loader.load("activity", [A], start, end)
    assert not res.errors
    got = res.frames["hourly"]
    want = ref.frames["hourly"]
    assert list(got.columns[:len(want.columns)]) == list(want.columns)
    assert "zz_extra" in got.columns   # an unknown series is kept, after the known ones
    pd.testing.assert_frame_equal(got[list(want.columns)], want, check_exact=True)

    _, loader = _loader([FaultRule("missing_fields", field="new_customer_count", every=1,
                                   path_contains="statistics")])
    res = loader.load("activity", [A], start, end)
    assert not res.errors
    missing = res.frames["hourly"]["new_customer_count"]
    assert missing.isna().all() and len(missing) == len(want)   # unknown, never 0
    others = [c for c in want.columns if c != "new_customer_count"]
    pd.testing.assert_frame_equal(res.frames["hourly"][others], want[others], check_exact=True)


@pytest.mark.parametrize("kind", ["engagement", "activity", "tags"])
def test_a_page_token_renewed_mid_run_without_user_token_keeps_what_was_fetched(kind):
    start, end = _range(93)    # three windows; page A's calls one at a time, oldest first
    rule = FaultRule("renew", after=1, page_id=A, path_contains="statistics")
    sim, loader = _loader([rule], user=False, per_page=1)
    res = loader.load(kind, [A, B], start, end, keep_partial=True)
    assert [e.page_id for e in res.errors] == [A]
    err = res.errors[0]
    assert err.kind == "auth" and "105" in err.message and err.partial
    first_window = timeutil_windows(start, end)[0]
    assert err.missing == ((first_window[1] + timedelta(days=1), end),)
    assert f"{first_window[1] + timedelta(days=1)}..{end}" in err.message
    assert res.pages_ok == [B]
    ref = reference(kind, start, end)
    kept = [first_window[0] + timedelta(days=i) for i in range((first_window[1] - first_window[0]).days + 1)]
    time_rows = {n: f for n, f in rows(res, A).items() if {"date", "hour"} & set(f.columns)}
    assert time_rows and all(len(f) for f in time_rows.values())
    for name, frame in time_rows.items():
        pd.testing.assert_frame_equal(frame, rows(ref, A, kept)[name], check_exact=True)
    assert_same_rows(rows(res, B), rows(ref, B))
    # without keep_partial (the dashboard) the page is an error with no rows
    sim, loader = _loader([rule], user=False, per_page=1)
    res = loader.load(kind, [A, B], start, end)
    assert [e.page_id for e in res.errors] == [A] and all(rows(res, A)[n].empty for n in res.frames)


def timeutil_windows(start, end):
    from pancake import timeutil
    return timeutil.split_windows(start, end)


def test_a_generated_page_token_renewed_mid_run_is_regenerated_once():
    """No token pasted for A: the one generated from the user token, renewed elsewhere, is
    generated again once and the run goes on."""
    start, end = _range(93)
    tokens = {B: DEMO_PAGE_TOKENS[B]}
    sim, loader = _loader([FaultRule("renew", after=1, page_id=A, path_contains="statistics")], tokens=tokens)
    res = loader.load("engagement", [A, B], start, end)
    assert res.errors == []
    ref = reference("engagement", start, end)
    assert_same_rows(rows(res, A), rows(ref, A))
    assert len([c for c in sim.calls if c.path.endswith("generate_page_access_token")]) == 2   # made, renewed


def test_a_pasted_page_token_renewed_mid_run_is_reported_never_regenerated():
    """#23: generating would kill the token the shop uses everywhere else."""
    start, end = _range(93)
    sim, loader = _loader([FaultRule("renew", after=1, page_id=A, path_contains="statistics")], per_page=1)
    res = loader.load("engagement", [A, B], start, end, keep_partial=True)
    assert [e.page_id for e in res.errors] == [A]
    assert "the page token pasted for page" in res.errors[0].message and "(105)" in res.errors[0].message
    assert res.pages_ok == [B]
    assert [c for c in sim.calls if c.path.endswith("generate_page_access_token")] == []


def test_a_slow_page_is_cut_at_the_view_deadline():
    gate = threading.Event()                    # page A answers only once the test is done with it
    sim = Simulator(faults=Faults(rules=[FaultRule("slow", latency=4.0, every=1, page_id=A)],
                                  sleep=lambda _s: gate.wait(60)))
    loader = core.Loader(_client(sim))          # the view's deadline is real time
    start, end = _range(3)
    try:
        res = loader.load("activity", [A, B], start, end, deadline=1.0)
    finally:
        gate.set()
    assert [(e.page_id, e.kind) for e in res.errors] == [(A, "timeout")]
    assert_same_rows(rows(res, B), rows(reference("activity", start, end), B))


# --------------------------------------------------------------------------- the CLI

def run(args, url, monkeypatch, tmp_path, *, user=True, tokens=None):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PANCAKE_BASE_URL", url)
    if user:
        monkeypatch.setenv("PANCAKE_ACCESS_TOKEN", DEMO_USER_TOKEN)
    else:
        monkeypatch.delenv("PANCAKE_ACCESS_TOKEN", raising=False)
    tokens = DEMO_PAGE_TOKENS if tokens is None else tokens
    if tokens:
        monkeypatch.setenv("PANCAKE_PAGE_TOKENS", ",".join(f"{k}:{v}" for k, v in tokens.items()))
    else:
        monkeypatch.delenv("PANCAKE_PAGE_TOKENS", raising=False)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(args), stdout=out, stderr=err)
    assert "Traceback" not in err.getvalue()
    assert_no_secret(err.getvalue() + out.getvalue())
    return code, out.getvalue(), err.getvalue()


def read(path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"page_id": str})


@pytest.mark.parametrize("rule", [
    FaultRule("no_data", **STORM), FaultRule("500", retry_after=0, **STORM), FaultRule("non_json", **STORM),
    FaultRule("error_code", code=122, **STORM), FaultRule("429", retry_after=0, **STORM),
], ids=lambda r: r.kind)
def test_cli_names_a_failing_page_once_and_exports_the_others(rule, server, monkeypatch, tmp_path):
    url = server(Simulator(faults=Faults(rules=[rule])))
    start, end = _range(5)
    target = tmp_path / "out.csv"
    target.write_bytes(b"yesterday's export")
    code, _, err = run(["export", "activity", "--page", A, "--page", B, "--since", str(start),
                        "--until", str(end), "-o", str(target), "-q"], url, monkeypatch, tmp_path)
    assert code == 1
    assert target.read_bytes() == b"yesterday's export"
    df = read(tmp_path / "out.incomplete.csv")
    assert set(df["page_id"]) == {B}
    assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1
    assert f"({A}) failed" in err and f"({B})" not in err
    assert not list(tmp_path.glob(".*.part"))


def test_cli_a_single_truncated_answer_is_retried(server, monkeypatch, tmp_path):
    url = server(Simulator(faults=Faults(rules=[FaultRule("bad_json", first_n=1, path_contains="statistics")])))
    start, end = _range(5)
    code, _, err = run(["export", "activity", "--page", A, "--since", str(start), "--until", str(end),
                        "-o", str(tmp_path / "a.csv"), "-q"], url, monkeypatch, tmp_path)
    assert code == 0, err
    assert len(read(tmp_path / "a.csv")) == 5 * 24


def test_cli_page_all_falls_back_to_the_configured_pages_on_a_429_storm(server, monkeypatch, tmp_path):
    sim = Simulator(faults=Faults(rules=[FaultRule("429", every=1, retry_after=0, page_id="user")]))
    url = server(sim)
    d = sim.today() - timedelta(days=1)
    tokens = {A: DEMO_PAGE_TOKENS[A], C: DEMO_PAGE_TOKENS[C]}
    code, out, err = run(["export", "tags", "--page", "all", "--since", str(d), "--until", str(d),
                          "-o", str(tmp_path / "t.csv")], url, monkeypatch, tmp_path, tokens=tokens)
    assert code == 0, err
    assert "could not list pages" in err and "2 page(s) of PANCAKE_PAGE_TOKENS" in err
    assert set(read(tmp_path / "t.csv")["page_id"]) == {A, C}
    # with no configured page to fall back on, it still fails, saying why
    code, _, err = run(["export", "tags", "--page", "all", "--since", str(d), "--until", str(d)],
                       url, monkeypatch, tmp_path, tokens={})
    assert code == 1 and "could not list pages" in err


def test_cli_token_renewed_mid_run_without_user_token_writes_what_was_fetched(server, monkeypatch, tmp_path):
    sim = Simulator(faults=Faults(rules=[FaultRule("renew", after=2, page_id=A, path_contains="statistics")]))
    url = server(sim)
    start, end = _range(93)
    code, _, err = run(["export", "activity", "--page", A, "--page", B, "--since", str(start),
                        "--until", str(end), "-o", str(tmp_path / "act.csv"), "-q"], url, monkeypatch,
                       tmp_path, user=False)
    assert code == 1
    assert not (tmp_path / "act.csv").exists()
    df = read(tmp_path / "act.incomplete.csv")
    df["day"] = pd.to_datetime(df["hour"]).dt.date
    assert set(df[df.page_id == B]["day"]) == {start + timedelta(days=i) for i in range((end - start).days + 1)}
    got_a = set(df[df.page_id == A]["day"])
    assert got_a, "the windows that came back before the token died are kept"
    line = next(line for line in err.splitlines() if f"({A})" in line)
    assert "105" in line and "no data for" in line and "the other days are kept" in line
    assert err.count(f"({A}) failed") == 1
    # the days named missing are exactly the days not written
    named = line.split("no data for ", 1)[1].split(" (", 1)[0]
    missing = set()
    for part in named.split(", "):
        a, _, b = part.partition("..")
        a, b = date.fromisoformat(a), date.fromisoformat(b or a)
        missing |= {a + timedelta(days=i) for i in range((b - a).days + 1)}
    assert missing.isdisjoint(got_a)
    assert missing | got_a == {start + timedelta(days=i) for i in range((end - start).days + 1)}


def test_token_check_tells_an_unreachable_api_from_a_bad_token():
    gate = threading.Event()                    # page C answers only once the check is over
    sim = Simulator(faults=Faults(rules=[FaultRule("502", every=1, retry_after=0, page_id=A),
                                         FaultRule("slow", latency=3.0, every=1, page_id=C)],
                                  sleep=lambda _s: gate.wait(60)))
    sim.revoke(DEMO_PAGE_TOKENS[B])
    try:
        status = core.token_status(_client(sim, user=False), [A, B, C], deadline=1.0).set_index("page_id")
    finally:
        gate.set()
    assert dict(status["reason"]) == {A: "unreachable", B: "token", C: "unreachable"}
    assert not status["ok"].any()
    assert "no answer within 1 s" in status.loc[C, "message"]
    for message in status["message"]:
        assert_no_secret(message)
    ok = core.token_status(_client(Simulator()), [A]).set_index("page_id")
    assert ok.loc[A, "reason"] == "ok" and ok.loc[A, "ok"]


# --------------------------------------------------------------------------- the dashboard

@pytest.mark.parametrize("rule,lang", [
    (FaultRule("no_data", **STORM), "en"),
    (FaultRule("502", retry_after=0, **STORM), "vi"),
    (FaultRule("error_code", code=122, **STORM), "en"),
])
def test_dashboard_names_a_failing_page_once_and_draws_the_others(rule, lang, server, monkeypatch):
    from pancake.api.simulator import DEMO_PAGES
    from tests.conftest import app_test
    url = server(Simulator(faults=Faults(rules=[rule])))
    monkeypatch.setenv("PANCAKE_BASE_URL", url)
    monkeypatch.setenv("PANCAKE_ACCESS_TOKEN", DEMO_USER_TOKEN)
    at = app_test("app_pages/engagement.py", params={"lang": lang, "pages": f"{A},{B}"}, timeout=60)
    assert not at.exception
    name = next(p.name for p in DEMO_PAGES if p.id == A)
    shown = [str(e.value) for kind in ("error", "warning", "info") for e in getattr(at, kind)]
    assert sum(text.count(name) for text in shown) == 1, shown
    assert len(at.metric) > 0                       # the other page is drawn
    for text in shown:
        assert_no_secret(text)
