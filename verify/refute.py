"""Refutations of the false claims: Hypothesis finds and shrinks a counterexample, every printed number recomputed.

``refute(name, activations)`` searches only cases of the given activations and returns a
Refutation whose every number is computed by the engine and recomputed in mpmath (they
must agree), or NoCounterexample when the claim cannot be refuted with those activations.

Everything is seeded or derandomized, and Hypothesis's draws of numbers found in local source
files are switched off, so the same inputs give the same evidence whatever else is imported
and however gradproof is installed: the report stays byte-reproducible. The searches write nothing outside the report's
output: no example database, and Hypothesis's own cache in a temporary directory removed
afterwards (by default it would create .hypothesis/ in the current directory).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from itertools import product
from typing import Any

from hypothesis import Phase, configuration, find, settings
from hypothesis.errors import NoSuchExample

from derive.activations import DEFAULT_ACTIVATIONS
from derive.errors import CheckFailed, ConfigError

from .activations import NUMERIC, numeric
from .claims import DIGITS, FALSE_CLAIMS, MARGIN, FalseClaim
from .strategies import Case, LinearCase

#: No example database, derandomized; and no explain phase: it runs after shrinking to say which parts of a failing
#: example could vary, which ``find`` never reports, and it took most of the search time.
REFUTE = settings(
    database=None,
    derandomize=True,
    max_examples=5000,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)


@dataclass(frozen=True)
class Number:
    """A printed number computed twice: ``value`` by the float engine, ``recomputed`` in mpmath at DIGITS digits.

    ``tolerance`` is the float route's stated absolute error bound. A norm is of a product of
    at most 50 factors of size d <= 3; its rounding is at most a few T d eps (below 1e-13) times
    || |J_T| ... |J_{k+1}| ||_2, the product of the entrywise absolute values, and the engine
    certifies the 2-norm to 1e-11 relative, so TOL_NORM = 1e-9 of the larger of the two covers
    both (and an exact zero of the zero pattern, as for a nilpotent W, gets tolerance 0). A
    spectral radius from LAPACK gets TOL_EIGEN ||W||_2 = 1e-4 ||W||_2: a defective eigenvalue
    moves by about eps^(1/d) ||W|| (6e-6 for d = 3). The recomputation reads the same floats
    exactly and works at 50 digits, so its own error (below 1e-40, 1e-20 for a defective
    eigenvalue) is negligible: the two agree to ``tolerance`` or the float route is wrong.
    """

    name: str
    value: float
    recomputed: float
    tolerance: float

    @property
    def agrees(self) -> bool:
        return abs(self.value - self.recomputed) <= self.tolerance


@dataclass(frozen=True)
class Refutation:
    """A false claim, the shrunk counterexample Hypothesis found for it, and its numbers by both routes.

    ``margin`` is how far (relatively) the recomputed numbers violate the claim; it must exceed
    MARGIN = 1e-2, a hundred times the largest relative tolerance (TOL_EIGEN = 1e-4). ``worst``
    is the smallest margin over every corner of the box recomputed +- tolerance (each claim's
    margin is monotone in each number, so the corners bound it on the box); it must be > 0: the
    claim fails for every set of numbers the two routes allow, so rounding cannot fake it.
    """

    name: str
    statement: str
    reason: str
    case: Case | LinearCase
    values: tuple[Number, ...]
    margin: float
    worst: float

    @property
    def activation(self) -> str | None:
        """The counterexample's activation; None for the matrix-power claims, which involve none."""
        return self.case.activation if isinstance(self.case, Case) else None

    @property
    def numbers(self) -> tuple[tuple[str, float], ...]:
        """The printed numbers (name, float-route value), in order."""
        return tuple((n.name, n.value) for n in self.values)

    def confirmed(self) -> Refutation:
        """This refutation, once every number agrees with its recomputation and the margin exceeds MARGIN; else CheckFailed."""
        for n in self.values:
            if not n.agrees:
                reason = f"{n.name} = {n.value!r} by the engine but {n.recomputed!r} at {DIGITS} digits (tolerance {n.tolerance:.3g})"
                raise CheckFailed(f"refutation {self.name}", reason)
        if not self.margin > MARGIN:
            raise CheckFailed(f"refutation {self.name}", f"the recomputed numbers violate the claim by {self.margin:.3g}, not more than {MARGIN}")
        if not self.worst > 0.0:
            raise CheckFailed(f"refutation {self.name}", f"within the tolerances the claim may hold (worst margin {self.worst:.3g})")
        return self


def worst_margin(margin: Callable[[Mapping[str, float]], float], values: tuple[Number, ...]) -> float:
    """The smallest ``margin`` over the corners of the box recomputed +- tolerance (a bound on the box: margins are monotone)."""
    corners = product(*((n.recomputed - n.tolerance, n.recomputed + n.tolerance) for n in values))
    return min(margin({n.name: x for n, x in zip(values, corner, strict=True)}) for corner in corners)


@dataclass(frozen=True)
class NoCounterexample:
    """A claim the search could not refute with the given activations (no other activation was tried)."""

    name: str
    statement: str
    activations: tuple[str, ...]
    examples: int

    @property
    def message(self) -> str:
        return f"no counterexample to {self.statement!r} among {self.examples} cases of {', '.join(self.activations)}"


Outcome = Refutation | NoCounterexample


def _activations(activations: tuple[str, ...]) -> tuple[str, ...]:
    """The activations, validated: at least one, each registered."""
    if not activations:
        raise ConfigError("activations", activations, sorted(NUMERIC))
    for name in activations:
        numeric(name)
    return tuple(activations)


@contextmanager
def _scratch_storage() -> Iterator[None]:
    """Hypothesis's storage (its cache of constants) in a temporary directory for the search, restored afterwards."""
    previous = getattr(configuration, "__hypothesis_home_directory", None)
    with tempfile.TemporaryDirectory(prefix="gradproof-hypothesis-") as scratch:
        configuration.set_hypothesis_home_dir(scratch)
        try:
            yield
        finally:
            configuration.set_hypothesis_home_dir(previous)


@contextmanager
def _without_local_constants() -> Iterator[None]:
    """Hypothesis without the numbers it collects from the source of "local" modules, restored afterwards.

    Hypothesis (6.13x and later) sometimes draws a literal found in any imported module outside site-packages:
    gradproof's own modules when it is installed editable, not when it is installed from a wheel, and only those
    imported so far. The counterexamples would then depend on how gradproof was installed, on what else the
    process had imported, and on every number in its source. The searches use Hypothesis's built-in constants only.
    """
    from hypothesis.internal.conjecture import providers

    original = getattr(providers, "_get_local_constants", None)
    if original is None:  # a Hypothesis from before it read local constants: nothing to switch off
        yield
        return
    from hypothesis.internal.constants_ast import Constants

    empty = Constants()
    providers._get_local_constants = lambda: empty
    providers.CONSTANTS_CACHE.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = original
        providers.CONSTANTS_CACHE.cache.clear()


def refute_claim(claim: FalseClaim[Any], activations: tuple[str, ...] = DEFAULT_ACTIVATIONS, search: settings = REFUTE) -> Outcome:
    """Search cases of ``activations`` only for one violating ``claim`` by more than MARGIN; shrink it, recompute its numbers, confirm.

    Returns NoCounterexample when none is found: the caller says so, nothing switches activation.
    """
    activations = _activations(activations)
    try:
        with _scratch_storage(), _without_local_constants():
            case = find(claim.search(activations), lambda c: not claim.holds(c), settings=search)
    except NoSuchExample:
        return NoCounterexample(claim.name, claim.statement, activations, search.max_examples)
    floats, exact = claim.floats(case), claim.exact(case)
    values = tuple(Number(key, value, exact[key], tolerance) for key, (value, tolerance) in floats.items())
    return Refutation(claim.name, claim.statement, claim.reason, case, values, claim.margin(exact), worst_margin(claim.margin, values)).confirmed()


@cache
def refute(name: str, activations: tuple[str, ...] = DEFAULT_ACTIVATIONS) -> Outcome:
    """Refute the registered false claim ``name`` with cases of ``activations`` (cached: a pure function of its arguments)."""
    try:
        claim = FALSE_CLAIMS[name]
    except KeyError:
        raise ConfigError("claim", name, sorted(FALSE_CLAIMS)) from None
    return refute_claim(claim, activations)


def refute_all(activations: tuple[str, ...] = DEFAULT_ACTIVATIONS) -> tuple[Outcome, ...]:
    """Every registered false claim, in registry order, refuted with cases of ``activations``."""
    return tuple(refute(name, activations) for name in FALSE_CLAIMS)
