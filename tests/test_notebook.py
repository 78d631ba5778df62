"""output/gradproof.ipynb: a valid notebook whose Markdown cells are the report and whose code cells run (nbclient)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "output" / "gradproof.ipynb"
HAVE_JUPYTER = all(importlib.util.find_spec(name) is not None for name in ("nbformat", "nbclient", "ipykernel"))
if not HAVE_JUPYTER and os.environ.get("CI"):
    raise RuntimeError("CI is set but nbformat, nbclient or ipykernel is missing: the notebook must run in CI")
pytestmark = pytest.mark.skipif(not HAVE_JUPYTER, reason="nbformat, nbclient and ipykernel not installed (pip install -e '.[test]')")


def test_the_notebook_is_valid_and_holds_the_report() -> None:
    import nbformat

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    markdown = "".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    report = (ROOT / "output" / "gradproof.md").read_text()
    for number in range(1, 11):
        assert f"**Statement {number}:" in markdown and f"**Statement {number}:" in report
    assert [cell.cell_type for cell in notebook.cells][-2:] == ["code", "code"]
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")  # written without outputs


def test_the_notebook_runs_and_its_numbers_keep_the_bound(tmp_path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    shutil.copytree(ROOT / "output", tmp_path / "output")
    notebook = nbformat.read(tmp_path / "output" / "gradproof.ipynb", as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path / "output")}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    text = "".join(output.get("text", "") for output in outputs)
    assert "the bound holds at every lag: True" in text
    assert any("image/svg+xml" in output.get("data", {}) for output in outputs)  # the figure, redrawn


def test_the_notebooks_math_renders_with_katex(tmp_path: Path) -> None:
    import nbformat

    node_path = Path(os.environ.get("GRADPROOF_KATEX_NODE_PATH", ROOT / ".ci" / "node" / "node_modules"))
    if shutil.which("node") is None or not (node_path / "katex").is_dir():
        if os.environ.get("CI"):
            raise RuntimeError("CI is set but node or KaTeX is missing")
        pytest.skip("node and KaTeX not installed (see .ci/run)")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    markdown = tmp_path / "cells.md"
    markdown.write_text("\n\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown"))
    command = ["node", str(ROOT / "tests" / "katex_check.js"), str(markdown)]
    done = subprocess.run(command, env={**os.environ, "NODE_PATH": str(node_path)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and " 0 errors" in done.stdout, done.stdout + done.stderr
