"""chain_norms against the plain reference: d = 128, T = 500, tanh, 2-norm, timed in one run.

Prints both times and their ratio (the machines are shared and noisy: the ratio
from one run is the figure to read). Run: ``python bench/chain_norms.py``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from verify import chain_norms, chain_norms_reference


def _best(function, repeats: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    d, T, m = args.dim, args.steps, 8
    W = 1.2 * rng.standard_normal((d, d)) / np.sqrt(d)
    U, b, xs = rng.standard_normal((d, m)), 0.1 * rng.standard_normal(d), rng.standard_normal((T, m))
    fast = chain_norms(W, U, b, xs)
    ref = chain_norms_reference(W, U, b, xs)
    print(f"largest relative difference: {np.max(np.abs(fast / ref - 1)):.2e}")
    t_ref = _best(lambda: chain_norms_reference(W, U, b, xs), args.repeats)
    t_fast = _best(lambda: chain_norms(W, U, b, xs), args.repeats)
    print(f"d = {d}, T = {T}, tanh, 2-norm: reference {t_ref:.3f} s, chain_norms {t_fast:.3f} s, ratio {t_ref / t_fast:.1f}x")


if __name__ == "__main__":
    main()
