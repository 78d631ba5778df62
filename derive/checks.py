"""Checks: functions from a printed statement and a model instance to a CheckResult.

A check reads the SymPy object it is given (both sides, the summand, the limits,
the order of products) and compares it with an independent computation from
the model instance; it never takes its expected value from the code that built
the statement. A statement that does not hold, or cannot be read as a statement
of its kind, raises ``CheckFailed`` naming the label.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from .config import Config
from .document import CheckResult
from .errors import CheckFailed
from .model import ActivationPair, General, Instance
from .notation import notation
from .statements import Statements


def _silent(message: str) -> None:
    """The default progress callback: say nothing."""


@dataclass(frozen=True)
class CheckContext:
    """What a check may use: the configuration, the model in general and at explicit sizes, and the activations."""

    config: Config
    progress: Callable[[str], None] = field(default=_silent, compare=False)

    @cached_property
    def model(self) -> General:
        return General(notation(self.config.notation))

    @cached_property
    def statements(self) -> Statements:
        return Statements(self.model, self.config.activations)

    @cached_property
    def instance(self) -> Instance:
        return Instance(self.model, self.config.dim, self.config.input_dim)

    @cached_property
    def pairs(self) -> tuple[ActivationPair, ...]:
        """The general activation phi (an undefined function), then each configured activation."""
        return (self.model.generic, *(self.model.concrete(name) for name in self.config.activations))


Checker = Callable[[sp.Basic, CheckContext], CheckResult]


def fail_unless(label: str, ok: bool, reason: str) -> None:
    """Raise CheckFailed naming ``label`` unless ``ok``."""
    if not ok:
        raise CheckFailed(label, reason)


@dataclass
class Tally:
    """Counts the comparisons a check makes as it makes them; a failed one raises CheckFailed naming the label."""

    label: str
    count: int = 0

    def require(self, ok: bool, reason: str) -> None:
        self.count += 1
        fail_unless(self.label, ok, reason)


def run_check(checkers: Mapping[str, Checker], label: str, math: sp.Basic, context: CheckContext) -> CheckResult:
    """Run the check of ``label`` on ``math``; anything that goes wrong reading it is a CheckFailed naming the label."""
    if label not in checkers:
        raise CheckFailed(label, f"no check is registered for this label (known: {', '.join(checkers)})")
    try:
        result = checkers[label](math, context)
    except CheckFailed:
        raise
    except (TypeError, ValueError, AttributeError, IndexError, KeyError, sp.SympifyError) as error:
        raise CheckFailed(label, f"the statement cannot be read as a statement of this kind ({type(error).__name__}: {error})") from error
    if result.label != label:
        raise CheckFailed(label, f"the check returned a result for {result.label!r}")
    return result
