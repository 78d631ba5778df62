"""LaTeX: a standalone article, and a preamble-free fragment to \\input into course notes."""

from . import Format

FORMATS = (
    Format("article", "tex", "latex/article.tex", "gradproof.tex", "pdf"),
    Format("fragment", "tex", "latex/fragment.tex", "gradproof-fragment.tex", "pdf"),
)
