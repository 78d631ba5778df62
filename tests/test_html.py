"""The web page (--format html): one file that stands alone, every formula typeset by KaTeX in headless Chromium,
readable on a phone, each statement's check on demand.

Chromium is Debian's (``apt-get install chromium``, as .ci/run does); without it these tests skip, except under CI,
where that is an error. The page is opened inside a 390 px wide frame (a phone; headless Chromium's own window is
at least 500 px wide) by a harness page that reports, as JSON in the dumped DOM, what the page's script typeset.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import derive
from derive.app import build_document
from derive.document import Document
from derive.formats import outputs as render
from derive.notation import from_toml

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = next((path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))), None)
if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("CI is set but Chromium is missing (apt-get install chromium)")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (apt-get install chromium)")

# As the machine's own probe starts it: no sandbox (root), no GPU, no background connections; every host name
# unresolvable, so a page that reached for the network would show it.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--allow-file-access-from-files",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)

HARNESS = """<!DOCTYPE html>
<html><body style="margin:0">
FRAMES
<script>
function probe(frame) {
  var w = frame.contentWindow, d = frame.contentDocument, width = d.documentElement.clientWidth;
  w.document.fonts.ready.then(function () {
    var wide = [];
    d.querySelectorAll("main *").forEach(function (el) {
      if (el.closest(".katex-mathml") || el.parentElement.closest(".math.display, .table")) return;  // these scroll in their box
      if (el.getBoundingClientRect().right > width + 0.5) wide.push(el.tagName + ": " + (el.textContent || "").slice(0, 80));
    });
    var report = {
      failed: d.documentElement.getAttribute("data-math-failed"),
      math: d.querySelectorAll(".math").length,
      typeset: d.querySelectorAll(".math > .katex, .math > .katex-display").length,
      fonts: Array.from(d.fonts).filter(function (f) { return f.status === "loaded"; }).length,
      scrollWidth: d.documentElement.scrollWidth,
      width: width,
      wide: wide.slice(0, 20)
    };
    var out = document.createElement("pre");
    out.id = "probe-" + frame.id;
    out.textContent = JSON.stringify(report);
    document.body.appendChild(out);
  });
}
document.querySelectorAll("iframe").forEach(function (frame) {
  frame.addEventListener("load", function () { probe(frame); });
});
</script>
</body></html>
"""
FRAME = '<iframe id="NAME" src="NAME.html" style="width:WIDTHpx;height:844px;border:0"></iframe>'


def chromium(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={cwd / 'profile'}", "--virtual-time-budget=15000", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def probe(pages: dict[str, str], directory: Path, width: int = 390) -> dict[str, dict[str, object]]:
    """Open every page, each in its own frame ``width`` px wide, in one Chromium run: what each page's script typeset
    and how wide it laid out, by name."""
    for name, page in pages.items():
        (directory / f"{name}.html").write_text(page, encoding="utf-8")
    frames = "\n".join(FRAME.replace("NAME", name).replace("WIDTH", str(width)) for name in pages)
    (directory / "harness.html").write_text(HARNESS.replace("FRAMES", frames), encoding="utf-8")
    dom = chromium("--window-size=600,900", "--dump-dom", (directory / "harness.html").as_uri(), cwd=directory)
    reports = {match[1]: json.loads(html.unescape(match[2])) for match in re.finditer(r'<pre id="probe-([\w-]+)">(.*?)</pre>', dom, re.DOTALL)}
    assert set(reports) == set(pages), f"the harness reported on {sorted(reports)}, not {sorted(pages)}: a page did not load"
    return reports


def screenshot(page: str, tmp_path: Path, size: str) -> np.ndarray:
    """The page's first screen at ``size`` (WxH) as grey levels 0-255."""
    from PIL import Image

    (tmp_path / "shot.html").write_text(page, encoding="utf-8")
    chromium(f"--window-size={size}", f"--screenshot={tmp_path / 'shot.png'}", (tmp_path / "shot.html").as_uri(), cwd=tmp_path)
    with Image.open(tmp_path / "shot.png") as image:
        return np.asarray(image.convert("L"))


def inked(grey: np.ndarray) -> float:
    """The share of pixels that are not background white."""
    return float(np.mean(grey < 200))


@pytest.fixture(scope="module")
def page(outputs: dict[str, bytes]) -> str:
    return outputs["gradproof.html"].decode("utf-8")


def test_the_web_page_is_one_file_with_nothing_to_fetch(page: str) -> None:
    markup = re.sub(r"<script>.*?</script>", "<script></script>", page, flags=re.DOTALL)  # KaTeX's code builds its own tags
    assert markup.count("<script>") == 2 and "<script src" not in markup  # KaTeX and the typesetting, both inline
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", markup)
    assert references and all(ref.startswith(("#", "data:")) for ref in references), sorted({r[:40] for r in references})
    assert not re.search(r"url\((?!data:)", page) and "@import" not in page and "<link" not in page
    assert page.count('<img src="data:image/svg+xml;base64,') == 1  # the figure, inlined


def test_html_alone_writes_only_the_page(document: Document) -> None:
    assert set(render(document, "html")) == {"gradproof.html"}  # no figures/ beside it: the figure is inside


class _Statements(HTMLParser):
    """Per statement <div class="statement">: whether a <details class="check"> holds a summary, open or not."""

    def __init__(self) -> None:
        super().__init__()
        self.statements: list[dict[str, object]] = []
        self._in_summary = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "div" and names.get("class") == "statement":
            self.statements.append({"id": names.get("id"), "checks": []})
        elif tag == "details" and names.get("class") == "check" and self.statements:
            self.statements[-1]["checks"].append({"open": "open" in names, "summary": ""})  # type: ignore[attr-defined]
        elif tag == "summary":
            self._in_summary = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "summary":
            self._in_summary = False

    def handle_data(self, data: str) -> None:
        if self._in_summary and self.statements:
            self.statements[-1]["checks"][-1]["summary"] += data  # type: ignore[index]


@pytest.mark.parametrize("checks", ["inline", "appendix", "none"])
def test_each_statement_s_check_is_shown_on_demand(document: Document, checks: str) -> None:
    """Under every statement a <details>: the one-line note as its summary, the full account when opened."""
    from derive.formats import outputs as outputs_for

    parser = _Statements()
    parser.feed(outputs_for(document, "html", checks=checks)["gradproof.html"].decode())
    assert [s["id"] for s in parser.statements] == [s.label for s in document.statements]
    for statement in parser.statements:
        found = statement["checks"]
        assert isinstance(found, list)
        if checks == "none":
            assert found == []
        else:
            assert len(found) == 1 and found[0]["open"] == (checks == "inline") and found[0]["summary"].startswith("Checked ")


PRESETS = {
    "hidden": "hidden",
    "pascanu": "pascanu",
    "d2l": "d2l",
    "example-toml": from_toml(ROOT / "docs" / "notation-example.toml"),
}


@pytest.fixture(scope="module")
def reports(page: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    """Every page the tests open, in one Chromium run: the report, one formula broken on purpose, a paragraph too wide
    for a phone on purpose, and each notation's page (the symbolic sections)."""
    pages = {
        "report": page,
        "broken": page.replace('<span class="math">', '<span class="math">\\frac{', 1),
        "wide": page.replace("<main>", '<main><p style="width: 700px">too wide</p>', 1),
    }
    for name, notation in PRESETS.items():
        config = derive.Config(dim=1, lag=1, activations=("tanh",), notation=notation, sections=("conventions", "chain", "bound", "slopes"))
        pages[name] = render(build_document(config), "html")["gradproof.html"].decode()
    return probe(pages, tmp_path_factory.mktemp("pages"))


@needs_chromium
def test_every_formula_typesets_and_the_page_fits_a_phone(page: str, reports: dict[str, dict[str, object]]) -> None:
    report = reports["report"]
    assert report["failed"] == "0", report
    assert report["math"] == report["typeset"] == page.count('class="math') > 300, report
    assert isinstance(report["fonts"], int) and report["fonts"] >= 3, report  # KaTeX's own fonts, from the page itself
    assert report["scrollWidth"] == report["width"] == 390 and report["wide"] == [], report


@needs_chromium
def test_a_formula_katex_refuses_is_counted(reports: dict[str, dict[str, object]]) -> None:
    """The probe can fail: one formula broken on purpose is reported, and the rest still typeset."""
    report = reports["broken"]
    assert report["failed"] == "1" and report["typeset"] == report["math"] - 1, report  # type: ignore[operator]


@needs_chromium
def test_a_page_wider_than_a_phone_is_caught(reports: dict[str, dict[str, object]]) -> None:
    report = reports["wide"]
    assert report["scrollWidth"] > 390 and report["wide"], report  # type: ignore[operator]


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    directory = tmp_path_factory.mktemp("blank")
    return {size: screenshot("<!DOCTYPE html><html><body></body></html>", directory, size) for size in ("390,844", "1280,900")}


@needs_chromium
@pytest.mark.parametrize("size", ["390,844", "1280,900"])
def test_the_screenshot_is_not_blank(page: str, tmp_path: Path, size: str, blank: dict[str, np.ndarray]) -> None:
    shot = screenshot(page, tmp_path, size)
    assert inked(blank[size]) == 0.0  # the measure sees an empty page as empty
    assert inked(shot) > 0.02, f"only {inked(shot):.4f} of the screen is inked"
    assert len(np.unique(shot)) > 32  # text and typeset math antialiased, not a flat fill


@needs_chromium
@pytest.mark.parametrize("name", list(PRESETS))
def test_every_notation_s_page_typesets(name: str, reports: dict[str, dict[str, object]]) -> None:
    report = reports[name]
    assert report["failed"] == "0" and report["math"] == report["typeset"] and report["math"] > 100, report  # type: ignore[operator]
    assert report["wide"] == [], report
