"""The README's Python example runs as printed: the statement passes its check, the mutated one is rejected."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import derive

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_example_runs() -> None:
    (code,) = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    last = code.rstrip().splitlines()
    body = "\n".join(line for line in last if not line.startswith("#"))
    *setup, final = [line for line in body.splitlines() if line.strip()]
    namespace: dict[str, object] = {}
    exec("\n".join(setup), namespace)  # noqa: S102 - the README's own example
    with pytest.raises(derive.CheckFailed, match="statement 'per-step'"):
        exec(final, namespace)  # noqa: S102


MARKDOWN_FILES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"), ROOT / "bench" / "results.md"])


def _tokens(path: Path) -> list[object]:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").parse(path.read_text())  # type: ignore[return-value]


@pytest.mark.parametrize("path", MARKDOWN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_markdown_renders_as_written(path: Path) -> None:
    """Every code fence is closed where the text closes it, so no heading or paragraph after it is swallowed into code:
    each line that starts with '# ' to '###### ' outside a fence is a heading once parsed (CommonMark, as GitHub and PyPI
    render it)."""
    lines = path.read_text().splitlines()
    tokens = _tokens(path)
    fences = [t for t in tokens if t.type == "fence"]  # type: ignore[attr-defined]
    for fence in fences:
        start, end = fence.map  # type: ignore[attr-defined]
        assert lines[end - 1].startswith("```"), f"{path.name}: the fence opened at line {start + 1} is never closed"
        assert lines[end - 1].strip() == "```", f"{path.name}: text after the closing fence at line {end}"
    edges = {i for fence in fences for i in (fence.map[0], fence.map[1] - 1)}  # type: ignore[attr-defined]
    for i, line in enumerate(lines):
        if line.startswith("```"):
            assert i in edges, f"{path.name}:{i + 1}: {line!r} opens or closes no fence (an earlier fence was not closed)"
    in_fence = {i for fence in fences for i in range(*fence.map)}  # type: ignore[attr-defined]
    headings = {t.map[0] for t in tokens if t.type == "heading_open"}  # type: ignore[attr-defined]
    for i, line in enumerate(lines):
        if re.match(r"#{1,6} ", line) and i not in in_fence:
            assert i in headings, f"{path.name}:{i + 1}: {line!r} does not render as a heading"


@pytest.mark.parametrize("path", MARKDOWN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_markdown_links_only_to_files_in_the_repository(path: Path) -> None:
    """Relative links name files that exist in the repository (nothing outside it, no '../shared'); web links are https."""
    targets = []
    for token in _tokens(path):
        for child in getattr(token, "children", None) or []:
            if child.type == "link_open":
                targets.append(child.attrs["href"])
    assert targets or path.name != "README.md"
    for target in targets:
        if target.startswith(("https://", "#", "mailto:")):
            continue
        assert not target.startswith("http://"), target
        resolved = (path.parent / target.split("#")[0]).resolve()
        assert resolved.is_relative_to(ROOT), f"{path.name} links outside the repository: {target}"
        assert resolved.exists(), f"{path.name} links to a missing file: {target}"
