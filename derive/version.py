"""The package's version (pyproject.toml says the same; a test holds them together) and the date the LaTeX fragment
carries in \\ProvidesFile, fixed here so that output/ regenerates byte for byte."""

__version__ = "0.1.0"
RELEASE_DATE = "2026/12/05"
