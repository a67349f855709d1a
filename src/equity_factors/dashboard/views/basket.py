"""Dashboard page: the report of the latest (or a picked) run (see ui.PAGES)."""

from equity_factors.dashboard.ui import report_page

report_page("basket")
