"""``python -m equity_factors`` runs the ``eqf`` command line."""

from equity_factors.cli.main import main

if __name__ == "__main__":  # pragma: no cover - exercised through subprocess tests
    raise SystemExit(main())
