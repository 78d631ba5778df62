"""``python -m derive --pdf``: the written LaTeX compiled to PDF with latexmk, or one line saying what to install."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .errors import ConfigError, GradproofError

#: What --pdf needs, and how to get it, in the one line a user sees when it is missing.
INSTALL = (
    "latexmk and pdflatex (Debian/Ubuntu: apt-get install texlive-latex-base texlive-latex-recommended "
    "texlive-fonts-recommended latexmk; macOS: MacTeX; Windows: MiKTeX or TeX Live)"
)


def require_tex() -> None:
    """Raise ConfigError naming what to install when latexmk or pdflatex is not on PATH (before any work is done)."""
    missing = [tool for tool in ("latexmk", "pdflatex") if shutil.which(tool) is None]
    if missing:
        raise ConfigError("--pdf", " and ".join(missing) + " not found", INSTALL)


def compile_pdf(directory: Path, name: str = "gradproof.tex") -> Path:
    """Compile ``name`` in ``directory`` with latexmk (pdflatex), remove the auxiliary files, return the PDF's path.

    A failed compile raises GradproofError naming the log to read; the log is kept for that reason.
    """
    command = ["latexmk", "-pdf", "-halt-on-error", "-interaction=nonstopmode", name]
    done = subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=600)
    log = directory / Path(name).with_suffix(".log")
    if done.returncode != 0:
        raise GradproofError(f"--pdf: latexmk failed on {directory / name}; see {log}")
    subprocess.run(["latexmk", "-c", name], cwd=directory, capture_output=True, text=True, timeout=120)
    return directory / Path(name).with_suffix(".pdf")
