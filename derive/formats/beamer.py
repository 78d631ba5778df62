"""Slides: a beamer deck (one frame per statement, the figure, the counterexamples) and one snippet per statement."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import Format

if TYPE_CHECKING:
    import jinja2

    from ..document import Document


@dataclass(frozen=True)
class SnippetsFormat(Format):
    """snippets/<label>.tex for every statement: its equation, numbered as in the report, and its title."""

    def files(self, document: Document, env: jinja2.Environment) -> dict[str, str]:
        template, numbers = env.get_template(self.template), document.numbers()
        return {f"snippets/{b.label}.tex": re.sub(r"\n{3,}", "\n\n", template.render(b=b, numbers=numbers)) for b in document.statements}


FORMATS = (
    Format("beamer", "beamer", "latex/beamer.tex", "gradproof-slides.tex", "pdf"),
    SnippetsFormat("snippets", "beamer", "latex/snippet.tex", "snippets/", "pdf"),
)
