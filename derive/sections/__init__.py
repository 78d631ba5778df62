"""The registry of derive's sections: each module's ``build(context)`` returns one Section.

A new part of the argument is one new module here (or in verify/sections/ for a
numeric one) and one entry in ``SECTIONS``; the configuration picks which
sections appear, in which order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar, cast

import sympy as sp

from ..checks import CheckContext, Checker, run_check
from ..document import Ref
from ..errors import CheckFailed
from ..statements import LABELS

#: The statements the chain section prints; the bound section prints the next five; each other its own section's.
CHAIN_LABELS = LABELS[:5]
HOMES = {
    "clipping": "clipping",
    "linear-power": "linear",
    "diagonalised": "linear",
    "gelfand": "linear",
    "ff-layer": "feedforward",
    "ff-chain": "feedforward",
    "ff-bound": "feedforward",
    "truncation": "truncation",
    "lstm": "lstm",
    "gru": "lstm",
}

if TYPE_CHECKING:
    from ..config import Config
    from ..document import CheckResult, Section
    from ..model import General
    from ..parallel import Prepared
    from ..statements import Statements

T = TypeVar("T")


@dataclass(frozen=True)
class BuildContext:
    """What a section's build may use: the check context (config, model, instance) and every registered check."""

    checks: CheckContext
    checkers: Mapping[str, Checker]
    preparations: Prepared | None = None

    @property
    def config(self) -> Config:
        return self.checks.config

    @property
    def model(self) -> General:
        return self.checks.model

    @property
    def statements(self) -> Statements:
        return self.checks.statements

    def say(self, message: str) -> None:
        self.checks.progress(message)

    def ref(self, label: str) -> Ref | sp.Basic:
        """A reference to the statement ``label`` when its section is in this report, else the statement itself, printed inline."""
        home = "chain" if label in CHAIN_LABELS else HOMES.get(label, "bound")
        return Ref(label) if home in self.config.sections else self.statements[label]

    def prepared(self, key: str, prepare: Callable[[Config], T]) -> T:
        """``prepare(config)`` for the section ``key``: the result of the preparation the build started for it (``derive.parallel``), else computed now."""
        if self.preparations is not None and key in self.preparations:
            return cast(T, self.preparations.get(key))
        return prepare(self.config)

    def established(self, key: str, prepare: Callable[[Config], Mapping[str, tuple[str, CheckResult]]], label: str) -> tuple[sp.Basic, CheckResult]:
        """The printed statement ``label`` and its check's result from the section's preparation (``prepare`` returns, by
        label, the srepr of the statement it checked and the result), which must have checked this very statement."""
        checked, result = self.prepared(key, prepare)[label]
        math = self.statements[label]
        if checked != sp.srepr(math):
            raise CheckFailed(label, "the checked statement is not the one printed")
        return math, result

    def establish(self, label: str) -> tuple[sp.Basic, CheckResult]:
        """The printed statement ``label`` and the result of its check; raises CheckFailed naming it."""
        math = self.statements[label]
        self.say(f"checking {label}")
        return math, run_check(self.checkers, label, math, self.checks)


SectionBuilder = Callable[[BuildContext], "Section"]
#: A section's preparation: a pure function of the configuration, run by a forked worker while the build goes on.
Preparer = Callable[["Config"], object]


def registry() -> dict[str, SectionBuilder]:
    """derive's own sections, by key."""
    from . import bound, chain, conventions, feedforward, linear, lstm, slopes, truncation, worked

    return {m.KEY: m.build for m in (conventions, chain, bound, linear, feedforward, truncation, slopes, worked, lstm)}


def preparers() -> dict[str, Preparer]:
    """derive's sections' preparations, by section key: the LSTM's and the feed-forward exact checks and the registry
    table (the other symbolic sections share the build's caches, so they run in the build's own process)."""
    from . import feedforward, lstm, slopes

    return {lstm.KEY: lstm.prepare, feedforward.KEY: feedforward.prepare, slopes.KEY: slopes.prepare}


def checkers() -> dict[str, Checker]:
    """derive's own checks, by statement label."""
    from .. import chain, gamma_check
    from . import bound, feedforward, linear, lstm

    return {**chain.CHECKS, **gamma_check.CHECKS, **bound.CHECKS, **linear.CHECKS, **feedforward.CHECKS, **lstm.CHECKS}


__all__ = ["BuildContext", "Preparer", "SectionBuilder", "checkers", "preparers", "registry"]
