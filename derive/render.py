"""Views of a derivation: the Jinja environment, its filters, and atomic writes to output/.

Templates compute no math: they place what the derivation holds, printed by
``printing.latex``. Prose is escaped for its target by a filter.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

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
    env.filters.update(latex=latex, tex_escape=tex_escape, md_escape=md_escape, tex_prose=tex_prose, md_prose=md_prose)
    return env


def render(derivation: Derivation, fmt: str = "all") -> dict[str, str]:
    """The output files for ``fmt`` (tex, md or all) as {file name: text}."""
    if fmt not in FORMATS:
        raise ConfigError("--format", fmt, FORMATS)
    env = environment()
    numbers = {step.label: step.number for step in derivation.steps}
    packages = env.get_template("packages.tex").render().splitlines()
    context = {"d": derivation, "numbers": numbers, "packages": packages}
    pairs = [pair for key, group in OUTPUTS.items() if fmt in (key, "all") for pair in group]
    return {name: env.get_template(template).render(context) for template, name in pairs}


def stale(out: Path, files: Mapping[str, str]) -> list[str]:
    """The names in ``files`` whose copy under ``out`` is missing or differs."""
    return sorted(name for name, text in files.items() if not _same(out / name, text))


def _same(path: Path, text: str) -> bool:
    try:
        return path.read_bytes() == text.encode("utf-8")
    except OSError:
        return False


def write(out: Path, files: Mapping[str, str]) -> list[Path]:
    """Write every file atomically (temporary file in ``out``, then rename); nothing is half-written."""
    staged: list[tuple[Path, Path]] = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            staged.append((_stage(out, text), out / name))
    except OSError as error:
        discard(temporary for temporary, _ in staged)
        raise ConfigError("--out", str(out), f"a writable directory ({error.strerror})") from None
    for temporary, final in staged:
        os.replace(temporary, final)
    return [final for _, final in staged]


def _stage(out: Path, text: str) -> Path:
    handle, name = tempfile.mkstemp(dir=out, prefix=".gradproof-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text.encode("utf-8"))
        os.chmod(name, 0o644)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


def discard(paths: Iterable[Path]) -> None:
    """Remove staged temporary files (used when a later staging step fails)."""
    for path in paths:
        path.unlink(missing_ok=True)
