"""Formats are views of a Document: one page template, one macro per block kind, one output file.

A new format is one module here (it defines ``FORMAT`` or ``FORMATS``) plus its
templates under derive/templates/<family>/; ``outputs`` renders the chosen
families and adds the figure files each of them needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..render import DEFAULT_CHECKS, LABEL_PREFIX, environment

if TYPE_CHECKING:
    import jinja2

    from ..document import Document


@dataclass(frozen=True)
class Format:
    """One output file: rendered from ``template`` (which imports its family's block macros), images of type ``image``."""

    name: str
    family: str  # what --format selects: tex, md, ipynb, beamer or html
    template: str
    output: str
    image: str  # the figure file type this format includes (pdf or svg), as a file under figures/ or inlined
    inlines_figures: bool = False  # the figures go inside the file (data: URIs), not beside it under figures/

    def files(self, document: Document, env: jinja2.Environment) -> dict[str, str]:
        """Every file this format writes, by path relative to the output directory: one, unless a format says more."""
        return {self.output: self.render(document, env)}

    def context(self) -> dict[str, object]:
        """What this format's page template needs beyond the document (the web page: KaTeX's script and style)."""
        return {}

    def render(self, document: Document, env: jinja2.Environment | None = None) -> str:
        """The file's text; runs of blank lines left by the block macros are collapsed to one."""
        env = env or environment()
        text = env.get_template(self.template).render(document=document, numbers=document.numbers(), format=self, **self.context())
        return re.sub(r"\n{3,}", "\n\n", text)


def _registry() -> dict[str, Format]:
    from . import beamer, html, latex, markdown, notebook  # each module is one format family

    return {f.name: f for module in (latex, markdown, notebook, beamer, html) for f in module.FORMATS}


@cache
def registry() -> dict[str, Format]:
    """Every format by name."""
    return _registry()


def families() -> tuple[str, ...]:
    """The values --format accepts: each family, and all."""
    return (*dict.fromkeys(f.family for f in registry().values()), "all")


def outputs(
    document: Document, family: str = "all", label_prefix: str = LABEL_PREFIX, templates: Path | None = None, checks: str = DEFAULT_CHECKS
) -> dict[str, bytes]:
    """Every file of an output set for ``family`` (tex, md or all) as {relative path: bytes}, figures included."""
    if family not in families():
        raise ConfigError("--format", family, families())
    chosen = [f for f in registry().values() if family in (f.family, "all")]
    env = environment(label_prefix, templates, checks)
    files = {name: text.encode("utf-8") for f in chosen for name, text in f.files(document, env).items()}
    images = {f.image for f in chosen if not f.inlines_figures}
    for name, content in _figure_files(document, images):
        files[f"figures/{name}"] = content
    return files


def _figure_files(document: Document, images: set[str]) -> Iterable[tuple[str, bytes]]:
    from ..document import Figure

    for block in document.blocks():
        if isinstance(block, Figure):
            for image, name, content in block.files:
                if image in images:
                    yield name, content
