"""Markdown with $...$ and $$...$$ math, for GitHub, Jupyter and course web pages."""

from . import Format

FORMATS = (Format("markdown", "md", "markdown/report.md", "gradproof.md", "svg"),)
