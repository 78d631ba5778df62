"""The plain reference for the chain norms: diag matrices built, full products, a full norm per lag.

Slow and obvious on purpose; the fast engine is tested against it. Inputs are checked as the
engine checks them (InputError naming the argument).
"""

from __future__ import annotations

import numpy as np

from .activations import Array, numeric
from .engine import Ord, check_ord, run, validate


def chain_norms_reference(W: Array, U: Array, b: Array, xs: Array, s0: Array | None = None, activation: str = "tanh", ord: Ord = 2) -> Array:
    """||ds_T/ds_k|| for k = 0..T-1 by explicit products of diag(phi'(a_j)) W, later steps on the left."""
    ord = check_ord(ord)
    act = numeric(activation)
    W, U, b, xs, s = validate(W, U, b, xs, s0)
    pre = run(W, U, b, xs, s, activation)
    T, d = pre.shape
    jacobians = [np.diag(act.derivative(pre[j])) @ W for j in range(T)]  # entry j is ds_{j+1}/ds_j
    norms = np.empty(T)
    product = np.eye(d)
    for k in range(T - 1, -1, -1):
        product = product @ jacobians[k]
        norms[k] = np.linalg.norm(product, ord)
    return norms
