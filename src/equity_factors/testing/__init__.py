"""Test helpers shipped with the package: a fake Alpha Vantage server for tests and contributors
(:mod:`equity_factors.testing.fake_alphavantage`; run it with
``python -m equity_factors.testing.fake_alphavantage --port 8765``)."""
