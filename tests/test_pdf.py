"""--pdf compiles the written LaTeX (or says in one line what to install), and tools/first_page.py draws the README's page."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from derive.__main__ import cli

ROOT = Path(__file__).resolve().parent.parent
HAVE_TEX = shutil.which("latexmk") is not None and shutil.which("pdflatex") is not None
HAVE_PDFTOPPM = shutil.which("pdftoppm") is not None
if not (HAVE_TEX and HAVE_PDFTOPPM) and os.environ.get("CI"):
    raise RuntimeError("CI is set but TeX or pdftoppm is missing: these tests must not skip in CI")
SMALL = ["--quiet", "--dim", "1", "--lag", "1", "--activation", "tanh", "--sections", "conventions,chain"]


@pytest.mark.skipif(not HAVE_TEX, reason="TeX (latexmk, pdflatex) not installed")
def test_pdf_compiles_and_leaves_no_auxiliary_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli(["--pdf", "--out", str(out), *SMALL]) == 0
    assert (out / "gradproof.pdf").read_bytes().startswith(b"%PDF")
    assert not [p.name for p in out.iterdir() if p.suffix in (".aux", ".log", ".fls", ".fdb_latexmk", ".out")]


def test_pdf_without_tex_says_what_to_install_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import derive.pdf

    monkeypatch.setattr(derive.pdf.shutil, "which", lambda name: None)
    out = tmp_path / "out"
    assert cli(["--pdf", "--out", str(out), *SMALL]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "latexmk and pdflatex not found" in err and "apt-get install" in err
    assert not out.exists()


@pytest.mark.skipif(not (HAVE_TEX and HAVE_PDFTOPPM), reason="TeX or pdftoppm (poppler-utils) not installed")
def test_the_first_page_tool_draws_a_png(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import first_page
    finally:
        sys.path.pop(0)
    picture = tmp_path / "page.png"
    assert first_page.main(["--out", str(picture), "--dpi", "20"]) == 0
    assert picture.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_the_readme_shows_the_committed_first_page() -> None:
    picture = ROOT / "docs" / "first-page.png"
    assert picture.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and picture.stat().st_size > 10_000
    assert "](docs/first-page.png)" in (ROOT / "README.md").read_text()
