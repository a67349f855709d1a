"""The dashboard's entry script (``streamlit run``): one page per view in ``views/``."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from equity_factors.dashboard.ui import PAGES

st.set_page_config(page_title="equity-factors", layout="wide")
HERE = Path(__file__).parent / "views"
pages = [st.Page(str(HERE / f"{name}.py"), title=title, url_path=name, default=(name == "data"))
         for name, (title, _kind) in PAGES.items()]
st.navigation(pages).run()
