"""The LaTeX compiles: the standalone document with latexmk, the fragment \\input into a minimal article."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import derive
from derive.statements import LABELS
from derive.writer import write

HAVE_TEX = shutil.which("latexmk") is not None and shutil.which("pdflatex") is not None
HAVE_CHKTEX = shutil.which("chktex") is not None
if not (HAVE_TEX and HAVE_CHKTEX) and os.environ.get("CI"):
    raise RuntimeError("CI is set but latexmk, pdflatex or chktex is missing: TeX tests must not skip in CI")
pytestmark = [pytest.mark.tex, pytest.mark.skipif(not HAVE_TEX, reason="TeX (latexmk, pdflatex) not installed")]


def _latexmk(directory: Path, name: str, engine: str = "-pdf") -> str:
    result = subprocess.run(
        ["latexmk", engine, "-halt-on-error", "-interaction=nonstopmode", name],
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
    """No undefined reference, citation or control sequence, no label defined twice (font substitutions are not errors),
    and no line wider than the text by more than 1 pt (an overfull box is text running into the margin)."""
    overfull = [float(width) for width in re.findall(r"Overfull \\[hv]box \(([0-9.]+)pt too (?:wide|high)\)", log)]
    assert all(width <= 1.0 for width in overfull), re.findall(r"Overfull .*\n.*", log)
    problems = re.findall(r".*(?:Reference|Citation) `[^']*' on page .* undefined.*|.*There were undefined references.*|.*Undefined control sequence.*", log)
    assert not problems, problems
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


#: Host documents a course might \input the fragment into: (preamble, what comes before the \input).
HOSTS = {
    "article": (r"\documentclass{article}", ""),
    "report": (r"\documentclass{report}", r"\chapter{Recurrent networks}"),
    "book": (r"\documentclass{book}", r"\chapter{Recurrent networks}"),  # a section of a chapter: equations numbered (1.1), ...
    "own-macros": (  # a host that loads hyperref and cleveref and defines the macros a course often has
        "\n".join(
            [
                r"\documentclass{article}",
                r"\usepackage{hyperref}",
                r"\usepackage{cleveref}",
                r"\newcommand{\norm}[1]{\lVert #1 \rVert}",
                r"\newcommand{\diag}{\operatorname{diag}}",
                r"\newcommand{\R}{\mathbb{R}}",
            ]
        ),
        r"Our own $\norm{x}$, $\diag(x)$ and $\R$.",
    ),
}
ENGINES = {"pdflatex": "-pdf", "lualatex": "-lualatex"}


def _host(directory: Path, outputs: dict[str, bytes], preamble: str, before: str, fragments: tuple[tuple[str, dict[str, bytes]], ...] = ()) -> None:
    write(directory / "output", outputs)
    packages = re.findall(r"^%\s+(\\usepackage\{[^}]*\})$", outputs["gradproof-fragment.tex"].decode(), re.MULTILINE)
    documentclass, *own = preamble.splitlines()  # the fragment's packages first: cleveref must come after amsmath
    lines = [documentclass, *packages, *own, r"\newcommand{\gradprooffigures}{output/figures}", r"\begin{document}", before]
    lines.append(r"\input{output/gradproof-fragment}")
    for name, files in fragments:
        write(directory / name, files)
        lines.append(rf"\input{{{name}/gradproof-fragment}}")
    (directory / "notes.tex").write_text("\n".join([*lines, r"\end{document}", ""]))


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("host", sorted(HOSTS))
def test_the_fragment_compiles_in_every_host(tmp_path: Path, outputs: dict[str, bytes], host: str, engine: str) -> None:
    """Every statement's number in its heading and in the text is the number of its equation in that host (\\ref and \\eqref of one label)."""
    preamble, before = HOSTS[host]
    _host(tmp_path, outputs, preamble, before)
    log = _latexmk(tmp_path, "notes.tex", ENGINES[engine])
    _clean(log)
    aux = (tmp_path / "notes.aux").read_text()
    numbers = dict(re.findall(r"\\newlabel\{gp:([a-z-]+)\}\{\{([^}]*)\}", aux))
    assert numbers["bptt-sum"] == ("1.1" if host in ("report", "book") else "1")
    assert numbers["bound"] == ("1.9" if host in ("report", "book") else "9")
    assert "gradproof-fragment.tex" in log and "v0.1.0 gradproof" in log  # \ProvidesFile's line in the log


def test_two_reports_share_a_document_under_two_label_prefixes(tmp_path: Path, outputs: dict[str, bytes]) -> None:
    from derive.app import generate

    small = generate(derive.Config(dim=1, lag=1, activations=("tanh",), sections=("conventions", "chain")), "tex", label_prefix="second:")
    assert b"gp:" not in small["gradproof-fragment.tex"]
    _host(tmp_path, outputs, r"\documentclass{article}", "", (("second", small),))
    _clean(_latexmk(tmp_path, "notes.tex"))  # no label multiply defined
    aux = (tmp_path / "notes.aux").read_text()
    assert r"\newlabel{gp:bound}" in aux and r"\newlabel{second:bptt-sum}" in aux


ROOT = Path(__file__).resolve().parent.parent
LATEX_FILES = sorted([*(ROOT / "output").glob("*.tex"), *(ROOT / "tests" / "golden").glob("*/*.tex")])


@pytest.mark.skipif(not HAVE_CHKTEX, reason="chktex not installed")
@pytest.mark.parametrize("path", LATEX_FILES, ids=lambda path: str(path.relative_to(ROOT)))
def test_chktex_finds_nothing(path: Path) -> None:
    """chktex with the checked-in chktexrc (each warning it turns off is there with its reason) reports nothing."""
    result = subprocess.run(["chktex", "-q", "-l", str(ROOT / "chktexrc"), str(path)], capture_output=True, text=True, timeout=120)
    warnings = [line for line in (result.stdout + result.stderr).splitlines() if "Warning" in line or "Error" in line]
    assert not warnings, "\n".join(warnings[:10])


@pytest.mark.parametrize("checks", ["appendix", "none"])
def test_the_standalone_compiles_with_the_check_notes_elsewhere(tmp_path: Path, document: object, checks: str) -> None:
    from derive.formats import outputs

    write(tmp_path, outputs(document, "tex", checks=checks))  # type: ignore[arg-type]
    log = _latexmk(tmp_path, "gradproof.tex")
    _clean(log)


def test_the_beamer_deck_compiles(tmp_path: Path, outputs: dict[str, bytes]) -> None:
    """One frame per statement, the figure, the counterexamples; references are plain numbers (a deck has no labels)."""
    write(tmp_path, outputs)
    deck = outputs["gradproof-slides.tex"].decode()
    statements = len(LABELS)  # the default report prints every statement
    assert deck.count(r"\begin{frame}{Statement ") == statements and r"\eqref" not in deck and r"\ref{" not in deck
    assert deck.count(r"{\scriptsize\emph{Checked} ") == statements  # each statement's one-line check note, at the foot of its frame
    _clean(_latexmk(tmp_path, "gradproof-slides.tex"))


def test_a_lecturers_own_frame_inputs_a_snippet(tmp_path: Path, outputs: dict[str, bytes]) -> None:
    write(tmp_path / "output", outputs)
    snippets = sorted(name for name in outputs if name.startswith("snippets/"))
    assert snippets == sorted(f"snippets/{label}.tex" for label in LABELS)
    assert r"\tag{9}" in outputs["snippets/bound.tex"].decode()  # numbered as in the report
    frames = "\n".join(rf"\begin{{frame}}{{From the report}}\input{{output/{name}}}\end{{frame}}" for name in snippets)
    talk = [r"\documentclass{beamer}", r"\usepackage{amsmath}", r"\usepackage{amssymb}", r"\begin{document}", frames, r"\end{document}", ""]
    (tmp_path / "talk.tex").write_text("\n".join(talk))
    _clean(_latexmk(tmp_path, "talk.tex"))
