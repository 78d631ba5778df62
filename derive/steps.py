"""A derivation is data: frozen steps, each holding its statement, justification and check."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

import sympy as sp

if TYPE_CHECKING:
    from .activations import GammaDerivation
    from .config import Config
    from .notation import Notation


@dataclass(frozen=True)
class Ref:
    """A cross-reference to the step with this label, inside prose."""

    label: str


#: Prose with math in it: strings are text, SymPy objects inline math, Refs cross-references.
Prose = tuple[str | sp.Basic | Ref, ...]


class Status(Enum):
    """How a statement is established in this report."""

    SYMBOLIC = "checked symbolically when the report was built"
    CITED = "cited theorem, checked numerically by the property tests of verify/ (see the numerical evidence)"


@dataclass(frozen=True)
class Check:
    """What proved a statement: the method, the cases it ran on, and how many exact comparisons passed."""

    method: Prose
    cases: tuple[str, ...]
    comparisons: int

    def __post_init__(self) -> None:
        if self.comparisons < 0:
            raise ValueError("a check cannot pass a negative number of comparisons")


@dataclass(frozen=True)
class Citation:
    """A published source for a cited theorem."""

    authors: str
    title: str
    where: str


@dataclass(frozen=True)
class Display:
    """A labelled displayed equation that illustrates a step (e.g. an explicit instance)."""

    caption: Prose
    math: sp.Basic


@dataclass(frozen=True)
class Step:
    """One numbered statement of the argument."""

    number: int
    label: str
    title: str
    statement: sp.Basic
    justification: Prose
    status: Status
    check: Check | None = None
    citations: tuple[Citation, ...] = ()
    displays: tuple[Display, ...] = ()

    def __post_init__(self) -> None:
        if (self.status is Status.SYMBOLIC) != (self.check is not None):
            raise ValueError(f"step {self.label!r}: a symbolic step needs a check, a cited one has none")


@dataclass(frozen=True)
class WorkedNumber:
    """One of the worked numbers of the source material, computed exactly."""

    description: Prose
    expression: sp.Expr
    value: sp.Expr

    @property
    def decimal(self) -> str:
        """The value as a decimal: exact when it terminates, else 6 significant digits."""
        rational = sp.Rational(self.value)
        denominator = int(rational.q)
        while denominator % 2 == 0:
            denominator //= 2
        while denominator % 5 == 0:
            denominator //= 5
        if denominator == 1:
            return _terminating(rational)
        return f"{float(rational):.6g}"


def _terminating(value: sp.Rational) -> str:
    """The exact decimal expansion of a rational whose denominator has only the factors 2 and 5."""
    digits = 0
    while (value * 10**digits).q != 1:
        digits += 1
    scaled = abs(int(value * 10**digits))
    whole, fraction = divmod(scaled, 10**digits)
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}.{fraction:0{digits}d}" if digits else f"{sign}{whole}"


@dataclass(frozen=True)
class Derivation:
    """The whole argument for one configuration, ready to render."""

    config: Config
    notation: Notation
    conventions: tuple[Prose, ...]
    steps: tuple[Step, ...]
    gammas: tuple[GammaDerivation, ...]
    worked: tuple[WorkedNumber, ...]

    def step(self, label: str) -> Step:
        """The step with this label."""
        for step in self.steps:
            if step.label == label:
                return step
        raise KeyError(label)
