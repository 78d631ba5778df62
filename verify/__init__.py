"""gradproof's numeric side (NumPy): the Jacobian-chain engine and its plain reference.

``chain_norms(W, U, b, xs)`` returns ||ds_T/ds_k|| for k = 0 .. T-1 of the RNN
s_j = phi(W s_{j-1} + U x_j + b); ``chain_log_norms`` their natural logs, finite
where the norms under- or overflow; ``error_bound`` states how far they can be from
the exact norms. ``enclose_chain_norms`` encloses the same norms rigorously in ball
arithmetic. ``sweep`` checks the bound (gamma lambda)^(T-k)
on seeded random RNNs; the figure is in ``verify.figure`` (it loads matplotlib).
"""

from .activations import NUMERIC, NumericActivation, numeric
from .enclose import enclose_chain_log_norms, enclose_chain_norms
from .engine import chain_log_norms, chain_log_norms_batched, chain_norms, error_bound, run
from .reference import chain_norms_reference
from .sweep import SweepConfig, SweepResult, Trial, sweep

__all__ = [
    "NUMERIC",
    "NumericActivation",
    "SweepConfig",
    "SweepResult",
    "Trial",
    "chain_log_norms",
    "chain_log_norms_batched",
    "chain_norms",
    "chain_norms_reference",
    "enclose_chain_log_norms",
    "enclose_chain_norms",
    "error_bound",
    "numeric",
    "run",
    "sweep",
]
