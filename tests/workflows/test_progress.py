"""Workflows report the progress of their long steps through ``Context.progress``."""

from __future__ import annotations

from equity_factors.cli.console import progress_factory
from equity_factors.workflows.context import Context
from equity_factors.workflows.factors import FactorRequest, fit_factors
from equity_factors.workflows.regime import RegimeRequest, detect


class Recorder:
    """A progress factory that records every bar and every update it gets."""

    def __init__(self):
        self.bars: dict[str, list[tuple[int | None, int | None]]] = {}

    def __call__(self, label, total):
        updates = self.bars.setdefault(label, [])

        def advance(done=None, info="", total=None):
            updates.append((done, total))

        return advance


def _check_counts(updates):
    assert updates, "the bar was never advanced"
    done = [d for d, _ in updates]
    totals = {t for _, t in updates}
    assert len(totals) == 1
    (n,) = totals
    assert done == list(range(1, n + 1))  # increasing by one, up to the total


def test_factor_fit_and_regime_refits_report_progress(sample_home, tmp_path):
    recorder = Recorder()
    ctx = Context.create(str(sample_home), recorder)
    factors = FactorRequest("SAMPLE", n_components=3, start="2016-01-01", lookback=126)
    fit_factors(ctx, factors, use_cache=False)
    _check_counts(recorder.bars["fitting pca factors"])
    recorder.bars.clear()
    detect(ctx, RegimeRequest(factors, n_regimes=2, refit_every=126, min_train=252, restarts=1),
           argv=["regime", "detect"], output_dir=tmp_path)
    updates = recorder.bars["fitting regimes (HMM refits)"]
    _check_counts(updates)
    assert updates[-1][1] > 2


def test_cli_progress_bar_accepts_a_late_total():
    with progress_factory() as make:
        advance = make("step", None)
        advance(1, total=3)
        advance(3, info="done", total=3)
        advance()
