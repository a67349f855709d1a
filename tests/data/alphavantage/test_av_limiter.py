"""The rate limiter: even pacing across threads and (through the store) across limiters that
stand for separate processes; the trailing-window guard; the daily cap; shared pauses."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from equity_factors.data.providers.alphavantage import DailyLimitReached, RateLimiter
from equity_factors.data.store import Store


def _run(limiters, calls_each):
    slots, lock = [], threading.Lock()

    def work(lim):
        for _ in range(calls_each):
            slot = lim.acquire()
            with lock:
                slots.append((slot, time.time()))

    threads = [threading.Thread(target=work, args=(lim,)) for lim in limiters]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return np.array(sorted(s for s, _ in slots)), np.array(sorted(w for _, w in slots))


def _max_in_window(times, window):
    # Most calls in any half-open window [t, t + window): a two-pointer sweep.
    best, j = 0, 0
    for i in range(len(times)):
        while times[i] - times[j] >= window:
            j += 1
        best = max(best, i - j + 1)
    return best


def test_threads_share_one_pace():
    lim = RateLimiter(3000)  # 50 calls/s -> 20 ms apart
    began = time.time()
    slots, woke = _run([lim] * 4, 12)
    assert np.diff(slots).min() >= 0.02
    assert woke.min() >= slots.min() and time.time() - began >= 47 * 0.02
    assert _max_in_window(slots, 0.5) <= 25  # 3000/min = 25 per half second


def test_two_limiters_on_one_store_share_the_budget(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    store.ensure_ready()  # migrate once: concurrent first migrations are the store's business
    a = RateLimiter(3000, store=store, key_id="k1")
    b = RateLimiter(3000, store=Store(tmp_path / "s.sqlite"), key_id="k1")
    slots, _ = _run([a, a, b, b], 10)
    assert np.diff(slots).min() >= 0.02
    assert a.calls + b.calls == 40 and a.calls_in_window(60) == 40
    # Another key has its own budget.
    other = RateLimiter(3000, store=store, key_id="k2")
    assert other.acquire() - time.time() < 0.05


def test_window_guard_holds_when_another_process_runs_faster(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    fast = RateLimiter(6000, store=store, key_id="k", window=1.0)  # 10 ms apart
    slow = RateLimiter(600, store=store, key_id="k", window=1.0)  # <= 10 per second
    fast_slots = [fast.acquire() for _ in range(30)]
    slot = slow.acquire()
    assert slot >= fast_slots[-10] + 1.0 - 1e-9


def test_daily_cap_is_shared_and_says_when(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    lim = RateLimiter(6000, calls_per_day=3, store=store, key_id="k")
    for _ in range(3):
        lim.acquire()
    with pytest.raises(DailyLimitReached) as info:
        lim.acquire()
    assert info.value.resume_after.startswith("after ") and "UTC" in info.value.resume_after
    again = RateLimiter(6000, calls_per_day=3, store=Store(tmp_path / "s.sqlite"), key_id="k")
    with pytest.raises(DailyLimitReached):
        again.acquire()


def test_daily_cap_in_memory():
    lim = RateLimiter(6000, calls_per_day=2)
    lim.acquire()
    lim.acquire()
    with pytest.raises(DailyLimitReached):
        lim.acquire()


def test_block_for_pauses_every_limiter_of_the_key(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    a = RateLimiter(6000, store=store, key_id="k")
    b = RateLimiter(6000, store=store, key_id="k")
    a.acquire()
    began = time.time()
    a.block_for(0.3)
    assert b.acquire() >= began + 0.3 - 1e-6
