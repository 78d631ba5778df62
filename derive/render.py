"""Views of a derivation: the Jinja environment, its filters, and atomic writes to output/.

Templates compute no math: they place what the derivation holds, printed by
``printing.latex``. Prose is escaped for its target by a filter.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import numpy as np
import sympy as sp

from .errors import ConfigError
from .printing import latex
from .steps import Ref

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .steps import Derivation, Prose

#: format -> (template, output file) pairs; ``all`` is every format.
OUTPUTS: dict[str, tuple[tuple[str, str], ...]] = {
    "tex": (("report.tex", "gradproof.tex"), ("fragment.tex", "gradproof-fragment.tex")),
    "md": (("report.md", "gradproof.md"),),
}
FORMATS = (*OUTPUTS, "all")

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


def tex_prose(items: Prose) -> str:
    """Prose for LaTeX: text escaped, SymPy objects as inline math, references as \\eqref."""
    return "".join(
        tex_escape(item) if isinstance(item, str) else rf"\eqref{{gp:{item.label}}}" if isinstance(item, Ref) else f"${latex(item)}$" for item in items
    )


def md_prose(items: Prose, numbers: Mapping[str, int]) -> str:
    """Prose for Markdown: text escaped, SymPy objects as $...$, references as (N)."""
    return "".join(md_escape(item) if isinstance(item, str) else f"({numbers[item.label]})" if isinstance(item, Ref) else f"${latex(item)}$" for item in items)


def number(value: float, digits: int = 6) -> str:
    """A float for math mode: ``digits`` significant digits; powers of ten printed by SymPy (3.6 \\cdot 10^{-15})."""
    text = f"{float(value):.{digits}g}"
    if text.startswith("1e"):
        return f"10^{{{int(text[2:])}}}"
    return latex(sp.Float(text, digits)) if "e" in text else text


def _entry(value: float) -> sp.Expr:
    return sp.Integer(int(value)) if float(value).is_integer() and abs(value) < 1e15 else sp.Float(f"{float(value):.6g}")


def matrix(array: object) -> str:
    """A NumPy matrix or vector as LaTeX, printed by SymPy (a vector as a transposed row)."""
    values = np.asarray(array, dtype=float)
    if values.ndim == 1:
        return latex(sp.Transpose(sp.ImmutableMatrix([[_entry(v) for v in values]])))
    return latex(sp.ImmutableMatrix([[_entry(v) for v in row] for row in values]))


def environment() -> jinja2.Environment:
    """The one Jinja environment: LaTeX-safe delimiters, StrictUndefined, the report's filters."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("derive", "templates"),
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
    env.filters.update(latex=latex, tex_escape=tex_escape, md_escape=md_escape, tex_prose=tex_prose, md_prose=md_prose, number=number, matrix=matrix)
    return env


@dataclass(frozen=True)
class Figures:
    """The report's figure as PDF (for LaTeX) and SVG (for Markdown), with their file names under figures/."""

    pdf: str
    svg: str
    pdf_bytes: bytes
    svg_bytes: bytes


def render(derivation: Derivation, fmt: str = "all", evidence: object | None = None, figures: Figures | None = None) -> dict[str, str]:
    """The text output files for ``fmt`` (tex, md or all) as {file name: text}; ``evidence`` adds the numerical section."""
    if fmt not in FORMATS:
        raise ConfigError("--format", fmt, FORMATS)
    env = environment()
    numbers = {step.label: step.number for step in derivation.steps}
    packages = env.get_template("packages.tex").render().splitlines()
    context = {"d": derivation, "numbers": numbers, "packages": packages, "evidence": evidence, "figures": figures}
    pairs = [pair for key, group in OUTPUTS.items() if fmt in (key, "all") for pair in group]
    return {name: env.get_template(template).render(context) for template, name in pairs}


def outputs(derivation: Derivation, fmt: str = "all", evidence: object | None = None, figures: Figures | None = None) -> dict[str, bytes]:
    """Every file of output/ for ``fmt``, text and figures, as {relative path: bytes}."""
    files = {name: text.encode("utf-8") for name, text in render(derivation, fmt, evidence, figures).items()}
    if figures is not None:
        if fmt in ("tex", "all"):
            files[f"figures/{figures.pdf}"] = figures.pdf_bytes
        if fmt in ("md", "all"):
            files[f"figures/{figures.svg}"] = figures.svg_bytes
    return files


def stale(out: Path, files: Mapping[str, bytes]) -> list[str]:
    """The names in ``files`` whose copy under ``out`` is missing or differs."""
    return sorted(name for name, text in files.items() if not _same(out / name, text))


def _same(path: Path, content: bytes) -> bool:
    try:
        return path.read_bytes() == content
    except OSError:
        return False


def ensure_writable(out: Path) -> None:
    """Fail early, before minutes of checks and without creating anything, when ``out`` cannot be written."""
    existing = out.absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError("--out", str(out), f"a writable directory ({existing} is not a directory)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError("--out", str(out), f"a writable directory ({existing} is not writable)")


def write(out: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write every file atomically (temporary file beside it, then rename); nothing is half-written.

    All files are staged before the first rename, so a failure while staging leaves ``out`` as it was.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for name, content in files.items():
            final = out / name
            final.parent.mkdir(parents=True, exist_ok=True)
            staged.append((_stage(final.parent, content), final))
    except OSError as error:
        discard(temporary for temporary, _ in staged)
        raise ConfigError("--out", str(out), f"a writable directory ({error.strerror})") from None
    for temporary, final in staged:
        os.replace(temporary, final)
    return [final for _, final in staged]


def _stage(directory: Path, content: bytes) -> Path:
    handle, name = tempfile.mkstemp(dir=directory, prefix=".gradproof-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.chmod(name, 0o644)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


def discard(paths: Iterable[Path]) -> None:
    """Remove staged temporary files (used when a later staging step fails)."""
    for path in paths:
        path.unlink(missing_ok=True)
