"""The format-neutral document: a Document of Sections of frozen Blocks.

Blocks carry mathematics as SymPy objects and prose as ``Prose`` tuples; they
know nothing of LaTeX or Markdown. Statement numbers and cross-references are
computed from position by ``Document.numbers``: no number is typed into code or
a template. A format (derive/formats/) renders each block kind with one macro.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp


@dataclass(frozen=True)
class Ref:
    """A cross-reference, inside prose, to the statement or section with this label."""

    label: str


@dataclass(frozen=True)
class Emph:
    """Emphasised text inside prose."""

    text: str


#: Prose with math in it: strings are text, SymPy objects inline math, Refs cross-references.
Prose = tuple[str | sp.Basic | Ref | Emph, ...]


@dataclass(frozen=True)
class CheckResult:
    """How a statement was checked: the method, the instance it ran on, and the comparisons made (counted by the check).

    ``summary`` is the one-line note a reader sees under the statement ("how, on what"); ``method`` and ``instance``
    are the full account, which goes under the statement or to the closing section (``--checks``).
    """

    label: str
    method: Prose
    instance: Prose
    comparisons: int
    log: tuple[Prose, ...] = ()
    summary: Prose = ()

    def __post_init__(self) -> None:
        if self.comparisons < 1:
            raise ValueError(f"check of {self.label!r}: a check that compared nothing checked nothing")
        if not self.summary:
            raise ValueError(f"check of {self.label!r}: no one-line summary of how and on what it was checked")


@dataclass(frozen=True)
class Citation:
    """A published source for a cited theorem."""

    authors: str
    title: str
    where: str


@dataclass(frozen=True)
class Evidence:
    """Numerical support for a statement that is not an exact check (a sweep in floating point)."""

    summary: Prose


Establishment = CheckResult | Citation | Evidence


@dataclass(frozen=True)
class Statement:
    """A numbered statement of the argument: its math, why it holds, and how this report establishes it."""

    label: str
    title: str
    math: sp.Basic
    justification: Prose
    established: tuple[Establishment, ...]

    kind = "statement"

    @property
    def checks(self) -> tuple[CheckResult, ...]:
        return tuple(e for e in self.established if isinstance(e, CheckResult))

    @property
    def citations(self) -> tuple[Citation, ...]:
        return tuple(e for e in self.established if isinstance(e, Citation))

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return tuple(e for e in self.established if isinstance(e, Evidence))


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of prose; ``title`` is a run-in heading."""

    text: Prose
    title: str = ""

    kind = "paragraph"


@dataclass(frozen=True)
class Items:
    """A bulleted list of prose items."""

    items: tuple[Prose, ...]

    kind = "items"


@dataclass(frozen=True)
class Display:
    """Displayed (unnumbered) math with a caption that introduces it."""

    math: sp.Basic
    caption: Prose = ()

    kind = "display"


@dataclass(frozen=True)
class Table:
    """A table of prose cells; ``align`` is one letter per column (l, r, c)."""

    header: tuple[Prose, ...]
    rows: tuple[tuple[Prose, ...], ...]
    align: str
    caption: Prose = ()

    kind = "table"

    def __post_init__(self) -> None:
        width = len(self.align)
        if len(self.header) != width or any(len(row) != width for row in self.rows):
            raise ValueError(f"table: every row needs {width} cells")


@dataclass(frozen=True)
class Figure:
    """A figure: one file per image format (e.g. {"pdf": ..., "svg": ...}), its caption and label."""

    label: str
    caption: Prose
    files: tuple[tuple[str, str, bytes], ...]  # (image format, file name under figures/, content)

    kind = "figure"

    def file(self, fmt: str) -> str:
        for image, name, _ in self.files:
            if image == fmt:
                return name
        raise KeyError(fmt)


@dataclass(frozen=True)
class Counterexample:
    """A false claim refuted by a concrete instance: the claim, the instance, and what it gives."""

    claim: Prose
    instance: Prose
    outcome: Prose

    kind = "counterexample"


Block = Statement | Paragraph | Items | Display | Table | Figure | Counterexample


@dataclass(frozen=True)
class Section:
    """A titled part of the document; ``label`` names it for cross-references."""

    key: str
    title: str
    blocks: tuple[Block, ...]
    subsections: tuple[Section, ...] = ()

    @property
    def label(self) -> str:
        return f"sec-{self.key}"

    def walk(self) -> tuple[Block, ...]:
        """Every block of this section and its subsections, in reading order."""
        return (*self.blocks, *(b for sub in self.subsections for b in sub.walk()))

    def sections(self) -> tuple[Section, ...]:
        return (self, *(s for sub in self.subsections for s in sub.sections()))


@dataclass(frozen=True)
class Document:
    """The whole report: a title, an introduction and its sections, in order."""

    title: str
    intro: Prose
    sections: tuple[Section, ...]
    meta: tuple[tuple[str, str], ...] = field(default=())
    short_title: str = ""  # for running heads and tables of contents; the title itself where empty

    def blocks(self) -> tuple[Block, ...]:
        return tuple(b for s in self.sections for b in s.walk())

    @property
    def statements(self) -> tuple[Statement, ...]:
        return tuple(b for b in self.blocks() if isinstance(b, Statement))

    def numbers(self) -> dict[str, int]:
        """Statement label -> its number, 1, 2, ... in reading order; section labels -> their position; figures -> 1, 2, ..."""
        numbers = {s.label: n for n, s in enumerate(self.statements, start=1)}
        if len(numbers) != len(self.statements):
            raise ValueError("two statements share a label")
        sections = [s for top in self.sections for s in top.sections()]
        numbers.update({s.label: n for n, s in enumerate(sections, start=1)})
        numbers.update({b.label: n for n, b in enumerate((b for b in self.blocks() if isinstance(b, Figure)), start=1)})
        missing = sorted(r.label for r in self.references() if r.label not in numbers)
        if missing:
            raise ValueError(f"references to labels the document does not have: {missing}")
        return numbers

    def references(self) -> tuple[Ref, ...]:
        return tuple(item for prose in _prose(self) for item in prose if isinstance(item, Ref))

    def statement(self, label: str) -> Statement:
        for s in self.statements:
            if s.label == label:
                return s
        raise KeyError(label)


def _prose(document: Document) -> list[Prose]:
    """Every prose tuple in the document (for reference resolution)."""
    found: list[Prose] = [document.intro]
    for block in document.blocks():
        if isinstance(block, Statement):
            found.append(block.justification)
            for e in block.established:
                found.extend([e.method, e.instance] if isinstance(e, CheckResult) else [e.summary] if isinstance(e, Evidence) else [])
        elif isinstance(block, Paragraph | Display | Figure):
            found.append(block.text if isinstance(block, Paragraph) else block.caption)
        elif isinstance(block, Items):
            found.extend(block.items)
        elif isinstance(block, Table):
            found.extend([*block.header, *(c for row in block.rows for c in row), block.caption])
        elif isinstance(block, Counterexample):
            found.extend([block.claim, block.instance, block.outcome])
    return found
