"""``python -m equity_factors.dashboard.serve ARGS``: Streamlit's own command line (``ARGS`` as
for ``streamlit``), after importing what every page needs, so that the first page a browser
opens does not pay for those imports (Streamlit runs the pages inside this process)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    import plotly.graph_objects  # noqa: F401
    import plotly.io  # noqa: F401
    from streamlit.web import cli

    import equity_factors.dashboard.ui  # noqa: F401
    import equity_factors.workflows.data  # noqa: F401
    import equity_factors.workflows.report  # noqa: F401

    sys.argv = ["streamlit", *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
