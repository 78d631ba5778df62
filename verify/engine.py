"""The fast Jacobian-chain engine: ||ds_T/ds_k|| for every k in one backward pass, with a stated error bound.

ds_T/ds_k = J_T J_{T-1} ... J_{k+1} with J_j = diag(phi'(a_j)) W. The product is
accumulated backward once, P <- (P * phi'(a_j)) W (rows scaled, never a diag matrix
built). Every rescaling is by a power of two (np.frexp / np.ldexp), so it is exact,
and is done only when ||P||_F^2 leaves [2^-LOOSE, 2^LOOSE] (a step multiplies ||P||_F by at
most 2^0.5 d, so nothing overflows in between), and the scale is an integer exponent: the log of the norm is exponent * log 2 + log
of the scaled norm, with no rounding accumulated over the steps. The slopes enter as
e^{L - m log 2} 2^m with L = log|phi'| (finite for saturated units) and m an integer.

The 2-norm is not an SVD per lag: a warm-started power iteration on P^T P gives
theta <= sigma_max^2 from below (warm-started from the last lag's left singular vector
estimate u, whose image P^T u the product carries as one more row, u^T P, through its own
recursion: the first vector tested costs no matrix-vector product; whatever vector is
tested, the certificate below is its own), and the Kato-Temple inequality bounds sigma_max^2 by
theta + r^2 / (theta - alpha), r the residual and alpha = ||P||_F^2 - theta, which
bounds every other eigenvalue. That value is an upper bound on the 2-norm of the
COMPUTED product (up to the rounding of theta, r and alpha, covered by the
evaluation error below); the engine returns it when it is within RELATIVE of theta
and theta - alpha >= GAP theta (so that rounding cannot move the certificate), and
otherwise the largest singular value from LAPACK.

Forward-error bound. Let n = T - k, P = J_T ... J_{k+1} the exact product of the
exact Jacobians at the engine's own pre-activations a_j (the states of the forward
pass as computed: statement 9 holds at any a_j, so those are as good as any), and
M = || |J_T| ... |J_{k+1}| || in the same norm. Assume the standard model of
floating point without underflow (Higham, Accuracy and Stability, 2.2; this includes
the scaled slopes e^{L - m log 2}: a unit whose slope is 2^-1022 below the step's
largest is outside the model), u = 2^-53, gamma_d = d u / (1 - d u), and slopes
computed with relative error at most eps (``slope_error``).
One step computes fl(fl(Q D) W): the row scaling rounds once, the product of length-d
dot products is within gamma_d |Q D| |W| (Higham, Thm 3.5), so
Q_m = Q_{m-1} J + G_m with |G_m| <= theta |Q_{m-1}| |J|, theta = (1+eps)(1+u)(1+gamma_d) - 1.
Unrolling and telescoping, sum_m theta (1+theta)^(m-1) = (1+theta)^n - 1, gives the
componentwise bound |Q_n - P| <= ((1+theta)^n - 1) |J_T| ... |J_{k+1}|. Each norm here
(2, 1, inf, Frobenius) has ||A|| <= || |A| || and is monotone on nonnegative matrices
(for the 2-norm: ||A||_2 = max x^T A y over unit x, y, and |x^T A y| <= |x|^T |A| |y|), so
| ||Q_n|| - ||P|| | <= ||Q_n - P|| <= ((1+theta)^n - 1) M. The norm of Q_n is then
evaluated with relative error eps_eval. Kato-Temple: RELATIVE + 8 d^1.5 u, because the
computed theta is within 3 d^1.5 u of ||Q_n x||^2 relative (|| |Q| ||_2 <= sqrt(d) ||Q||_2 and
theta > alpha gives ||Q x||^2 >= ||Q||^2 / 2), and with theta - alpha >= GAP theta the
rounding of r and alpha moves r^2 / (theta - alpha) by O(d^3 u^2 / GAP) relative, far below
u. Where Kato-Temple cannot apply (theta - alpha < GAP theta: the other singular values are not
small enough for the Frobenius bound alpha to separate them) the power iteration stops once theta
has settled, and a Cholesky test certifies c = sqrt(theta) (1 + m), m = 16 d^2 u or else RELATIVE: if LAPACK's Cholesky of the
computed A = fl(c^2 I - fl(P^T P)) completes, then R^T R = A + dA with |dA| <= gamma_{d+1} |R^T| |R|
(Higham, Thm 10.3), so A + dA is positive semidefinite and ||dA||_2 <= gamma_{d+1} ||R||_F^2
= gamma_{d+1} trace(A + dA) <= gamma_{d+1} d c^2 (1 + 2 gamma_{d+1} d); fl(P^T P) is within gamma_d || |P|^T |P| ||_2
<= gamma_d ||P||_F^2 <= gamma_d d ||P||_2^2 of P^T P (Thm 3.5) and the diagonal subtraction rounds by at
most u (c^2 + ||P||_F^2). Hence ||P||_2^2 <= c^2 + eta with eta <= (2 gamma_{d+1} d + 2 (d + 1) u + gamma_d d) c^2 (1 + 4 d^2 u),
so ||P||_2 <= c (1 + 3 d^2 u) for d^2 u < 0.01, and the returned c is within m + 3 d^2 u <= RELATIVE + 3 d^2 u (plus the
rounding of theta, 3 d^1.5 u) of the norm: the Cholesky route's error is RELATIVE + 4 d^2 u. The same test
follows a power iteration that ran POWER_STEPS without a certificate (the top two singular values close),
with theta raised to the largest Ritz value of a fully reorthogonalized Lanczos run on P^T P (LANCZOS_STEPS
matrix-vector pairs, not tens of products): only a candidate, which the factorization proves or not. Where
there is no gap and theta - alpha would take more than HOPELESS power steps at the last step's pace to become one,
a Lanczos run bounds lambda_2 by its Krylov space (``krylov_kato_temple``) and, where that gives no certificate,
supplies the Cholesky test's candidate. If the
test fails, LAPACK's SVD. LAPACK's SVD: the ASSUMED backward error 4 d^2.5 u (Higham, Thm 19.4 and 20.3; LAPACK
states only "a modest function of d" times u), not proved here. 1- and inf-norm:
gamma_d; Frobenius: (d^2 + 2) u. The log is returned with
error at most 3 u (|log N| + log d + 1), a factor e^{3 u (...)}. Altogether, with N_hat = e^{returned log},

    (a) |N_hat - ||P||| <= E_a M,  E_a = (1 + theta)^n (1 + eps_eval) e^{3 u (|log N| + log d + 1)} - 1.

A normwise variant: ||G_m|| <= || |G_m| || <= theta || |Q_{m-1}| || || |J| || <= c theta ||Q_{m-1}|| ||J||
with c = d for the 2-norm (|| |A| ||_2 <= ||A||_F <= sqrt(d) ||A||_2, twice) and c = 1 for the 1-, inf-
and Frobenius norms (absolute norms), and the same telescoping gives

    (b) |N_hat - ||P||| <= E_b prod_j ||J_j||,  E_b = (1 + c theta)^n (1 + eps_eval) e^{3 u (|log N| + log d + 1)} - 1.

``error_bound`` returns E_a (``relative_to="magnitude"``) or E_b (``"product"``). Neither is
relative to ||P||: when the product cancels (a rank-1 W with a small trace) ||P|| can be far
below M and prod ||J_j||, and the relative error of the norm correspondingly larger. Where
M = ||P|| (diagonal or nonnegative J), (a) is a relative bound. For statement 9, (b) is the
natural one: prod ||J_j||_2 <= (gamma lambda)^n. ``error_bound`` forms the products of (1 + x)
factors as sums of log1p, so that evaluating E does not itself lose its small terms to rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, cast

import numpy as np
from numpy.typing import NDArray

from derive.errors import InputError

from .activations import LOG2, UNIT_ROUNDOFF, Array, NumericActivation, numeric

#: A matrix norm: the induced 2-, 1- or inf-norm, or Frobenius.
Ord = float | Literal["fro"]

ORDS: tuple[Ord, ...] = (2, 1, np.inf, "fro")
RELATIVE = 1e-11  # the Kato-Temple certificate is accepted within this relative distance of theta
GAP = 2.0**-20  # ... and only when theta - alpha >= GAP theta, so rounding cannot move it
POWER_STEPS = 40
BATCH_POWER_STEPS = 64  # the batched path's power steps per case before the rest go to LAPACK together
LANCZOS_STEPS = 24  # Krylov dimension of the Lanczos candidate after a slow power iteration
SETTLED = 2.0**-46  # theta has settled when a power step raises it by less than this, relatively
HOPELESS_GAP = 1.0  # the Krylov bound stops being tried once alpha exceeds rho by this fraction of rho
HOPELESS = 32.0  # no gap, and theta - alpha would need more than this many steps at the last step's pace: go to Lanczos


# ---------------------------------------------------------------- validation


def check_ord(ord: object) -> Ord:
    """The norm ``ord`` as one of 2, 1, inf, 'fro'; InputError otherwise (True is not 1)."""
    if isinstance(ord, bool | np.bool_):
        raise InputError("ord", f"{ord!r} is a bool; use one of 2, 1, inf, 'fro'")
    if isinstance(ord, str):
        if ord == "fro":
            return "fro"
    elif isinstance(ord, int | float | np.integer | np.floating) and float(ord) in (2.0, 1.0, np.inf):
        return float(ord) if float(ord) == np.inf else int(ord)
    raise InputError("ord", f"{ord!r} is not a norm here; use one of 2, 1, inf, 'fro'")


def real_array(name: str, value: object, ndim: int) -> Array:
    """``value`` as a finite real float64 array of ``ndim`` dimensions; InputError naming ``name`` otherwise."""
    array = np.asarray(value)
    if array.dtype.kind == "c":
        raise InputError(name, f"complex values (dtype {array.dtype}); the RNN is real")
    if array.dtype.kind not in "iuf":
        raise InputError(name, f"must hold real numbers, got dtype {array.dtype}")
    if array.ndim != ndim:
        raise InputError(name, f"must have {ndim} dimensions, got shape {array.shape}")
    array = array.astype(np.float64)
    bad = ~np.isfinite(array)
    if bad.any():
        where = [int(i) for i in np.argwhere(bad)[0]]
        value_there = float(array[tuple(where)])
        kind = "NaN" if np.isnan(value_there) else ("inf" if value_there > 0 else "-inf")
        raise InputError(name, f"contains {kind} at {where}")
    return array


def _shape(name: str, array: Array, expected: tuple[int, ...], meaning: str) -> None:
    if array.shape != expected:
        raise InputError(name, f"must have shape {meaning} = {expected}, got {array.shape}")


def validate(W: object, U: object, b: object, xs: object, s0: object | None) -> tuple[Array, Array, Array, Array, Array]:
    """W (d x d), U (d x m), b (d), xs (T x m, T >= 1), s0 (d, default 0) as finite real arrays; InputError naming the argument."""
    W_, U_, b_, xs_ = real_array("W", W, 2), real_array("U", U, 2), real_array("b", b, 1), real_array("xs", xs, 2)
    d = W_.shape[0]
    if d < 1 or W_.shape != (d, d):
        raise InputError("W", f"must be a square d x d matrix with d >= 1, got shape {W_.shape}")
    if xs_.shape[0] < 1:
        raise InputError("xs", "has T = 0 steps; the chain ds_T/ds_k needs T >= 1")
    _shape("U", U_, (d, xs_.shape[1]), "(d, m)")
    _shape("b", b_, (d,), "(d,)")
    s = np.zeros(d) if s0 is None else real_array("s0", s0, 1)
    _shape("s0", s, (d,), "(d,)")
    return W_, U_, b_, xs_, s


def validate_batched(W: object, U: object, b: object, xs: object, s0: object | None) -> tuple[Array, Array, Array, Array, Array]:
    """The batched shapes W (B,d,d), U (B,d,m), b (B,d), xs (B,T,m), s0 (B,d); InputError naming the argument."""
    W_, U_, b_, xs_ = real_array("W", W, 3), real_array("U", U, 3), real_array("b", b, 2), real_array("xs", xs, 3)
    B, d = W_.shape[0], W_.shape[1]
    if d < 1 or W_.shape[2] != d:
        raise InputError("W", f"must be B x d x d with d >= 1, got shape {W_.shape}")
    if xs_.shape[0] != B or xs_.shape[1] < 1:
        raise InputError("xs", f"must have shape (B, T, m) with B = {B} and T >= 1, got {xs_.shape}")
    _shape("U", U_, (B, d, xs_.shape[2]), "(B, d, m)")
    _shape("b", b_, (B, d), "(B, d)")
    s = np.zeros((B, d)) if s0 is None else real_array("s0", s0, 2)
    _shape("s0", s, (B, d), "(B, d)")
    return W_, U_, b_, xs_, s


# ---------------------------------------------------------------- the forward pass


def run(W: Array, U: Array, b: Array, xs: Array, s0: Array | None = None, activation: str = "tanh") -> Array:
    """The pre-activations a_1 .. a_T (a T x d array) of s_j = phi(W s_{j-1} + U x_j + b)."""
    phi = numeric(activation).phi
    W, U, b, xs, s = validate(W, U, b, xs, s0)
    return _forward(W, U, b, xs, s, phi)


def _forward(W: Array, U: Array, b: Array, xs: Array, s: Array, phi: object) -> Array:
    pre = np.empty((xs.shape[0], W.shape[0]))
    drive = xs @ U.T + b
    for j in range(xs.shape[0]):
        pre[j] = W @ s + drive[j]
        s = phi(pre[j])  # type: ignore[operator]
    return pre


# ---------------------------------------------------------------- the error bound


def slope_error(act: NumericActivation, log_slopes: Array) -> float:
    """The relative error eps of the slopes the engine multiplies by, for a chain with these log slopes.

    Each scaled slope is exp(L - m log 2) with m = rint(max L / log 2): the log slope's stated error,
    the rounding of m log 2 (1.5 u |m| log 2) and of the subtraction (u |L - m log 2|), and exp's
    one ulp; with |m log 2| <= max|L| + 1 and |L - m log 2| <= 2 max|L| + 1 this is at most
    Delta = err_L + u (3.5 max|L| + 3) in the log, so eps <= 1.01 Delta + 2 u.
    """
    return float(slope_errors(act, np.reshape(log_slopes, (1, -1)))[0])


def slope_errors(act: NumericActivation, log_slopes: Array) -> Array:
    """``slope_error``'s eps for each chain of a batch (log_slopes: B x ..., one chain per row), as one vector (its docstring has the bound)."""
    sizes = np.abs(np.reshape(log_slopes, (len(log_slopes), -1)))
    largest = np.max(np.where(np.isfinite(sizes), sizes, 0.0), axis=1)  # a slope exactly 0 (ReLU's) carries no error
    log_error = act.log_slope_error_at(largest)
    return cast(Array, 1.01 * (log_error + UNIT_ROUNDOFF * (3.5 * largest + 3.0)) + 2.0 * UNIT_ROUNDOFF)


def evaluation_error(d: int, ord: Ord = 2) -> float:
    """The relative error eps_eval of the norm of the computed (scaled) product; see the module docstring."""
    u = UNIT_ROUNDOFF
    if ord == 2:
        return max(RELATIVE + 8.0 * d**1.5 * u, cholesky_error(d), svd_error(d))
    if ord == "fro":
        return (d * d + 2.0) * u
    return d * u / (1.0 - d * u)


def cholesky_error(d: int) -> float:
    """The relative error of the Cholesky route's 2-norm: RELATIVE + 4 d^2 u (module docstring; proved, for d^2 u < 0.01)."""
    return RELATIVE + 4.0 * d * d * UNIT_ROUNDOFF


def svd_error(d: int) -> float:
    """The ASSUMED relative error of LAPACK's largest singular value of a d x d matrix: 4 d^2.5 u (backward stability)."""
    return 4.0 * d**2.5 * UNIT_ROUNDOFF


def error_bound(d: int, lag: int | NDArray[Any], eps: float, ord: Ord = 2, log_norm: float | Array = 0.0, relative_to: str = "magnitude") -> Array:
    """E with |e^{returned log ||ds_T/ds_k||} - ||ds_T/ds_k||| <= E R for lag n = T - k: the module docstring's bounds (a) and (b).

    ``relative_to="magnitude"``: R = || |J_T| ... |J_{k+1}| || (bound (a)); ``"product"``: R = prod_j ||J_j|| (bound (b)).
    ``eps`` is the slopes' relative error (``slope_error``), ``log_norm`` the returned log (for the output rounding).
    """
    if relative_to not in ("magnitude", "product"):
        raise InputError("relative_to", f"{relative_to!r} is not 'magnitude' or 'product'")
    ord = check_ord(ord)
    u = UNIT_ROUNDOFF
    gamma_d = d * u / (1.0 - d * u)
    # Products of (1 + x) factors are formed as sums of log1p: (1 + eps)(1 + u) - 1 in floats would cancel.
    theta = np.expm1(np.log1p(eps) + np.log1p(u) + np.log1p(gamma_d))  # (1 + eps)(1 + u)(1 + gamma_d) - 1
    if relative_to == "product" and ord == 2:
        theta *= d  # || |A| ||_2 <= sqrt(d) ||A||_2, twice; the 1-, inf- and F-norms are absolute
    log_product = np.asarray(lag, dtype=np.float64) * np.log1p(theta)  # log (1 + theta)^n
    size = np.abs(np.asarray(log_norm, dtype=np.float64))
    # the returned log's own rounding; a norm returned as exactly 0 (log -inf: a product that is exactly 0) has none
    log_out = np.where(np.isfinite(size), 3.0 * u * (np.where(np.isfinite(size), size, 0.0) + np.log(d) + 1.0), 0.0)
    return cast(Array, np.expm1(log_product + np.log1p(evaluation_error(d, ord)) + log_out))


# ---------------------------------------------------------------- norms of the scaled product


class NormEstimate(NamedTuple):
    """log ||P||_2 of one scaled product, whether a certificate gave it, and the top singular vector estimates."""

    log_norm: float
    certified: bool
    vector: Array  # the right singular vector estimate (unit length)
    log_rayleigh: float  # (1/2) log theta of the last iterate: a lower bound on log ||P||_2 (up to rounding)
    route: str  # how log_norm was found: "kato-temple", "cholesky" or "lapack"
    left: Array  # P vector / ||P vector||: the warm start for the next product of a chain
    right: Array | None = None  # P^T left, where the route computed it on the way (Kato-Temple: P^T P vector / ||P vector||)


def log_norm_2(P: Array, start: Array, frob2: float | None = None, work: Array | None = None, right: Array | None = None) -> NormEstimate:
    """log ||P||_2: the Kato-Temple upper bound from a warm-started power iteration on P^T P, else LAPACK's value.

    ``start`` is a left singular vector estimate (the previous product's); certified is False on the LAPACK route.
    ``frob2`` is ||P||_F^2 as computed, when the caller has it; ``work``, a d x d buffer for the Cholesky route.
    ``right``, where the caller has it, stands for P^T start (a chain carries it along with its product): the first
    vector tested, without the matrix-vector product. Whatever vector is tested, the certificate is its own.
    P is expected scaled as the chain keeps it (||P||_F^2 in [2^-LOOSE, 2^LOOSE]): near the ends of the float range
    theta, r^2 and ||P||_F^2 under- or overflow, and the tests below would not mean what they say.
    """
    if frob2 is None:
        frob2 = float(np.einsum("ij,ij->", P, P))
    if frob2 == 0.0:
        return NormEstimate(-np.inf, False, start, -np.inf, "zero", start)
    PT = P.T
    x = PT @ start if right is None else right
    size = math.sqrt(float(x @ x))
    x = x / size if size > 0.0 else np.full(P.shape[1], P.shape[1] ** -0.5)
    theta = previous = 0.0
    for _ in range(POWER_STEPS):
        Px = P @ x
        theta = float(Px @ Px)
        g = PT @ Px
        residual = g - theta * x
        r2 = float(residual @ residual)
        alpha = frob2 - theta  # every eigenvalue of P^T P but the top one is <= alpha
        if theta - alpha >= GAP * theta:
            if r2 <= RELATIVE * theta * (theta - alpha):  # theta > 0 here, so Px / sqrt(theta) is a unit vector
                root = math.sqrt(theta)
                return NormEstimate(0.5 * math.log(theta + r2 / (theta - alpha)), True, x, 0.5 * math.log(theta), "kato-temple", Px / root, g / root)
        elif theta - previous <= SETTLED * theta:
            break  # no Kato-Temple bound here, and theta has settled: the Cholesky test
        elif alpha - theta > HOPELESS * (theta - previous):
            # No gap, and at this pace theta will not reach one: Lanczos, whose Krylov space bounds lambda_2 far better
            # than ||P||_F^2 - theta; where even that gives no certificate, the Cholesky test on its candidate.
            krylov, estimate = _lanczos(P, g / math.sqrt(float(g @ g)), LANCZOS_STEPS, frob2=frob2)
            if estimate is not None:
                return estimate
            theta = max(theta, krylov)
            break
        previous = theta
        x = g / math.sqrt(float(g @ g))
    else:  # POWER_STEPS without a certificate: a slow power iteration; the Lanczos Ritz value is a far better theta
        theta = max(theta, lanczos_theta(P, x))
    left = _unit(P @ x)
    for margin in (16.0 * P.shape[1] ** 2 * UNIT_ROUNDOFF, RELATIVE):  # a tight c first, then the certificate's own tolerance
        if margin <= RELATIVE and cholesky_certifies(P, theta, margin, work=work):
            return NormEstimate(0.5 * float(np.log(theta)) + float(np.log1p(margin)), True, x, 0.5 * float(np.log(theta)), "cholesky", left)
    return NormEstimate(float(np.log(np.linalg.svd(P, compute_uv=False)[0])), False, x, 0.5 * float(np.log(theta)), "lapack", left)


def _unit(v: Array) -> Array:
    """v / ||v||, or the constant unit vector where v is 0."""
    size = float(np.linalg.norm(v))
    return v / size if size > 0.0 else np.full(v.shape[0], v.shape[0] ** -0.5)


def lanczos_theta(P: Array, x: Array, steps: int = LANCZOS_STEPS) -> float:
    """||P v||^2 / ||v||^2 for the top Ritz vector v of P^T P on the Krylov space of ``x`` (Lanczos, reorthogonalized).

    A Rayleigh quotient, so at most ||P||_2^2 (up to rounding) even where the basis has lost orthogonality, in which
    case the Ritz value itself can lie above the top eigenvalue (seen on a d = 64 chain before this was recomputed).

    Only a candidate: the Cholesky test decides whether sqrt of it, slightly raised, bounds the norm.
    """
    return _lanczos(P, x, steps)[0]


def _lanczos(P: Array, x: Array, steps: int, frob2: float | None = None) -> tuple[float, NormEstimate | None]:
    """``lanczos_theta``'s candidate, and with ``frob2`` (= ||P||_F^2, computed) a Kato-Temple certificate where the Krylov space gives one.

    Every fourth step, with ``frob2``: the block bound (``krylov_kato_temple``) on the basis so far; a certified estimate
    ends the run. Otherwise the run stops once the top Ritz value has settled (every fourth step) or at ``steps``.
    """
    m = min(steps, P.shape[1])
    basis = np.zeros((m, P.shape[1]))
    T = np.zeros((m, m))
    q = x / np.linalg.norm(x)
    ritz_before = 0.0
    for i in range(m):
        basis[i] = q
        w = P.T @ (P @ q)
        T[i, i] = q @ w
        w -= basis[: i + 1].T @ (basis[: i + 1] @ w)
        w -= basis[: i + 1].T @ (basis[: i + 1] @ w)  # twice is enough (Kahan, Parlett)
        b = float(np.linalg.norm(w))
        if i + 1 == m or b <= 2.0**-26 * abs(T[i, i]):  # an invariant subspace, up to rounding: stop
            m = i + 1
            break
        if i % 4 == 3:  # every fourth step: a certificate from the basis so far, or a settled top Ritz value, ends the run
            values, vectors = np.linalg.eigh(T[: i + 1, : i + 1])
            top = float(values[-1])
            if frob2 is not None:
                # Lanczos's own estimates first (the residual of the top Ritz pair is b |its last component|; alpha from the
                # Ritz values): the rigorous test, which costs products with P, only where they say it would pass.
                rough_gap = 2.0 * top - frob2 + float(np.sum(np.maximum(values[:-2], 0.0)))
                if rough_gap >= GAP * top and (b * float(vectors[-1, -1])) ** 2 <= RELATIVE * top * rough_gap:
                    estimate = krylov_kato_temple(P, basis[: i + 1], frob2)
                    if estimate.certified:
                        return math.exp(2.0 * estimate.log_rayleigh), estimate
                if rough_gap < -HOPELESS_GAP * top:  # alpha far above rho: a few more vectors will not close that
                    frob2 = None
            if top - ritz_before <= SETTLED * top:
                m = i + 1
                break
            ritz_before = top
        T[i, i + 1] = T[i + 1, i] = b
        q = w / b
    if frob2 is not None:
        estimate = krylov_kato_temple(P, basis[:m], frob2)
        return math.exp(2.0 * estimate.log_rayleigh), estimate if estimate.certified else None
    _, vectors = np.linalg.eigh(T[:m, :m])
    ritz = basis[:m].T @ vectors[:, -1]
    Pv = P @ ritz
    return float(Pv @ Pv) / float(ritz @ ritz), None  # the Rayleigh quotient of the Ritz vector: below ||P||_2^2 whatever the basis


def krylov_kato_temple(P: Array, X: Array, frob2: float) -> NormEstimate:
    """The Kato-Temple bound with the top Ritz vector of P^T P on the rows of X (k of them, nearly orthonormal) and a block alpha.

    Rayleigh-Ritz on span(X): H = (P X^T)^T (P X^T), eigenvalues t_1 >= ... >= t_k, top eigenvector giving v = X^T c.
    With V = X^T, V^T V = I + E and ||E||_2 <= eta < 1 (measured), H's eigenvalues are those of Q^T G Q (G = P^T P,
    Q orthonormal) times factors in [1 - eta, 1 + eta] (Ostrowski), and those interlace with G's (Cauchy): lambda_j >=
    t_j / (1 + eta). With rho = ||P v||^2 (v unit) <= lambda_1, trace G = ||P||_F^2 and lambda_j >= 0,

        lambda_2 = ||P||_F^2 - lambda_1 - sum_{j>=3} lambda_j <= ||P||_F^2 - rho - sum_{j=3..k} max(t_j, 0) / (1 + eta) = alpha,

    far below ||P||_F^2 - rho (the one-vector alpha) once the Krylov space holds the next few singular directions. The
    rounding of H (Weyl: each t_j moves by at most gamma_d (k + 2 sqrt k)(1 + eta) ||P||_F^2), of rho (gamma_d) and
    of the computed ||P||_F^2 (gamma_{d^2}) is added to alpha, so alpha >= lambda_2 holds for the computed values too.
    The certificate is then the one-vector route's: rho - alpha >= GAP rho and r^2 <= RELATIVE rho (rho - alpha).
    """
    k, d = X.shape
    Y = P @ X.T
    H = Y.T @ Y
    eta = float(np.linalg.norm(X @ X.T - np.eye(k)))  # the Frobenius norm bounds ||E||_2
    values, vectors = np.linalg.eigh(H)  # ascending: values[-1] is t_1, values[-2] t_2
    v = X.T @ vectors[:, -1]
    v /= np.linalg.norm(v)
    Pv = P @ v
    rho = float(Pv @ Pv)
    g = P.T @ Pv
    residual = g - rho * v
    r2 = float(residual @ residual)
    u = UNIT_ROUNDOFF
    slack = 1.01 * u * (d * d + d * (k + 2.0 * math.sqrt(k)) * (1.0 + eta) * k + 2.0 * d) * frob2
    alpha = frob2 - rho - float(np.sum(np.maximum(values[:-2], 0.0))) / (1.0 + eta) + slack
    if eta < 0.5 and rho > 0.0 and rho - alpha >= GAP * rho and r2 <= RELATIVE * rho * (rho - alpha):
        return NormEstimate(0.5 * math.log(rho + r2 / (rho - alpha)), True, v, 0.5 * math.log(rho), "krylov-kato-temple", Pv / math.sqrt(rho))
    return NormEstimate(math.nan, False, v, 0.5 * math.log(rho) if rho > 0.0 else -math.inf, "none", Pv / math.sqrt(rho) if rho > 0.0 else Pv)


def cholesky_certifies(P: Array, theta: float, margin: float = RELATIVE, work: Array | None = None) -> bool:
    """Whether LAPACK's Cholesky of c^2 I - P^T P completes for c = sqrt(theta) (1 + margin): then ||P||_2 <= c (1 + 3 d^2 u).

    The module docstring has the bound; a completed factorization proves it, a failed one proves nothing.
    ``work``: a d x d buffer for c^2 I - P^T P (it saves an allocation per call in a chain).
    """
    d = P.shape[1]
    if theta <= 0.0 or d * d * UNIT_ROUNDOFF >= 0.01:
        return False
    A = np.matmul(P.T, P, out=work)  # into the buffer: a fresh d x d array costs its page faults (a third of this at d = 256)
    np.negative(A, out=A)
    A.reshape(-1)[:: d + 1] += theta * (1.0 + margin) ** 2
    try:
        np.linalg.cholesky(A)  # reads one triangle, each entry a computed dot product of the bound's kind
    except np.linalg.LinAlgError:
        return False
    return True


def _log_norm(P: Array, ord: Ord, frob2: float) -> float:
    """log ||P|| for the 1-, inf- and Frobenius norms; ``frob2`` = ||P||_F^2 > 0, computed (the 2-norm: ``log_norm_2``)."""
    if ord == "fro":
        return 0.5 * math.log(frob2)
    return math.log(float(np.linalg.norm(P, ord)))


def _scaled_slopes(log_slopes: Array, signs: Array | None = None) -> tuple[Array, NDArray[np.int64]]:
    """(s, m) with phi' = 2^m s row by row: m = rint(max L / log 2), an integer per step, s = exp(L - m log 2), times ``signs``.

    A slope exactly 0 (L = -inf: a ReLU unit off) scales to 0; a step whose slopes are all 0 gets m = 0.
    """
    top = np.max(log_slopes, axis=-1)
    m = np.rint(np.where(np.isfinite(top), top, 0.0) / LOG2).astype(np.int64)
    scaled = np.exp(log_slopes - (m * LOG2)[..., None])
    return cast(Array, scaled if signs is None else scaled * signs), m


def _signs(act: NumericActivation, pre: Array) -> Array | None:
    """The signs of phi'(a) where phi' takes both signs (SiLU, GELU); None where phi' >= 0 everywhere."""
    return None if act.sign is None else act.sign(pre)


# ---------------------------------------------------------------- the engine

#: The product is left unscaled while ||P||_F^2 stays in [2^-LOOSE, 2^LOOSE]; outside, it is rescaled by a power of two.
LOOSE = 32
LOW, HIGH = 2.0**-LOOSE, 2.0**LOOSE


def _sum_of_squares(P: Array) -> float:
    """||P||_F^2 as one BLAS dot product of P's entries with themselves (P C-contiguous, so no copy).

    Straight after the product BLAS's threads are still awake, and each sums the part of P its own cache holds: 2-3 %
    of a chain faster at d = 64 to 256 than einsum, or than blocks summed by one thread. Any order of summation has the
    rounding the error statement allows for a computed ||P||_F^2."""
    flat = P.reshape(-1)
    return float(flat @ flat)


def _rescale(P: Array, block: Array) -> tuple[float, int]:
    """Rescale ``block`` in place by an exact power of two 2^-e chosen so that P's largest entry lands in [1/2, 1); returns
    (||P||_F^2, e). ``block`` is P with the rows the chain carries along with it (the same 2^-e rescales them).

    Called once ||P||_F^2 has left [2^-LOOSE, 2^LOOSE]; within it nothing needs doing, since a step grows the product's
    entries by at most d (the scaled slopes are below 2^0.5 and the scaled W's entries below 1), so nothing can overflow
    before the next check. A zero product stays zero (e = 0).
    """
    peak = max(float(P.max()), -float(P.min()))
    if peak == 0.0:
        return 0.0, 0
    e = int(np.frexp(peak)[1])
    np.ldexp(block, -e, out=block)  # exact: P's largest entry lands in [1/2, 1)
    return float(np.einsum("ij,ij->", P, P)), e


def chain_log_norms(W: Array, U: Array, b: Array, xs: Array, s0: Array | None = None, activation: str = "tanh", ord: Ord = 2) -> Array:
    """Natural logs of ||ds_T/ds_k|| for k = 0 .. T-1; finite where the norms themselves over- or underflow."""
    ord = check_ord(ord)
    act = numeric(activation)
    W, U, b, xs, s = validate(W, U, b, xs, s0)
    pre = _forward(W, U, b, xs, s, act.phi)
    slopes, steps = _scaled_slopes(act.log_slope(pre), _signs(act, pre))
    return _chain_logs(slopes, steps, W, ord)


def chain_bounds(W: Array, U: Array, b: Array, xs: Array, s0: Array | None = None, activation: str = "tanh") -> ChainBounds:
    """``chain_bounds_batched`` for one network (a batch of one): the 2-norm chain, its magnitudes and the slope error, case by case."""
    act = numeric(activation)
    W, U, b, xs, s = validate(W, U, b, xs, s0)
    pre = _forward(W, U, b, xs, s, act.phi)
    log_slopes = act.log_slope(pre)
    slopes, steps = _scaled_slopes(log_slopes)
    signed = slopes if act.sign is None else slopes * act.sign(pre)
    norms, magnitudes = _chain_logs(signed, steps, W, 2), _chain_logs(slopes, steps, np.abs(W), "fro")
    return ChainBounds(norms[None], magnitudes[None], np.array([slope_error(act, log_slopes)]))


def _chain_logs(slopes: Array, steps: NDArray[np.int64], W: Array, ord: Ord) -> Array:
    """The backward pass of ``chain_log_norms``: scaled slopes s (T x d) and their exponents m (phi' = 2^m s), W, the norm."""
    T, d = slopes.shape
    out = np.full(T, -np.inf)
    if not W.any():
        return out
    w_exp = int(np.frexp(np.max(np.abs(W)))[1])
    Ws = np.ldexp(W, -w_exp)  # exact: entries below 1 in magnitude
    exponents = np.cumsum((steps + w_exp)[::-1])[::-1].tolist()  # 2^exponents[k]: the scale the slopes and W bring to lag T - k
    # For the 2-norm the product carries one more row, u^T P for the warm start u (the last lag's left singular vector
    # estimate): the product's own recursion gives P^T u, the first vector to test, at 1/d the cost of a product.
    rows = d + 1 if ord == 2 else d
    block, spare = np.eye(rows, d), np.empty((rows, d))
    u = np.full(d, d**-0.5)
    block[d:] = u
    work = np.empty((d, d))  # the Cholesky route's buffer: allocated once, not per lag
    rescaled = 0  # the product is 2^(exponents[k] + rescaled) P, exactly
    for k in range(T - 1, -1, -1):
        np.multiply(block, slopes[k], out=block)  # P diag(phi'(a_{k+1})), up to the factor 2^steps[k]
        np.matmul(block, Ws, out=spare)
        block, spare = spare, block
        P = block[:d]
        frob2 = _sum_of_squares(P)
        if not LOW <= frob2 <= HIGH:
            frob2, e = _rescale(P, block)
            if frob2 == 0.0:
                return out
            rescaled += e
        if ord == 2:
            estimate = log_norm_2(P, u, frob2, work, right=block[d])
            log_norm, u = estimate.log_norm, estimate.left
            if estimate.right is not None:
                block[d] = estimate.right
            else:
                np.matmul(u, P, out=block[d])  # u^T P afresh, where the route did not compute it
        else:
            log_norm = _log_norm(P, ord, frob2)
        out[k] = (exponents[k] + rescaled) * LOG2 + log_norm
    return out


def chain_norms(W: Array, U: Array, b: Array, xs: Array, s0: Array | None = None, activation: str = "tanh", ord: Ord = 2) -> Array:
    """||ds_T/ds_k|| for k = 0 .. T-1 (entry T-1 the one-step Jacobian, entry 0 the whole chain); inf where a norm overflows,
    and 0, or a subnormal number with fewer digits, where it underflows (below about 1e-308): chain_log_norms keeps both."""
    logs = chain_log_norms(W, U, b, xs, s0, activation, ord)
    with np.errstate(over="ignore"):
        return cast(Array, np.exp(logs))


@dataclass(frozen=True)
class ChainBounds:
    """A batch of chains with what their error bound needs: log norms, log magnitudes and slope errors.

    ``log_magnitudes[i, k]`` is the log of the computed || |J_T| ... |J_{k+1}| ||_F, which bounds the
    2-norm magnitude M from above up to the rounding ``error_bound`` states; ``slope_errors[i]`` is eps.
    """

    log_norms: Array
    log_magnitudes: Array
    slope_errors: Array


def _batched_pre(act: NumericActivation, W: Array, U: Array, b: Array, xs: Array, s: Array) -> Array:
    drive = xs @ U.transpose(0, 2, 1) + b[:, None, :]  # B x T x d, as _forward's xs @ U.T + b case by case
    pre = np.empty(drive.shape)
    for j in range(xs.shape[1]):
        pre[:, j] = (W @ s[:, :, None])[:, :, 0] + drive[:, j]
        s = act.phi(pre[:, j])
    return pre


def _batched_logs(log_slopes: Array, W: Array, ord: Ord, signs: Array | None = None) -> Array:
    """log ||J_T ... J_{k+1}|| for a batch, J_j = diag(|phi'(a_j)|) W (log_slopes: log |phi'(a_j)|, B x T x d); every rescaling by a power of two."""
    return _batched_chains(log_slopes, ((W, ord, True),), signs)[0]


def _batched_chains(log_slopes: Array, chains: tuple[tuple[Array, Ord, bool], ...], signs: Array | None = None) -> list[Array]:
    """``_batched_logs`` for several (W, ord, signed) at once, in one pass over the steps (the slopes scaled once for all steps).

    ``signs``: the signs of phi' (B x T x d), applied to the chains marked signed (the magnitude chain of |J| is not).

    As in ``chain_log_norms``, a case's product is rescaled (by an exact power of two) only when its ||P||_F^2 leaves
    [2^-LOOSE, 2^LOOSE].
    """
    B, T, d = log_slopes.shape
    slopes, steps = _scaled_slopes(log_slopes)  # B x T x d and B x T
    state = []
    for W, ord, _ in chains:
        w_exp = np.frexp(np.max(np.abs(W), axis=(1, 2)))[1]
        P = np.broadcast_to(np.eye(d), (B, d, d)).copy()
        left = np.full((B, d), d**-0.5)  # the previous product's top left singular vector estimates: warm starts
        exponents = np.cumsum((steps + w_exp[:, None])[:, ::-1], axis=1)[:, ::-1]  # as in chain_log_norms, per case
        state.append([np.ldexp(W, -w_exp[:, None, None]), ord, P, left, np.zeros(B, dtype=np.int64), np.empty((B, T)), exponents])
    spare = np.empty((B, d, d))
    by_step = np.ascontiguousarray(slopes.transpose(1, 0, 2))[:, :, None, :]  # T x B x 1 x d: each step's slopes contiguous
    by_step_signed = by_step if signs is None else by_step * np.ascontiguousarray(signs.transpose(1, 0, 2))[:, :, None, :]
    for k in range(T - 1, -1, -1):
        for chain, (_, _, signed) in zip(state, chains, strict=True):
            scaled = by_step_signed[k] if signed else by_step[k]
            Ws, ord, P, left, rescaled, out, exponents = chain
            np.multiply(P, scaled, out=spare)
            np.matmul(spare, Ws, out=P)  # in place, through a buffer: far faster than (P * scaled) @ Ws for small d
            frob2 = np.einsum("bij,bij->b", P, P)
            far = np.flatnonzero((frob2 < LOW) | (frob2 > HIGH))
            if far.size:
                # 2^-e with e half the exponent of ||P||_F^2 brings it into [1/2, 2): exact, only the cases out of range.
                # Where the squares themselves underflowed (below 2^-900), the largest entry decides instead.
                Pf, f = P[far], frob2[far]
                e = np.frexp(f)[1] // 2
                tiny = f < 2.0**-900
                if tiny.any():
                    Pt = Pf[tiny]
                    e[tiny] = np.frexp(np.maximum(Pt.max(axis=(1, 2)), -Pt.min(axis=(1, 2))))[1]  # 0 for a zero product
                np.ldexp(Pf, -e[:, None, None], out=Pf)
                P[far] = Pf
                rescaled[far] += e
                frob2[far] = np.where(tiny, np.einsum("bij,bij->b", Pf, Pf), np.ldexp(f, -2 * e))  # exact where no underflow
            if ord == 2:
                norms, chain[3] = _batched_norm_2(P, left, frob2)
            elif ord == "fro":
                norms = np.sqrt(frob2)
            else:
                norms = np.linalg.norm(P, ord, axis=(1, 2))
            with np.errstate(divide="ignore"):
                out[:, k] = (exponents[:, k] + rescaled) * LOG2 + np.log(norms)
    return [cast(Array, np.where(np.any(W != 0, axis=(1, 2))[:, None], chain[5], -np.inf)) for (W, _, _), chain in zip(chains, state, strict=True)]


def _batched_norm_2(P: Array, left: Array, frob2: Array | None = None) -> tuple[Array, Array]:
    """||P_i||_2 for a batch: ``log_norm_2``'s Kato-Temple certificate case by case (compiled), LAPACK's SVD for the rest.

    ``left`` holds warm starts (left singular vector estimates); returns the norms and the new estimates. Each case
    takes at most BATCH_POWER_STEPS power steps from P^T left and stops at its own certificate
    (``kernels.certify_2_norms``); the cases without one (no gap, or a slow iteration) go to LAPACK's SVD together.
    A certified value is within RELATIVE + 8 d^1.5 u of the norm, an SVD value within svd_error(d):
    ``evaluation_error`` covers both. ``frob2``: the computed ||P_i||_F^2, where known. As for ``log_norm_2``, each P_i
    is expected scaled as the chains keep it (||P_i||_F^2 in about [2^-LOOSE, 2^LOOSE]): near the ends of the float
    range the squares under- or overflow, and neither test means anything there.
    """
    from .kernels import certify_2_norms  # Numba's import and the cached code load only where a batch needs them

    if frob2 is None:
        frob2 = np.einsum("bij,bij->b", P, P)
    B, d = P.shape[0], P.shape[2]
    norms, lefts = np.empty(B), np.empty((B, d))
    P, left, frob2 = np.ascontiguousarray(P), np.ascontiguousarray(left), np.ascontiguousarray(frob2, dtype=float)
    fails = certify_2_norms(P, left, frob2, BATCH_POWER_STEPS, RELATIVE, GAP, SETTLED, HOPELESS, norms, lefts)
    if fails.size:
        norms[fails] = np.linalg.svd(P[fails], compute_uv=False)[:, 0]
    return norms, lefts


def chain_log_norms_batched(W: Array, U: Array, b: Array, xs: Array, s0: Array | None = None, activation: str = "tanh", ord: Ord = 2) -> Array:
    """chain_log_norms for a batch of B independent RNNs of one size: W is B x d x d, xs is B x T x m; returns B x T.

    Meant for many small cases at once (property tests, sweeps): every step is one batched
    matrix product, and the 2-norm is certified case by case by a compiled power iteration with the Kato-Temple bound,
    the batched SVD's largest singular value only where that does not apply (``_batched_norm_2``).
    """
    ord = check_ord(ord)
    act = numeric(activation)
    W, U, b, xs, s = validate_batched(W, U, b, xs, s0)
    pre = _batched_pre(act, W, U, b, xs, s)
    return _batched_logs(act.log_slope(pre), W, ord, _signs(act, pre))


def chain_bounds_batched(W: Array, U: Array, b: Array, xs: Array, s0: Array | None = None, activation: str = "tanh") -> ChainBounds:
    """The batched 2-norm chain with the inputs of its error bound: log norms, log magnitudes (Frobenius of |J| products), eps."""
    act = numeric(activation)
    W, U, b, xs, s = validate_batched(W, U, b, xs, s0)
    pre = _batched_pre(act, W, U, b, xs, s)
    log_slopes = act.log_slope(pre)
    errors = slope_errors(act, log_slopes)
    norms, magnitudes = _batched_chains(log_slopes, ((W, 2, True), (np.abs(W), "fro", False)), _signs(act, pre))
    return ChainBounds(norms, magnitudes, errors)
