"""The LaTeX compiles: the standalone document with latexmk, the fragment \\input into a minimal article."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from derive.writer import write

HAVE_TEX = shutil.which("latexmk") is not None and shutil.which("pdflatex") is not None
if not HAVE_TEX and os.environ.get("CI"):
    raise RuntimeError("CI is set but latexmk/pdflatex are missing: TeX tests must not skip in CI")
pytestmark = [pytest.mark.tex, pytest.mark.skipif(not HAVE_TEX, reason="TeX (latexmk, pdflatex) not installed")]


def _latexmk(directory: Path, name: str) -> str:
    result = subprocess.run(
        ["latexmk", "-pdf", "-halt-on-error", "-interaction=nonstopmode", name],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = (directory / name.replace(".tex", ".log")).read_text(errors="replace")
    assert result.returncode == 0, log[-3000:]
    assert (directory / name.replace(".tex", ".pdf")).exists()
    return log


def _clean(log: str) -> None:
    assert "undefined" not in log.lower(), re.findall(r".*undefined.*", log, re.IGNORECASE)
    assert "multiply defined" not in log


def test_standalone_compiles(tmp_path: Path, outputs: dict[str, bytes]) -> None:
    write(tmp_path, outputs)
    _clean(_latexmk(tmp_path, "gradproof.tex"))


def test_fragment_compiles_inside_an_article(tmp_path: Path, outputs: dict[str, bytes]) -> None:
    """Course notes one directory up: they point \\gradprooffigures at output/figures and \\input the fragment."""
    write(tmp_path / "output", outputs)
    fragment = outputs["gradproof-fragment.tex"].decode()
    packages = re.findall(r"^%\s+(\\usepackage\{[^}]*\})$", fragment, re.MULTILINE)
    assert r"\usepackage{amsmath}" in packages
    notes = "\n".join(
        [
            r"\documentclass{article}",
            *packages,
            r"\newcommand{\gradprooffigures}{output/figures}",
            r"\begin{document}",
            "Course notes.",
            r"\input{output/gradproof-fragment}",
            "See~\\eqref{gp:bound}.",
            r"\end{document}",
            "",
        ]
    )
    (tmp_path / "notes.tex").write_text(notes)
    _clean(_latexmk(tmp_path, "notes.tex"))


GOLDEN_DIRECTORIES = sorted(path.parent for path in (Path(__file__).resolve().parent / "golden").glob("*/gradproof.tex"))


@pytest.mark.parametrize("directory", GOLDEN_DIRECTORIES, ids=lambda path: path.name)
def test_every_golden_standalone_compiles(tmp_path: Path, directory: Path) -> None:
    """The notation presets, a course's TOML notation and the smaller instance compile as committed (tests/golden/)."""
    shutil.copytree(directory, tmp_path / "out")
    _clean(_latexmk(tmp_path / "out", "gradproof.tex"))
