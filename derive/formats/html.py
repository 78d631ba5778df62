"""A self-contained web page: KaTeX, its fonts and the figure inside the one file; each check's account on demand.

The page typesets its math in the browser with the KaTeX build in derive/assets/katex/ (copied there by
tools/vendor_katex.py), inlined with its WOFF2 fonts as data: URIs, so it needs no network when it is viewed.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from . import Format

#: One @font-face source list of KaTeX's stylesheet: the WOFF2 file first, then WOFF and TrueType fallbacks.
_FONT_SOURCES = re.compile(r'src:url\(fonts/([A-Za-z0-9_-]+)\.woff2\) format\("woff2"\)(?:,url\(fonts/[^)]*\) format\("[a-z]+"\))*')


@dataclass(frozen=True)
class Katex:
    """KaTeX's browser build as the page inlines it: the script, the stylesheet with its fonts as data: URIs, the version."""

    script: str
    style: str
    version: str


@cache
def katex() -> Katex:
    """The vendored KaTeX, read once; every font of its stylesheet inlined (an error if one is missing or unmatched)."""
    root = resources.files("derive") / "assets" / "katex"
    style = (root / "katex.min.css").read_text(encoding="utf-8")
    faces = style.count("@font-face")

    def inline(match: re.Match[str]) -> str:
        data = base64.b64encode((root / "fonts" / f"{match.group(1)}.woff2").read_bytes()).decode("ascii")
        return f'src:url(data:font/woff2;base64,{data}) format("woff2")'

    style, inlined = _FONT_SOURCES.subn(inline, style)
    if inlined != faces or "url(fonts/" in style:
        raise RuntimeError(f"KaTeX's stylesheet has {faces} fonts, {inlined} of them inlined: derive/assets/katex is not as tools/vendor_katex.py leaves it")
    script = (root / "katex.min.js").read_text(encoding="utf-8")
    if "</script" in script.lower():
        raise RuntimeError("KaTeX's script holds '</script' and cannot be inlined")
    return Katex(script, style, (root / "VERSION").read_text(encoding="utf-8").strip())


@dataclass(frozen=True)
class HtmlFormat(Format):
    """The web page: the report's blocks as HTML, KaTeX inlined."""

    def context(self) -> dict[str, object]:
        return {"katex": katex()}


FORMATS = (HtmlFormat("html", "html", "html/report.html", "gradproof.html", "svg", inlines_figures=True),)
