"""``notebooks/quickstart.ipynb``: committed without outputs, and it runs from top to bottom."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import equity_factors

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "quickstart.ipynb"

nbformat = pytest.importorskip("nbformat")


def test_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) >= 10
    for cell in code:
        assert cell.outputs == [], cell.source[:60]
        assert cell.execution_count is None, cell.source[:60]
    text = "\n".join(c.source for c in code)
    for step in ("ingest_sample(", "discover(", "optimize(", "basket(", "extremes(",
                 "cross_section(", "detect(", ".summary()"):
        assert step in text, step


@pytest.mark.slow
def test_notebook_runs(tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # the kernel is a new process: it imports this checkout's package, not another install
    src = str(Path(equity_factors.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [src, *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the notebook's tempfile.mkdtemp lands here
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if o.output_type == "display_data" and "image/png" in o.data]
    assert len(images) == 2  # the factor chart and the regime chart
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "20 stocks stored in" in printed and "current regime:" in printed
    assert any((tmp_path).rglob("trade_basket.csv"))
