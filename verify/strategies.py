"""Hypothesis strategies: weight matrices of every awkward kind, and whole RNN cases.

Kinds of W: Gaussian entries, scaled orthogonal (the tightness family), non-normal
Jordan-like (where the spectral radius misleads), ill-conditioned, zero; d = 1 is
included. Inputs can be scaled up to drive units deep into saturation.

The refutation strategies are small and shrinkable, each drawing only from the
activations it is given, and each shaped so that its search can find one reason only:
``saturating_cases`` (d = 1, so W is full rank and lambda = rho) can decay only through
small slopes; ``nilpotent_cases`` holds every a_j at the argmax z* of |phi'|, so it can
decay only through W; ``linear_cases`` is the linear chain ds_t/ds_k = W^(t-k).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from derive.activations import derive_gamma

from .activations import NUMERIC, Array, numeric

#: The long lag of the explosion refutations: a counterexample must show the norms decaying over t-k = LAG.
LAG = 50
KINDS = ("gaussian", "orthogonal", "jordan", "ill-conditioned", "zero")
SATURATION = (0.0, 0.3, 1.0, 5.0, 50.0)


def _floats(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)


def _orthogonal(rng: np.random.Generator, d: int) -> Array:
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


@st.composite
def square_matrices(draw: st.DrawFn, d: int | None = None, kinds: tuple[str, ...] = KINDS, max_dim: int = 6) -> Array:
    """A d x d weight matrix of one of ``kinds``."""
    d = draw(st.integers(1, max_dim)) if d is None else d
    kind = draw(st.sampled_from(kinds))
    if kind == "gaussian":
        return draw(hnp.arrays(np.float64, (d, d), elements=_floats(-2.0, 2.0)))
    if kind == "zero":
        return np.zeros((d, d))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(_floats(0.1, 3.0))
    if kind == "orthogonal":
        return scale * _orthogonal(rng, d)
    if kind == "jordan":
        return draw(_floats(-1.5, 1.5)) * np.eye(d) + scale * np.eye(d, k=1)
    decades = draw(st.integers(2, 10))
    singular = scale * np.logspace(0, -decades, d)
    return (_orthogonal(rng, d) * singular) @ _orthogonal(rng, d).T


@dataclass(frozen=True)
class Case:
    """One RNN run: s_j = phi(W s_{j-1} + U x_j + b) over the rows of xs, from s0."""

    activation: str
    W: Array
    U: Array
    b: Array
    xs: Array
    s0: Array

    @property
    def dim(self) -> int:
        return int(self.W.shape[0])

    @property
    def steps(self) -> int:
        return int(self.xs.shape[0])


@st.composite
def cases(
    draw: st.DrawFn,
    activations: tuple[str, ...] = tuple(NUMERIC),
    max_dim: int = 6,
    max_steps: int = 50,
    kinds: tuple[str, ...] = KINDS,
) -> Case:
    """A whole RNN case: activation, W of any kind, inputs possibly saturating, 1 to ``max_steps`` steps."""
    activation = draw(st.sampled_from(activations))
    W = draw(square_matrices(kinds=kinds, max_dim=max_dim))
    d = W.shape[0]
    steps = draw(st.integers(1, max_steps))
    drive = draw(st.sampled_from(SATURATION))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    m = 2
    return Case(
        activation,
        W,
        drive * rng.standard_normal((d, m)),
        drive * rng.standard_normal(d),
        rng.standard_normal((steps, m)),
        rng.uniform(-1.0, 1.0, d),
    )


@st.composite
def small_cases(draw: st.DrawFn, activations: tuple[str, ...] = tuple(NUMERIC)) -> Case:
    """A case whose every number Hypothesis can shrink: for refutations that must print a small counterexample."""
    activation = draw(st.sampled_from(activations))
    d = draw(st.integers(1, 3))
    steps = draw(st.integers(1, 4))
    entries = _floats(-4.0, 4.0)
    return Case(
        activation,
        draw(hnp.arrays(np.float64, (d, d), elements=entries)),
        np.zeros((d, 1)),
        draw(hnp.arrays(np.float64, (d,), elements=_floats(-40.0, 40.0))),
        np.zeros((steps, 1)),
        draw(hnp.arrays(np.float64, (d,), elements=_floats(-1.0, 1.0))),
    )


def _reach(activation: str, multiple: float) -> float:
    """``multiple`` / gamma: a weight range wide enough for gamma lambda up to ``multiple``, whatever gamma is."""
    return multiple / numeric(activation).gamma


def argmax(activation: str) -> float:
    """z*, where |phi'| attains gamma, from the symbolic gamma derivation (never assumed 0)."""
    z = derive_gamma(activation).argmax
    if z is None:
        raise ValueError(f"{activation}: sup |phi'| is not attained, so no pre-activation can be held at the argmax")
    return float(z)


@st.composite
def saturating_cases(draw: st.DrawFn, activations: tuple[str, ...], steps: int = LAG) -> Case:
    """d = 1, W = [[w]] with w of either sign, any b and s_0, no input, ``steps`` steps.

    With d = 1 W is full rank and lambda = rho(W) = |w|, so when gamma |w| > 1 the chain
    prod_j phi'(a_j) w can only decay because the slopes phi'(a_j) sit below gamma: saturation.
    """
    activation = draw(st.sampled_from(activations))
    reach = _reach(activation, 8.0)
    w = draw(_floats(-reach, reach))
    b, s0 = draw(_floats(-8.0, 8.0)), draw(_floats(-1.0, 1.0))
    return Case(activation, np.array([[w]]), np.zeros((1, 1)), np.array([b]), np.zeros((steps, 1)), np.array([s0]))


@st.composite
def nilpotent_cases(draw: st.DrawFn, activations: tuple[str, ...], steps: int = LAG) -> Case:
    """W strictly upper triangular (so W^d = 0), d = 2 or 3, and every a_j held at z*: no saturation.

    s_0 = phi(z*) 1 and b = z* 1 - W s_0 make a_1 = z* 1 and s_1 = s_0, so every step's
    Jacobian is phi'(z*) W = gamma W: the chain is gamma^(t-k) W^(t-k), zero from t-k = d on.
    """
    activation = draw(st.sampled_from(activations))
    d = draw(st.integers(2, 3))
    reach = _reach(activation, 16.0)
    W = np.triu(draw(hnp.arrays(np.float64, (d, d), elements=_floats(-reach, reach))), 1)
    z = argmax(activation)
    s0 = numeric(activation).phi(np.full(d, z))
    return Case(activation, W, np.zeros((d, 1)), z - W @ s0, np.zeros((steps, 1)), s0)


@dataclass(frozen=True)
class LinearCase:
    """The linear chain s_j = W s_{j-1} (identity activation): ds_t/ds_k = W^(t-k), with t-k = ``steps``."""

    W: Array
    steps: int

    @property
    def dim(self) -> int:
        return int(self.W.shape[0])


@st.composite
def linear_cases(draw: st.DrawFn, max_dim: int = 2, powers: tuple[int, int] = (2, 8)) -> LinearCase:
    """A small W (entries in [-4, 4]) and a power k in ``powers``: the matrix-power claims need no activation."""
    d = draw(st.integers(1, max_dim))
    W = draw(hnp.arrays(np.float64, (d, d), elements=_floats(-4.0, 4.0)))
    return LinearCase(W, draw(st.integers(*powers)))
