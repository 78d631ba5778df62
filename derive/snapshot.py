"""A stable text form of a Document's data, for snapshot tests beside the golden files.

It shows the mathematics as SymPy's own string form (not the report's LaTeX) and
the prose with math in brackets, so a change of mathematics is told apart from
a change of typesetting.
"""

from __future__ import annotations

import hashlib

import sympy as sp

from .document import (
    Block,
    CheckResult,
    Citation,
    Counterexample,
    Display,
    Document,
    Emph,
    Evidence,
    Figure,
    Items,
    Paragraph,
    Prose,
    Ref,
    Section,
    Statement,
    Table,
)


def prose(items: Prose) -> str:
    """Prose as one line: text as is, math as [sstr], references as @label."""
    parts = []
    for item in items:
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, Ref):
            parts.append(f"@{item.label}")
        elif isinstance(item, Emph):
            parts.append(f"_{item.text}_")
        else:
            parts.append(f"[{sp.sstr(item, order='none')}]")
    return "".join(parts)


def _block(block: Block) -> list[str]:
    if isinstance(block, Statement):
        lines = [f"statement {block.label}: {block.title}", f"  math: {sp.sstr(block.math, order='none')}", f"  why: {prose(block.justification)}"]
        for e in block.established:
            if isinstance(e, CheckResult):
                lines.append(f"  checked ({e.comparisons} comparisons) on {prose(e.instance)}: {prose(e.method)}")
            elif isinstance(e, Evidence):
                lines.append(f"  evidence: {prose(e.summary)}")
            elif isinstance(e, Citation):
                lines.append(f"  cited: {e.authors}, {e.title}, {e.where}")
        return lines
    if isinstance(block, Paragraph):
        return [f"paragraph{' ' + block.title if block.title else ''}: {prose(block.text)}"]
    if isinstance(block, Items):
        return ["items:", *(f"  - {prose(item)}" for item in block.items)]
    if isinstance(block, Display):
        return [f"display: {prose(block.caption)}", f"  math: {sp.sstr(block.math, order='none')}"]
    if isinstance(block, Table):
        rows = [block.header, *block.rows]
        return [f"table {block.align}:", *("  | " + " | ".join(prose(c) for c in row) for row in rows)]
    if isinstance(block, Figure):
        files = ", ".join(f"{name} sha256:{hashlib.sha256(content).hexdigest()[:16]}" for _, name, content in block.files)
        return [f"figure {block.label}: {prose(block.caption)}", f"  files: {files}"]
    if isinstance(block, Counterexample):
        return [f"counterexample: {prose(block.claim)}", f"  instance: {prose(block.instance)}", f"  outcome: {prose(block.outcome)}"]
    raise TypeError(f"unknown block {block!r}")


def _section(section: Section, depth: int) -> list[str]:
    pad = "  " * depth
    lines = [f"{pad}section {section.key}: {section.title}"]
    for block in section.blocks:
        lines.extend(pad + "  " + line for line in _block(block))
    for sub in section.subsections:
        lines.extend(_section(sub, depth + 1))
    return lines


def snapshot(document: Document) -> str:
    """The document's data as text, one block per line group."""
    numbers = document.numbers()
    lines = [f"document: {document.title}", f"intro: {prose(document.intro)}"]
    for section in document.sections:
        lines.extend(_section(section, 0))
    lines.append("numbers: " + ", ".join(f"{label}={n}" for label, n in numbers.items()))
    return "\n".join(lines) + "\n"
