"""The Jinja environment and the filters every format uses; templates compute no math.

Prose is escaped for its target by a filter; SymPy objects are printed by
``printing.latex``; references are resolved from the numbers the Document
computes from position.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping
from pathlib import Path

import jinja2
import numpy as np
import sympy as sp

from .document import Emph, Figure, Prose, Ref
from .errors import ConfigError
from .printing import latex
from .version import RELEASE_DATE, __version__

_TEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\^{}",
    "_": r"\_",
    "%": r"\%",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}
_MD_SPECIALS = set("\\`*_[]<>#|$")


def tex_escape(text: str) -> str:
    """Plain text made safe for LaTeX: every special character escaped."""
    return "".join(_TEX_SPECIALS.get(c, c) for c in text)


def md_escape(text: str) -> str:
    """Plain text made safe for Markdown: characters that start markup are backslash-escaped."""
    return "".join("\\" + c if c in _MD_SPECIALS else c for c in text)


def _is_section(label: str) -> bool:
    return label.startswith("sec-")


def _is_figure(label: str) -> bool:
    return label.startswith("fig-")


def _kind(label: str) -> str:
    """What a reference names in words: Section or Figure; "" for a statement, which is referred to by its number."""
    return "Section" if _is_section(label) else "Figure" if _is_figure(label) else ""


def _words(label: str, numbers: Mapping[str, int]) -> str:
    """A reference in plain text: Section 4, Figure 1, or a statement's equation number (6)."""
    return f"{_kind(label)} {numbers[label]}" if _kind(label) else f"({numbers[label]})"


#: The default prefix of every LaTeX label (--label-prefix): \eqref{gp:bound}.
LABEL_PREFIX = "gp:"
_LABEL_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_:-]*")


def check_label_prefix(prefix: object) -> str:
    """``prefix`` if LaTeX can use it in \\label and \\ref as it stands: a letter, then letters, digits, _ : -."""
    if not isinstance(prefix, str) or not _LABEL_PREFIX.fullmatch(prefix):
        raise ConfigError("--label-prefix", prefix, "a letter, then letters, digits, _ : or -, such as gp: or notes-rnn-")
    return prefix


def tex_prose(items: Prose, prefix: str = LABEL_PREFIX, numbers: Mapping[str, int] | None = None) -> str:
    """Prose for LaTeX: text escaped, SymPy objects as inline math, references as \\eqref or \\ref (labels prefixed),
    or, given ``numbers``, as the plain numbers (1) and "Section 4 of the report" (slides and snippets carry no labels
    to refer to, and no sections)."""

    def one(item: object) -> str:
        if isinstance(item, str):
            return tex_escape(item)
        if isinstance(item, Emph):
            return rf"\emph{{{tex_escape(item.text)}}}"
        if isinstance(item, Ref) and numbers is not None:
            # slides and snippets have no sections or figures of their own: those are the report's
            words = _words(item.label, numbers)
            return words.replace(" ", "~") + (" of the report" if _kind(item.label) else "")
        if isinstance(item, Ref):
            kind = _kind(item.label)
            return rf"{kind}~\ref{{{prefix}{item.label}}}" if kind else rf"\eqref{{{prefix}{item.label}}}"
        return f"${latex(item, inline=True)}$"

    return _tied(items, [one(item) for item in items], "~")


def md_prose(items: Prose, numbers: Mapping[str, int]) -> str:
    """Prose for Markdown: text escaped, SymPy objects as $...$, references as (N) or Section N."""

    def one(item: object) -> str:
        if isinstance(item, str):
            return md_escape(item)
        if isinstance(item, Emph):
            return f"*{md_escape(item.text)}*"
        if isinstance(item, Ref):
            return _words(item.label, numbers)
        # Rows as \cr, not \\: GitHub's Markdown reads \\ inside $...$ as an escaped backslash before the math renderer
        # sees it; KaTeX and MathJax (Jupyter, GitHub) both take \cr.
        return "$" + latex(item, inline=True).replace("\\\\", r"\cr ") + "$"

    return _tied(items, [one(item) for item in items], "\u00a0")


def html_escape(text: str) -> str:
    """Plain text made safe for HTML (quotes included, so it may stand in an attribute)."""
    return html.escape(text, quote=True)


def html_prose(items: Prose, numbers: Mapping[str, int]) -> str:
    """Prose for the web page: text escaped, SymPy objects as <span class="math"> (typeset by KaTeX in the browser),
    references as links to (N) and Section N."""

    def one(item: object) -> str:
        if isinstance(item, str):
            return html_escape(item)
        if isinstance(item, Emph):
            return f"<em>{html_escape(item.text)}</em>"
        if isinstance(item, Ref):
            shown = _words(item.label, numbers)
            return f'<a href="#{item.label}">{shown}</a>'
        return f'<span class="math">{html_escape(latex(item, inline=True))}</span>'

    pieces = [one(item) for item in items]
    # A formula and the punctuation after it stay on one line (a phone's narrow lines would start one with ", b = ...").
    for n in range(len(pieces) - 1):
        if pieces[n].startswith('<span class="math">') and (mark := re.match(r"[,.;:)]+", pieces[n + 1])):
            pieces[n] = f'<span class="nowrap">{pieces[n]}{mark.group(0)}</span>'
            pieces[n + 1] = pieces[n + 1][mark.end() :]
    return _tied(items, pieces, "&nbsp;")


def plain_prose(items: Prose, numbers: Mapping[str, int]) -> str:
    """Prose as plain text, math as its LaTeX source: for an image's alt text."""

    def one(item: object) -> str:
        if isinstance(item, str):
            return item
        if isinstance(item, Emph):
            return item.text
        if isinstance(item, Ref):
            return _words(item.label, numbers)
        return latex(item, inline=True)

    return "".join(one(item) for item in items)


#: The media type of each figure file type the formats include.
MEDIA_TYPES = {"svg": "image/svg+xml", "pdf": "application/pdf", "png": "image/png"}


def data_uri(figure: Figure, image: str) -> str:
    """The figure's file of this type as a data: URI, for a page that must stand alone."""
    for kind, _, content in figure.files:
        if kind == image:
            return f"data:{MEDIA_TYPES[image]};base64," + base64.b64encode(content).decode("ascii")
    raise KeyError(image)


def _tied(items: Prose, pieces: list[str], tie: str) -> str:
    """The rendered pieces joined, each reference tied to the word before it ("by~(6)", never "by" at a line's end):
    LaTeX's ~, a no-break space in Markdown (where ~ would print as it is)."""
    for n in range(1, len(pieces)):
        if isinstance(items[n], Ref) and pieces[n - 1].endswith(" "):
            pieces[n - 1] = pieces[n - 1][:-1] + tie
    return "".join(pieces)


def number(value: float) -> sp.Expr:
    """A number as the report prints it: an Integer when whole, else a Float of its shortest text to 6 digits (0.7)."""
    return sp.Integer(int(value)) if float(value).is_integer() and abs(value) < 1e15 else sp.Float(f"{float(value):.6g}")


def matrix(array: object) -> sp.ImmutableMatrix | sp.Transpose | sp.Expr:
    """A NumPy matrix or vector as a SymPy matrix for printing (a vector as a transposed row), 6 significant digits;
    one entry as the number itself (W = 2, not W = [2])."""
    values = np.asarray(array, dtype=float)
    if values.size == 1:
        return number(float(values.reshape(-1)[0]))
    if values.ndim == 1:
        return sp.Transpose(sp.ImmutableMatrix([[number(v) for v in values]]))
    return sp.ImmutableMatrix([[number(v) for v in row] for row in values])


def check_templates(directory: object) -> Path:
    """``directory`` if it is a directory whose files all name templates gradproof has (latex/article.tex, ...).

    A file that overrides nothing is most likely a misspelt name: it is refused, named, rather than silently ignored.
    """
    if not isinstance(directory, str | Path) or not Path(directory).is_dir():
        raise ConfigError("--templates", str(directory), "a directory of templates laid out as derive/templates (latex/article.tex, markdown/report.md, ...)")
    known = set(jinja2.PackageLoader("derive", "templates").list_templates())
    for path in sorted(Path(directory).rglob("*")):
        name = path.relative_to(directory).as_posix()
        if path.is_file() and name not in known:
            raise ConfigError("--templates", str(path), "a file named as one of gradproof's templates: " + ", ".join(sorted(known)))
    return Path(directory)


#: Where the full account of each check goes (--checks): under the statement, in a closing section, or nowhere (a
#: handout). With inline and appendix each statement carries a one-line note (how, on what).
CHECKS = ("inline", "appendix", "none")
DEFAULT_CHECKS = "appendix"


def environment(label_prefix: str = LABEL_PREFIX, templates: Path | None = None, checks: str = DEFAULT_CHECKS) -> jinja2.Environment:
    """The one Jinja environment: LaTeX-safe delimiters, StrictUndefined, the report's filters; ``label_prefix`` for LaTeX
    labels; ``templates``, a course's directory whose files replace gradproof's of the same name."""
    builtin = jinja2.PackageLoader("derive", "templates")
    env = jinja2.Environment(
        loader=builtin if templates is None else jinja2.ChoiceLoader([jinja2.FileSystemLoader(check_templates(templates)), builtin]),
        block_start_string=r"((*",
        block_end_string=r"*))",
        variable_start_string=r"(((",
        variable_end_string=r")))",
        comment_start_string=r"((=",
        comment_end_string=r"=))",
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["label_prefix"] = check_label_prefix(label_prefix)
    if checks not in CHECKS:
        raise ConfigError("--checks", checks, CHECKS)
    env.globals["checks"] = checks
    env.globals["version"], env.globals["release_date"] = __version__, RELEASE_DATE

    @jinja2.pass_environment
    def prefixed_tex_prose(environment: jinja2.Environment, items: Prose) -> str:
        return tex_prose(items, str(environment.globals["label_prefix"]))

    def numbered_tex_prose(items: Prose, numbers: Mapping[str, int]) -> str:
        return tex_prose(items, numbers=numbers)

    env.filters.update(
        latex=latex,
        tex_escape=tex_escape,
        md_escape=md_escape,
        html_escape=html_escape,
        tex_prose=prefixed_tex_prose,
        tex_prose_numbered=numbered_tex_prose,
        md_prose=md_prose,
        html_prose=html_prose,
        plain_prose=plain_prose,
        data_uri=data_uri,
    )
    return env
