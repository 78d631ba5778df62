"""verify's sections of the report (numeric evidence, the tightness witness, refutations) and its checks.

They hand the renderer the same Blocks as derive's sections; the composition
root (derive/app.py) merges both registries.
"""

from __future__ import annotations

from derive.checks import Checker
from derive.sections import Preparer, SectionBuilder


def registry() -> dict[str, SectionBuilder]:
    """verify's sections, by key."""
    from . import clipping, evidence, gates, refutations, tightness

    return {m.KEY: m.build for m in (evidence, tightness, clipping, gates, refutations)}


def preparers() -> dict[str, Preparer]:
    """verify's sections' preparations (the refutation searches; the sweep and the figure), by section key."""
    from . import evidence, gates, refutations

    return {m.KEY: m.prepare for m in (evidence, refutations, gates)}


def checkers() -> dict[str, Checker]:
    """The checks verify provides for printed statements (rigorous, in ball arithmetic)."""
    from .. import feedforward
    from ..numeric_checks import CHECKS

    return {**CHECKS, **feedforward.CHECKS}
