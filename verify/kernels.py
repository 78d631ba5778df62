"""Compiled inner loops of the batched engine (Numba): the 2-norm certificate of many small products, case by case.

NumPy runs the batched products well (one batched matrix product per step), but not the certificate that follows
them: half of the cases need more than one power step, and every vectorised step then pays for all its arrays
again. Here each case runs its own power iteration, as ``engine.log_norm_2`` does for one matrix, and stops as
soon as its own certificate holds. The tests are those of ``log_norm_2``, with its constants passed in (nothing
is frozen into the compiled code): theta = ||P x||^2 for a unit x, the residual r = P^T P x - theta x,
alpha = ||P||_F^2 - theta, and the Kato-Temple value sqrt(theta + r^2 / (theta - alpha)) is returned when
theta - alpha >= gap theta and r^2 <= relative theta (theta - alpha). The dot products are summed in another order
than NumPy's; the error statement holds for any order.

The compiled code is cached beside this file, or in Numba's cache directory where this one is read-only, so it is
compiled once per installation; where neither can be written, it is compiled once per process instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit


def _compiled(function: Callable[..., Any]) -> Any:
    """``function`` compiled by Numba, its machine code cached on disk where Numba finds a place to write it."""
    try:
        return njit(cache=True)(function)
    except RuntimeError as error:  # "no locator available": a read-only install and no writable cache directory
        if "no locator" not in str(error):
            raise
        return njit(function)


@_compiled
def certify_2_norms(P, left, frob2, steps, relative, gap_fraction, settled, hopeless, norms, lefts):  # noqa: ANN001, ANN201
    """Certify ||P_b||_2 for each b, warm-started from ``left[b]``; returns the indices of the cases left uncertified.

    ``frob2[b]`` is the computed ||P_b||_F^2, and P_b is scaled as the chains keep it (||P_b||_F^2 in about
    [2^-32, 2^32]; near the ends of the float range the squares under- or overflow and the tests mean nothing).
    Each case starts from x = P^T left / ||P^T left|| and takes at most
    ``steps`` power steps x <- P^T P x / ||P^T P x||. Written out: ``norms[b]``, the certified norm (0 for a zero
    product), and ``lefts[b]``, P x / ||P x||, the next lag's warm start (the constant unit vector where P x = 0). A
    case without the gap (theta - alpha < ``gap_fraction`` theta) stops early once theta has ``settled`` (its relative
    rise per step below that) or once alpha - theta exceeds ``hopeless`` times that rise; the caller takes the
    uncertified cases to LAPACK.
    """
    B, d = P.shape[0], P.shape[2]
    flat = d**-0.5
    x = np.empty(d)
    Px = np.empty(d)
    g = np.empty(d)
    fails = np.empty(B, dtype=np.int64)
    failed = 0
    for b in range(B):
        f = frob2[b]
        if f == 0.0:
            norms[b] = 0.0
            lefts[b, :] = flat
            continue
        size = 0.0
        for j in range(d):
            acc = 0.0
            for i in range(d):
                acc += left[b, i] * P[b, i, j]
            x[j] = acc
            size += acc * acc
        if size > 0.0:
            size = math.sqrt(size)
            for j in range(d):
                x[j] /= size
        else:
            x[:] = flat
        certified = False
        previous = 0.0
        for _ in range(steps):
            theta = 0.0
            for i in range(d):
                acc = 0.0
                for j in range(d):
                    acc += P[b, i, j] * x[j]
                Px[i] = acc
                theta += acc * acc
            g2 = 0.0
            r2 = 0.0
            for j in range(d):
                acc = 0.0
                for i in range(d):
                    acc += Px[i] * P[b, i, j]
                g[j] = acc
                g2 += acc * acc
                residual = acc - theta * x[j]
                r2 += residual * residual
            gap = theta - (f - theta)  # theta - alpha: every other eigenvalue of P^T P is <= alpha
            if gap >= gap_fraction * theta:
                if r2 <= relative * theta * gap:
                    norms[b] = math.sqrt(theta + r2 / gap)
                    root = math.sqrt(theta)  # theta > 0 here
                    for i in range(d):
                        lefts[b, i] = Px[i] / root
                    certified = True
                    break
            elif theta - previous <= settled * theta or (f - theta) - theta > hopeless * (theta - previous):
                break  # no gap, and theta has settled or will not reach one at this pace: LAPACK
            if g2 == 0.0:
                break
            previous = theta
            size = math.sqrt(g2)
            for j in range(d):
                x[j] = g[j] / size
        if not certified:
            fails[failed] = b
            failed += 1
            size = 0.0
            for i in range(d):
                acc = 0.0
                for j in range(d):
                    acc += P[b, i, j] * x[j]
                lefts[b, i] = acc
                size += acc * acc
            if size > 0.0:
                size = math.sqrt(size)
                for i in range(d):
                    lefts[b, i] /= size
            else:
                lefts[b, :] = flat
    return fails[:failed]
