"""The numeric evidence the report carries: bound sweeps, the tightness witness, refuted false claims.

``refute(name, activations)`` searches only cases of the given activations and returns a
Refutation whose every number is computed by the engine and recomputed in mpmath (they
must agree), or NoCounterexample when the claim cannot be refuted with those activations.

Everything is seeded or derandomized, so the same inputs give the same evidence
and the report stays byte-reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from itertools import product
from typing import Any

import numpy as np
from hypothesis import find, settings
from hypothesis.errors import NoSuchExample

from derive import GradproofError
from derive.errors import CheckFailed, ConfigError

from .activations import NUMERIC, Array, numeric
from .claims import DIGITS, FALSE_CLAIMS, MARGIN, FalseClaim, log_ratios, matrix_norm, tightness_case, tightness_ratio
from .engine import chain_log_norms_batched
from .strategies import Case, LinearCase

#: The range of c = gamma lambda in the random sweep: W = (c / gamma) G / ||G||_2.
SCALE = (0.5, 1.5)
#: The sizes of the random sweep behind the report: (d, T, number of random W).
SWEEP = ((2, 40, 400), (4, 40, 400), (8, 40, 200), (16, 40, 100))
REFUTE = settings(database=None, derandomize=True, max_examples=5000, deadline=None)


@dataclass(frozen=True)
class BoundEvidence:
    """How many random cases checked statement 9 for one activation, and the largest norm / bound seen."""

    activation: str
    cases: int
    lag_checks: int
    max_ratio: float
    above_one: int  # cases with gamma lambda > 1


@dataclass(frozen=True)
class Tightness:
    """The witness W = lambda Q with every a_j = 0: norm / bound, which must be 1."""

    activation: str
    dim: int
    lam: float
    steps: int
    ratio: float

    #: The report states the ratio is 1 to within this; ``tightness`` refuses to report a witness that misses it.
    tolerance: float = 1e-12


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


@dataclass(frozen=True)
class Evidence:
    """Everything numeric the report shows."""

    bounds: tuple[BoundEvidence, ...]
    tightness: tuple[Tightness, ...]
    refutations: tuple[Outcome, ...]
    seed: int
    scale: tuple[float, float] = SCALE


def bound_evidence(activation: str, seed: int = 0) -> BoundEvidence:
    """Statement 9 on random RNNs in batches: W = (c / gamma) G / ||G||_2, c = gamma lambda in SCALE, inputs up to saturation."""
    gamma = numeric(activation).gamma
    rng = np.random.default_rng(seed)
    cases = checks = above = 0
    worst = -np.inf
    for d, T, count in SWEEP:
        G = rng.standard_normal((count, d, d))
        W = rng.uniform(*SCALE, (count, 1, 1)) / gamma * G / np.linalg.svd(G, compute_uv=False)[:, :1, None]
        drive = rng.choice([0.1, 1.0, 10.0], (count, 1, 1))
        U, xs = drive * rng.standard_normal((count, d, 2)), rng.standard_normal((count, T, 2))
        b, s0 = drive[:, :, 0] * rng.standard_normal((count, d)), rng.uniform(-1, 1, (count, d))
        logs = chain_log_norms_batched(W, U, b, xs, s0, activation)
        lam = np.array([matrix_norm(w) for w in W])
        worst = max(worst, float(np.max(log_ratios(logs, gamma, lam))))
        cases, checks, above = cases + count, checks + count * T, above + int(np.sum(gamma * lam > 1))
    return BoundEvidence(activation, cases, checks, float(np.exp(worst)), above)


def tightness(activation: str, dim: int = 4, lam: float = 1.5, steps: int = 20, seed: int = 0) -> Tightness:
    """The tightness witness of DESIGN.md for one activation."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((dim, dim)))
    W: Array = lam * q
    witness = Tightness(activation, dim, lam, steps, tightness_ratio(tightness_case(activation, W, steps)))
    if not abs(witness.ratio - 1.0) <= witness.tolerance:
        raise GradproofError(f"tightness witness for {activation}: norm / bound = {witness.ratio!r}, not 1 to within {witness.tolerance}")
    return witness


def _activations(activations: tuple[str, ...]) -> tuple[str, ...]:
    """The activations, validated: at least one, each registered."""
    if not activations:
        raise ConfigError("activations", activations, sorted(NUMERIC))
    for name in activations:
        numeric(name)
    return tuple(activations)


def refute_claim(claim: FalseClaim[Any], activations: tuple[str, ...] = tuple(NUMERIC), search: settings = REFUTE) -> Outcome:
    """Search cases of ``activations`` only for one violating ``claim`` by more than MARGIN; shrink it, recompute its numbers, confirm.

    Returns NoCounterexample when none is found: the caller says so, nothing switches activation.
    """
    activations = _activations(activations)
    try:
        case = find(claim.search(activations), lambda c: not claim.holds(c), settings=search)
    except NoSuchExample:
        return NoCounterexample(claim.name, claim.statement, activations, search.max_examples)
    floats, exact = claim.floats(case), claim.exact(case)
    values = tuple(Number(key, value, exact[key], tolerance) for key, (value, tolerance) in floats.items())
    return Refutation(claim.name, claim.statement, claim.reason, case, values, claim.margin(exact), worst_margin(claim.margin, values)).confirmed()


@cache
def refute(name: str, activations: tuple[str, ...] = tuple(NUMERIC)) -> Outcome:
    """Refute the registered false claim ``name`` with cases of ``activations`` (cached: a pure function of its arguments)."""
    try:
        claim = FALSE_CLAIMS[name]
    except KeyError:
        raise ConfigError("claim", name, sorted(FALSE_CLAIMS)) from None
    return refute_claim(claim, activations)


def refute_all(activations: tuple[str, ...] = tuple(NUMERIC)) -> tuple[Outcome, ...]:
    """Every registered false claim, in registry order, refuted with cases of ``activations``."""
    return tuple(refute(name, activations) for name in FALSE_CLAIMS)


@cache
def gather(activations: tuple[str, ...], seed: int = 0) -> Evidence:
    """All the evidence for the report's numerical section (cached: it is a pure function of its arguments)."""
    return Evidence(
        bounds=tuple(bound_evidence(a, seed) for a in activations),
        tightness=tuple(tightness(a, seed=seed) for a in activations),
        refutations=refute_all(activations),
        seed=seed,
    )
