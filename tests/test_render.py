"""Filters as plain functions, and the shape of each output."""

from __future__ import annotations

import re

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from derive.document import Document
from derive.printing import latex
from derive.render import environment, md_escape, tex_escape


def test_tex_escape_escapes_every_special() -> None:
    assert tex_escape(r"50% of $x_1 & {y} #2 ~ a^b \ ") == (r"50\% of \$x\_1 \& \{y\} \#2 \textasciitilde{} a\^{}b \textbackslash{} ")


@given(st.text())
def test_tex_escape_leaves_no_bare_special(text: str) -> None:
    escaped = tex_escape(text)
    stripped = re.sub(r"\\text(backslash|asciitilde|less|greater|bar)\{\}|\\\^\{\}|\\[{}$&#_%]", "", escaped)
    assert not set("\\{}$&#^_%~<>|") & set(stripped)


def test_md_escape() -> None:
    assert md_escape("a_b *c* |d|") == r"a\_b \*c\* \|d\|"


def test_environment_is_strict_and_latex_safe() -> None:
    env = environment()
    assert env.from_string(r"\frac{a}{b} ((( x ))) {% raw %}").render(x=1) == r"\frac{a}{b} 1 {% raw %}"
    try:
        env.from_string("((( missing )))").render()
    except Exception as error:  # noqa: BLE001
        assert "missing" in str(error)
    else:
        raise AssertionError("StrictUndefined did not raise")


def test_printer_forms() -> None:
    d = sp.Symbol("d")
    a = sp.MatrixSymbol("a_{j}", d, 1)
    f = sp.Function(r"\sigma'")
    u = sp.Symbol("u")
    assert latex(sp.DiagMatrix(a.applyfunc(sp.Lambda(u, f(u))))) == r"\operatorname{diag}\left(\sigma'(a_{j})\right)"
    assert latex(sp.MatrixSymbol("W", 3, 3)[0, 1]) == "W_{12}"
    assert latex(sp.MatrixSymbol("a_{j}", 3, 1)[2, 0]) == "a_{j,3}"


def test_markdown_has_no_labels_and_balanced_math(files: dict[str, str]) -> None:
    md = files["gradproof.md"]
    assert r"\label" not in md and r"\eqref" not in md
    assert md.count("$$") % 2 == 0
    for line in md.splitlines():
        if line.startswith("$$"):
            continue
        assert line.replace(r"\$", "").count("$") % 2 == 0, line


def test_tex_has_one_numbered_equation_per_statement(files: dict[str, str], document: Document) -> None:
    tex = files["gradproof.tex"]
    labels = re.findall(r"\\begin\{equation\}\\label\{gp:([a-z-]+)\}", tex)
    assert labels == [s.label for s in document.statements]
    for ref in re.findall(r"\\eqref\{gp:([a-z-]+)\}", tex):
        assert ref in labels


def test_fragment_has_no_preamble_and_lists_packages(files: dict[str, str]) -> None:
    fragment = files["gradproof-fragment.tex"]
    assert r"\documentclass" not in fragment and r"\begin{document}" not in fragment
    assert "%   \\usepackage{amsmath}" in fragment


def test_the_printer_puts_constants_where_a_reader_does() -> None:
    """A negative constant last (tanh z - 1), a positive one last after symbols (k + 1); 1 + e^{-z} keeps its textbook
    order, and a sum written as a statement (t - k, W s + U x + b) keeps the order it was written in."""
    import sympy as sp

    from derive.printing import latex

    z, k, t = sp.symbols("z k t")
    assert latex(sp.tanh(z) - 1) == r"\tanh(z) - 1"  # a one-symbol argument in plain parentheses
    assert latex(sp.exp(z) - 1) == r"e^{z} - 1"
    assert latex(k + 1) == "k + 1" and latex(1 - k) == "1 - k"
    assert latex(1 / (1 + sp.exp(-z))) == r"\frac{1}{1 + e^{- z}}"
    assert latex(sp.Add(t, -k, evaluate=False)) == "t - k"
    W, s, U, x, b = (sp.MatrixSymbol(name, 2, 2 if name in "WU" else 1) for name in ("W", "s", "U", "x", "b"))
    assert latex(sp.MatAdd(W * s, U * x, b, evaluate=False)) == "W s + U x + b"


def test_inline_math_is_slashed_and_breakable_display_math_is_not() -> None:
    """Within a sentence a Jacobian is slashed and (, ||, | are plain, so TeX can break the line; a display keeps \\frac and
    \\left ... \\right. An interval's unmatched pair [0, 1) stays sized."""
    import sympy as sp

    from derive.expressions import Jacobian, Norm
    from derive.printing import latex

    s_t, s_k = sp.MatrixSymbol("s_{t}", 3, 1), sp.MatrixSymbol("s_{k}", 3, 1)
    norm = Norm(Jacobian(s_t, s_k), 2)
    assert latex(norm) == r"\left\lVert \frac{\partial s_{t}}{\partial s_{k}} \right\rVert_{2}"
    assert latex(norm, inline=True) == r"\lVert  \partial s_{t} / \partial s_{k} \rVert_{2}"
    z = sp.Symbol("z")
    assert latex(sp.Abs(sp.tanh(z) - 1), inline=True) == r"\lvert {\tanh(z) - 1}\rvert"
    assert latex(sp.Interval.Ropen(0, 1), inline=True) == r"\left[0, 1\right)"


def test_a_reference_is_tied_to_the_word_before_it(files: dict[str, str]) -> None:
    """LaTeX: 'by~\\eqref{...}'; Markdown: a no-break space, never a literal tilde (which Markdown prints as it is)."""
    assert "~\\eqref{gp:gamma}" in files["gradproof.tex"] and " \\eqref" not in files["gradproof.tex"]
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", "", files["gradproof.md"], flags=re.DOTALL)  # outside math
    assert "~" not in text and "by\u00a0(6)" in text


@pytest.mark.parametrize("checks", ["inline", "appendix", "none"])
def test_the_check_notes_go_where_checks_says(document: object, checks: str) -> None:
    from derive.formats import outputs

    files = {name: content.decode() for name, content in outputs(document, "all", checks=checks).items() if not name.startswith("figures/")}  # type: ignore[arg-type]
    tex, md = files["gradproof.tex"], files["gradproof.md"]
    full = tex.count(r"\emph{Checked} on") + tex.count(r"\emph{In full,} on")  # the full accounts
    one_line = len(re.findall(r"\\emph\{Checked\} (?!on )", tex))  # the one-line notes under the statements
    statements_checked = sum(1 for statement in document.statements if statement.checks)  # type: ignore[attr-defined]
    assert statements_checked == len(document.statements)  # type: ignore[attr-defined]  # every statement is checked
    if checks == "inline":
        assert one_line == full == tex.count(r"\emph{In full,} on") == statements_checked and r"\label{gp:sec-checks}" not in tex
        assert "## How each statement was checked" not in md and md.count("*In full,* on") == statements_checked
    elif checks == "appendix":
        assert one_line == full == tex.count(r"\emph{Checked} on") == statements_checked
        assert r"\subsection{How each statement was checked}\label{gp:sec-checks}" in tex
        assert tex.index(r"\label{gp:sec-checks}") > tex.index(r"\label{gp:sec-refutations}")  # at the end
        assert tex.count(r"(\S\ref{gp:sec-checks}).") == statements_checked
        assert "## How each statement was checked" in md and md.count("(details at the end).") == statements_checked
    else:
        assert one_line == full == 0 and "Checked" not in md and "Cited" in md  # citations stay: they are the sources, not a log


def test_each_statement_s_note_is_one_line_of_its_own_check(document: object) -> None:
    """The note under a statement is its check's summary (how, on what), short enough for one line of small type."""
    from derive.formats import outputs

    md = outputs(document, "md")["gradproof.md"].decode()  # type: ignore[arg-type]
    notes = re.findall(r"<small>\*Checked\* (.*?) \(details at the end\)\.</small>", md)
    assert len(notes) == len(document.statements)  # type: ignore[attr-defined]
    for note, statement in zip(notes, document.statements, strict=True):  # type: ignore[attr-defined]
        shown = re.sub(r"\$([^$]*)\$", lambda m: re.sub(r"\\[a-zA-Z]+|[{} ]", "", m.group(1)) or "x", note)  # math at its printed width, roughly
        assert len(shown) <= 110, f"{statement.label}: the note is {len(shown)} characters: {shown}"
        assert note.startswith(("exactly", "in ball arithmetic")), f"{statement.label}: the note does not say how: {note}"


def test_no_inline_markdown_math_holds_a_double_backslash(files: dict[str, str]) -> None:
    """GitHub's Markdown eats one backslash of \\\\ inside $...$; inline matrices separate their rows with \\cr instead."""
    inline = re.findall(r"(?<!\$)\$([^$\n]+)\$(?!\$)", files["gradproof.md"])
    assert inline and not [m for m in inline if "\\\\" in m]
    assert any(r"\cr" in m for m in inline)  # the counterexamples' matrices are still there, row by row


def test_the_slopes_paragraph_says_one_limit_once_and_two_limits_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    import derive.sections.slopes as slopes
    from derive.render import md_prose

    real = slopes.derive_gamma

    def text(limits: tuple[object, object] | None) -> str:
        def fake(name: str, variable: str) -> object:
            g = real(name, variable)
            return g if limits is None else dataclasses.replace(g, limits=limits)

        monkeypatch.setattr(slopes, "derive_gamma", fake)
        return md_prose(slopes._activation("sigmoid", "z", r"\gamma")[-1].text, {})

    assert r"tends to $0$ as $z \to \pm\infty$" in text(None)
    assert r"tends to $0$ as $z \to -\infty$ and to $1$ as $z \to +\infty$" in text((sp.Integer(0), sp.Integer(1)))


def test_numbers_in_the_prose_are_math(files: dict[str, str]) -> None:
    """Outside math, the Markdown report writes no decimal number and no 'd = 3' or '3 x 3' as text."""
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$|\]\([^)]*\)|<[^>]*>", "", files["gradproof.md"], flags=re.DOTALL)  # math, links, tags out
    text = re.sub(r"Sec\. \d+\.\d+|\d+(st|nd|rd|th) ed\.|\b(19|20)\d\d\b", "", text)  # citations keep their own numbers
    assert not re.findall(r"\b\d+\.\d+\b|\b\d+ x \d+\b|\b[a-z] = \d", text)


def test_every_number_in_the_prose_is_math(files: dict[str, str]) -> None:
    """A number in a sentence is set as math ($50$ digits), as the symbols are; what may stay text: statement,
    section and figure numbers, references, the citations' editions and pages, and the word 2-norm."""
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", "", files["gradproof.md"], flags=re.DOTALL)
    text = re.sub(r"^#+ .*$|^<small>\*Cited:\*.*$|^!\[.*$", "", text, flags=re.MULTILINE)
    text = re.sub(r"Statement \d+|Section \d+|Figure \d+|\(\d+\)|\b2-norms?\b|-bit\b", "", text)
    assert not re.findall(r".{0,30}\d.{0,10}", text)


def test_the_slopes_are_displayed_as_a_reader_writes_them(document: object) -> None:
    """Each displayed derivative is the derivative (exactly), written in the exponentials of the slope, no longer than SymPy's plain one."""
    import sympy as sp

    from derive.activations import derive_gamma
    from derive.document import Display

    section = next(s for s in document.sections if s.key == "slopes")  # type: ignore[attr-defined]
    shown = [b.math.args for b in section.blocks if isinstance(b, Display)]  # each: slope, second derivative
    for n, name in enumerate(("sigmoid", "tanh")):
        g = derive_gamma(name, "z")
        first, second = shown[n][0].rhs, shown[n][1].rhs
        assert sp.simplify(first - sp.diff(g.phi, g.variable)) == 0 and sp.simplify(second - sp.diff(g.phi, g.variable, 2)) == 0
        assert second.atoms(sp.exp) <= first.atoms(sp.exp), second  # sigma'' in e^{-z}, as sigma' is
        assert sp.count_ops(second) <= sp.count_ops(sp.diff(g.phi, g.variable, 2))  # no longer than the plain derivative
