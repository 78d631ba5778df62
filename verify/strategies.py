"""Hypothesis strategies: weight matrices of every awkward kind, and whole RNN cases.

Kinds of W: Gaussian entries, scaled orthogonal (the tightness family), non-normal
Jordan-like (where the spectral radius misleads), ill-conditioned, zero; d = 1 is
included. Inputs can be scaled up to drive units deep into saturation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .activations import NUMERIC, Array

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
