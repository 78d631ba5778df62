"""Rigorous enclosures of ||ds_T/ds_k||_2 in ball arithmetic (python-flint's arb).

The inputs are float64 arrays taken as exact binary numbers. The forward
recurrence s_j = phi(W s_{j-1} + U x_j + b) runs in balls, so every a_j is
enclosed; the slopes phi'(a_j) come from the activation's SymPy formula
evaluated in balls; the products ds_T/ds_k = J_T ... J_{k+1},
J_j = diag(phi'(a_j)) W, are ball matrices containing the exact products. The
2-norm of a ball matrix P is enclosed from both sides: below by the Rayleigh
quotient ||P x|| / ||x|| at the float top singular vector x of the midpoint (in
balls), above by a candidate c for which a ball Cholesky of c I - P^T P
succeeds (every pivot provably positive, so c I - P^T P is positive definite
and ||P||_2 <= sqrt(c)). Ball exponents do not underflow: deeply saturated
units and chains far below the double range keep tight enclosures, which
``enclose_chain_log_norms`` returns as logarithms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import sympy as sp
from flint import arb, arb_mat, ctx
from numpy.typing import NDArray

from derive.activations import derive_gamma
from derive.errors import InputError

Array = NDArray[np.float64]
Ball = arb
BallMatrix = arb_mat

#: Working precision in bits: 128 bits (about 38 digits) leave some 28 digits of room
#: for the rounding that 50 steps of 8 x 8 products accumulate, far below the 1e-9
#: relative width asked of an enclosure; cases that lose more are redone at more bits.
BITS = 128
MAX_BITS = 1024
#: A norm enclosure narrower than this (hi/lo - 1) stops the precision doubling.
TARGET = 1e-12
#: The first candidate c for the upper bound is (s (1 + MARGIN))^2, s the float estimate of ||P||_2;
#: the float top singular value of the midpoint is within a few ulps of the true one.
MARGIN = 2.0**-44
MARGIN_STEPS = 8  # each failed Cholesky multiplies the margin by 16; then the Frobenius bound is used

#: SymPy function names and their ball versions, for evaluating an activation's formula in balls.
BALL_FUNCTIONS: dict[str, Callable[..., arb]] = {
    "exp": arb.exp,
    "log": arb.log,
    "sqrt": arb.sqrt,
    "tanh": arb.tanh,
    "sinh": arb.sinh,
    "cosh": arb.cosh,
    "sech": arb.sech,
    "atan": arb.atan,
    "Abs": abs,
    "mpf": arb,
}

#: Slopes rewritten in a form that keeps relative accuracy under saturation (1 - tanh^2 cancels for
#: |a| > 20); each is confirmed against the lambdified SymPy derivative before use (``ball_activation``).
STABLE_SLOPES: dict[str, Callable[[arb], arb]] = {"tanh": lambda a: _square(a.sech())}


def _square(x: arb) -> arb:
    """x^2 as a product (arb's power of a ball that contains 0 is NaN)."""
    return x * x


@contextmanager
def precision(bits: int) -> Iterator[None]:
    """Run the block with ball arithmetic at ``bits`` bits, restoring the previous precision after."""
    with ctx.workprec(bits):
        yield


@dataclass(frozen=True)
class BallActivation:
    """phi and phi' of a registered activation as functions of one ball."""

    name: str
    phi: Callable[[arb], arb]
    slope: Callable[[arb], arb]


def lambdify_ball(expr: sp.Expr, variable: sp.Symbol) -> Callable[[arb], arb]:
    """``expr`` as a function of one ball; only functions with a ball version are allowed (no silent float step)."""
    unknown = sorted({type(f).__name__ for f in expr.atoms(sp.Function)} - set(BALL_FUNCTIONS))
    if unknown:
        raise ValueError(f"no ball arithmetic for {', '.join(unknown)} in {expr}")
    function: Callable[[arb], arb] = sp.lambdify(variable, expr, modules=[BALL_FUNCTIONS, "mpmath"])
    return function


@cache
def ball_activation(name: str) -> BallActivation:
    """phi from the registry's formula and phi' from its SymPy derivative, both in balls; a stable form replaces phi' where one is registered."""
    derivation = derive_gamma(name)
    z = derivation.variable
    phi = lambdify_ball(derivation.phi, z)
    derived = lambdify_ball(derivation.first, z)
    slope = STABLE_SLOPES.get(name, derived)
    with precision(BITS):
        for point in ("-3.5", "-0.75", "0", "0.5", "2.25", "7"):
            if not slope(arb(point)).overlaps(derived(arb(point))):
                raise ValueError(f"the stable slope of {name} disagrees with the derivative of its formula at {point}")
    return BallActivation(name, phi, slope)


# -- input ------------------------------------------------------------------------------------------


def _real_array(value: object, argument: str, ndim: int) -> Array:
    array = np.asarray(value)
    if np.iscomplexobj(array):
        raise InputError(argument, "complex values are not allowed")
    if array.dtype == object or not np.issubdtype(array.dtype, np.number) and array.dtype != np.bool_:
        raise InputError(argument, f"expected real numbers, got dtype {array.dtype}")
    array = array.astype(np.float64)
    if array.ndim != ndim:
        raise InputError(argument, f"expected {ndim} dimensions, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise InputError(argument, "NaN or infinite entries")
    return array


def validate(W: object, U: object, b: object, xs: object, s0: object = None) -> tuple[Array, Array, Array, Array, Array]:
    """(W, U, b, xs, s0) as float64 arrays of shapes d x d, d x m, d, T x m, d; InputError names the bad one."""
    W_, xs_ = _real_array(W, "W", 2), _real_array(xs, "xs", 2)
    d, (T, m) = W_.shape[0], xs_.shape
    if W_.shape != (d, d) or d < 1:
        raise InputError("W", f"expected a square d x d matrix with d >= 1, got shape {W_.shape}")
    if T < 1:
        raise InputError("xs", f"expected T x m with T >= 1, got shape {xs_.shape}")
    U_, b_ = _real_array(U, "U", 2), _real_array(b, "b", 1)
    if U_.shape != (d, m):
        raise InputError("U", f"expected shape {(d, m)}, got {U_.shape}")
    if b_.shape != (d,):
        raise InputError("b", f"expected shape {(d,)}, got {b_.shape}")
    s0_ = np.zeros(d) if s0 is None else _real_array(s0, "s0", 1)
    if s0_.shape != (d,):
        raise InputError("s0", f"expected shape {(d,)}, got {s0_.shape}")
    return W_, U_, b_, xs_, s0_


def ball_matrix(array: Array) -> arb_mat:
    """A float matrix (or vector, as a column) as an exact ball matrix."""
    values = np.asarray(array, dtype=np.float64)
    rows = values.reshape(-1, 1) if values.ndim == 1 else values
    return arb_mat([[arb(float(v)) for v in row] for row in rows])


def diagonal(entries: list[arb]) -> arb_mat:
    """diag(v) as a ball matrix."""
    n = len(entries)
    D = arb_mat(n, n)
    for i, v in enumerate(entries):
        D[i, i] = v
    return D


# -- the chain in balls ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BallChain:
    """The run of an RNN in balls: pre-activations a_1..a_T, one-step Jacobians J_1..J_T, products ds_T/ds_k."""

    pre: tuple[tuple[arb, ...], ...]  # pre[j-1] encloses a_j
    steps: tuple[arb_mat, ...]  # steps[j-1] encloses J_j = diag(phi'(a_j)) W
    products: tuple[arb_mat, ...]  # products[k] encloses ds_T/ds_k = J_T ... J_{k+1}
    norms: dict[tuple[int, int, int], arb] = field(default_factory=dict, compare=False)  # (t, k, precision) -> ||ds_t/ds_k||_2

    def norm(self, t: int, k: int) -> arb:
        """An enclosure of ||ds_t/ds_k||_2 (``norm_ball`` of ``jacobian``), computed once per precision: the checks of
        statements 9 and 11 read the same norms of the same chain."""
        key = (t, k, ctx.prec)
        if key not in self.norms:
            self.norms[key] = norm_ball(self.jacobian(t, k))
        return self.norms[key]

    def jacobian(self, t: int, k: int) -> arb_mat:
        """ds_t/ds_k for 0 <= k <= t <= T: J_t ... J_{k+1} (the identity when k = t)."""
        T, d = len(self.steps), self.steps[0].nrows()
        if not 0 <= k <= t <= T:
            raise ValueError(f"ds_t/ds_k needs 0 <= k <= t <= {T}, got t = {t}, k = {k}")
        if t == T and k < T:
            return self.products[k]
        product = arb_mat(d, d)
        for i in range(d):
            product[i, i] = arb(1)
        for j in range(k + 1, t + 1):
            product = self.steps[j - 1] * product
        return product


def ball_chain(W: object, U: object, b: object, xs: object, s0: object = None, activation: str = "tanh") -> BallChain:
    """The RNN run and its Jacobian products in balls at the current precision (see ``precision``)."""
    W_, U_, b_, xs_, s0_ = validate(W, U, b, xs, s0)
    act = ball_activation(activation)
    Wb, Ub, bb = ball_matrix(W_), ball_matrix(U_), ball_matrix(b_)
    s = ball_matrix(s0_)
    pre: list[tuple[arb, ...]] = []
    steps: list[arb_mat] = []
    for x in xs_:
        a = Wb * s + Ub * ball_matrix(x) + bb
        entries = tuple(a.entries())
        pre.append(entries)
        steps.append(diagonal([act.slope(v) for v in entries]) * Wb)
        s = arb_mat([[act.phi(v)] for v in entries])
    products: list[arb_mat] = []
    product = steps[-1]
    products.append(product)
    for J in reversed(steps[:-1]):
        product = product * J  # later steps on the left: ds_T/ds_k = (ds_T/ds_{k+1}) J_{k+1}
        products.append(product)
    return BallChain(tuple(pre), tuple(steps), tuple(reversed(products)))


# -- the 2-norm of a ball matrix ----------------------------------------------------------------------


def _exponent(x: arb) -> int | None:
    """e with |x| < 2^e for every point of x (None for an exact zero)."""
    upper = x.abs_upper()
    if upper.is_zero():
        return None
    mantissa, exponent = upper.man_exp()
    return int(exponent) + int(mantissa).bit_length()


def _cholesky_succeeds(A: list[list[arb]]) -> bool:
    """True when the ball Cholesky of the symmetric A finishes with every pivot provably positive (A is positive definite)."""
    n = len(A)
    L = [[arb(0)] * n for _ in range(n)]
    for j in range(n):
        pivot = A[j][j] - sum((_square(L[j][m]) for m in range(j)), arb(0))
        if not pivot > 0:
            return False
        L[j][j] = pivot.sqrt()
        for i in range(j + 1, n):
            L[i][j] = (A[i][j] - sum((L[i][m] * L[j][m] for m in range(j)), arb(0))) / L[j][j]
    return True


def _frobenius_upper(entries: list[arb]) -> arb:
    return sum((_square(v) for v in entries), arb(0)).nonnegative_part().sqrt().upper()


def norm_enclosure(P: arb_mat) -> tuple[arb, arb]:
    """Exact balls (lo, hi) with lo <= ||X||_2 <= hi for every matrix X inside the ball matrix P.

    P is first scaled by an exact power of two 2^-e so that its entries are below 1 in size; the
    float top singular pair of the midpoint then gives the Rayleigh lower bound and the candidate c.
    """
    entries = P.entries()
    exponents = [e for e in (_exponent(v) for v in entries) if e is not None]
    if not exponents:
        return arb(0), arb(0)
    e = max(exponents)
    scale = arb(2) ** e
    N = P * (arb(2) ** -e)
    rows, cols = N.nrows(), N.ncols()
    scaled = N.entries()
    M = np.array([float(v.mid()) for v in scaled]).reshape(rows, cols)
    if not np.any(M):
        return arb(0), _frobenius_upper(scaled) * scale
    _, singular, vt = np.linalg.svd(M)
    x = ball_matrix(vt[0])
    y = (N * x).entries()
    rayleigh = sum((_square(v) for v in y), arb(0)) / sum((_square(v) for v in x.entries()), arb(0))
    lo = rayleigh.nonnegative_part().sqrt().lower().nonnegative_part()
    G = N.transpose() * N
    gram = [[G[i, j] for j in range(cols)] for i in range(cols)]
    margin = MARGIN
    for _ in range(MARGIN_STEPS):
        c = arb(float((singular[0] * (1.0 + margin)) ** 2))
        shifted = [[(c if i == j else arb(0)) - gram[i][j] for j in range(cols)] for i in range(cols)]
        if _cholesky_succeeds(shifted):
            return lo * scale, c.sqrt().upper() * scale
        margin *= 16.0
    return lo * scale, _frobenius_upper(scaled) * scale


def norm_ball(P: arb_mat) -> arb:
    """One ball containing ||X||_2 for every X in P: the union of the enclosure's endpoints."""
    lo, hi = norm_enclosure(P)
    return lo.union(hi)


# -- outward rounding to floats ----------------------------------------------------------------------


def float_down(x: arb) -> float:
    """The largest float <= every point of x (x's lower endpoint rounded toward -inf)."""
    lower = x.lower()
    f = float(lower)
    if arb(f) > lower if np.isfinite(f) else f > 0:
        f = float(np.nextafter(f, -np.inf))
    return f


def float_up(x: arb) -> float:
    """The smallest float >= every point of x (x's upper endpoint rounded toward +inf)."""
    upper = x.upper()
    f = float(upper)
    if arb(f) < upper if np.isfinite(f) else f < 0:
        f = float(np.nextafter(f, np.inf))
    return f


# -- the public enclosures ---------------------------------------------------------------------------


def _tight(lo: arb, hi: arb) -> bool:
    return bool(hi.is_zero() or (lo > 0 and hi <= lo * arb(1.0 + TARGET)))


def tight_chain(
    W: object, U: object, b: object, xs: object, s0: object = None, activation: str = "tanh", bits: int = BITS
) -> tuple[BallChain, list[tuple[arb, arb]], int]:
    """The ball chain, the norm enclosures (lo_k, hi_k) of ||ds_T/ds_k||_2 for k = 0..T-1, and the precision they took.

    Ball arithmetic overestimates each product by up to the norm of |J| (entrywise absolute values), a factor
    that can compound to sqrt(d) per step; so the precision doubles from ``bits`` until every enclosure is
    TARGET-tight (or MAX_BITS is reached). Every precision's enclosure is rigorous; only the width changes.
    """
    while True:
        with precision(bits):
            chain = ball_chain(W, U, b, xs, s0, activation)
            bounds = [norm_enclosure(P) for P in chain.products]
            T = len(chain.products)
            chain.norms.update({(T, k, ctx.prec): lo.union(hi) for k, (lo, hi) in enumerate(bounds)})  # norm_ball's, kept
        if bits >= MAX_BITS or all(_tight(lo, hi) for lo, hi in bounds):
            return chain, bounds, bits
        bits *= 2


def enclose_chain_norms(W: object, U: object, b: object, xs: object, s0: object = None, activation: str = "tanh") -> tuple[Array, Array]:
    """(lo, hi) with lo[k] <= ||ds_T/ds_k||_2 <= hi[k] for k = 0..T-1, rigorously.

    Entry T-1 is the one-step Jacobian, entry 0 the whole chain (as ``verify.chain_norms``). The
    exact ball endpoints are rounded outward to floats (lo toward -inf, hi toward +inf). A norm below
    the double range gives lo = 0.0 and hi a tiny float (still valid, no longer tight): use
    ``enclose_chain_log_norms`` there. An exactly zero product gives (0, 0).
    """
    _, bounds, _ = tight_chain(W, U, b, xs, s0, activation)
    return np.array([float_down(lo) for lo, _ in bounds]), np.array([float_up(hi) for _, hi in bounds])


def enclose_chain_log_norms(W: object, U: object, b: object, xs: object, s0: object = None, activation: str = "tanh") -> tuple[Array, Array]:
    """(lo, hi) with lo[k] <= log ||ds_T/ds_k||_2 <= hi[k] (natural logs), rounded outward; tight at any magnitude.

    log 0 is -inf: a product that is exactly zero gives (-inf, -inf), a lower bound of zero gives lo = -inf.
    """
    _, bounds, _ = tight_chain(W, U, b, xs, s0, activation)
    lows, highs = [], []
    with precision(BITS):
        for lo, hi in bounds:
            lows.append(float_down(lo.log()) if lo > 0 else -np.inf)
            highs.append(float_up(hi.log()) if hi > 0 else -np.inf)
    return np.array(lows), np.array(highs)
