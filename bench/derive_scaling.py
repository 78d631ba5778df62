"""How the cost of the symbolic checks grows with the explicit instance (d, t-k).

Times ``derive.build`` of the chain section (statements 1-5) once per size in this one run and prints each time as a
ratio to the smallest size (these machines are shared and noisy: compare ratios
from one run, not seconds across runs). Run: ``python bench/derive_scaling.py``.
"""

from __future__ import annotations

import argparse
import time

import derive


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="2x2,3x3,4x3,3x4", help="comma-separated DIMxLAG list (default: %(default)s)")
    sizes = [tuple(int(v) for v in item.split("x")) for item in p.parse_args().sizes.split(",")]
    derive.gamma("sigmoid"), derive.gamma("tanh")  # warm the gamma cache: measure the chain checks
    rows = []
    for dim, lag in sizes:
        started = time.perf_counter()
        derive.build(derive.Config(dim=dim, lag=lag), sections=("chain",))
        rows.append((dim, lag, time.perf_counter() - started))
        print(f"d = {dim}, t-k = {lag}: {rows[-1][2]:.1f} s", flush=True)
    base = rows[0][2]
    print("\nsize      seconds  ratio to first")
    for dim, lag, seconds in rows:
        print(f"{dim}x{lag:<7} {seconds:7.1f}  {seconds / base:6.1f}")


if __name__ == "__main__":
    main()
