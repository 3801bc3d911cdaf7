"""The planner's notebook runs from top to bottom (so it cannot rot) and is stored without
outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tests.paths import ROOT

NOTEBOOKS = ROOT / "notebooks"
OUTREACH = NOTEBOOKS / "outreach_day.ipynb"


def test_notebook_is_stored_without_outputs() -> None:
    nb = nbformat.read(OUTREACH, as_version=4)  # type: ignore[no-untyped-call]
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_outreach_notebook_runs_and_shows_its_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ipykernel.kernelspec import write_kernel_spec
    from nbclient import NotebookClient

    nb = nbformat.read(OUTREACH, as_version=4)  # type: ignore[no-untyped-call]
    # A kernel spec of the Python running the tests (the venv's), found first through
    # JUPYTER_PATH: an installed "python3" spec may start whichever "python" is on PATH.
    write_kernel_spec(str(tmp_path / "kernels" / "fieldroute-test"))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    client = NotebookClient(
        nb,
        kernel_name="fieldroute-test",
        timeout=600,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 4  # two maps and the two comparison plots
    text = "\n".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "model-choice" in text and "planner-choice" in text
    assert "residents" in text
