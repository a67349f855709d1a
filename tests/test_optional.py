"""Optional extras are checked in one place, with the command that installs them."""

from __future__ import annotations

import sys

import pytest

from equity_factors._optional import EXTRAS, missing_message, require
from equity_factors.errors import UserError


def test_missing_extra_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "streamlit", None)  # import fails as if not installed
    with pytest.raises(UserError) as info:
        require("streamlit")
    assert str(info.value) == missing_message("streamlit")
    assert "pip install 'equity-factors[dashboard]'" in str(info.value)


def test_a_broken_import_inside_an_installed_extra_is_not_hidden(tmp_path, monkeypatch):
    # a package that is there but whose own import fails must surface, not read "install it"
    pkg = tmp_path / "plotly"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("import a_module_that_does_not_exist_eqf\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "plotly", raising=False)
    with pytest.raises(ModuleNotFoundError, match="a_module_that_does_not_exist_eqf"):
        require("plotly")
    monkeypatch.delitem(sys.modules, "plotly", raising=False)


def test_only_declared_extras():
    assert set(EXTRAS) == {"torch", "streamlit", "plotly", "ray", "distributed"}
    with pytest.raises(KeyError):
        require("numpy")
