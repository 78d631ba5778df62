"""The benchmark runner: every measurement in one process, contenders alternated, medians of several runs, ratios.

These machines are shared and noisy, so the figures to read are the ratios measured in one run, not seconds across
runs. ``python -m bench`` (or ``python bench/run.py``) prints each table and writes bench/results.md with the machine it
ran on; ``--quick`` runs the smallest sizes only (a smoke run, also used by the tests).

1. chain_norms against the plain reference and against the product-only floor (the d x d products of the one-step
   Jacobians and nothing else; no method can do less), with PyTorch's and JAX's best hand-written methods when they are
   installed, over (d, T), tanh and sigmoid, the 2- and Frobenius norms; the largest relative difference to the reference.
2. The peak memory chain_norms allocates beyond its inputs (tracemalloc), against d^2 and T d^2 doubles.
3. The batched property path (chain_bounds_batched) against a per-case loop computing the same quantities (the 2-norms,
   the magnitudes of the error bound, the slope error): random cases per second.
4. python -m derive end to end (a subprocess, best of 3, defaults and --dim 4 --lag 4), and each check's time as d and t-k
   grow.
5. The rigorous enclosure (verify.enclose_chain_norms) at the sizes the report uses.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from verify import chain_norms, chain_norms_reference, enclose_chain_norms  # noqa: E402
from verify.activations import numeric  # noqa: E402
from verify.engine import chain_bounds, chain_bounds_batched  # noqa: E402

SIZES = ((16, 100), (64, 200), (128, 500), (256, 1000))
QUICK_SIZES = ((16, 100), (64, 200))
INPUT_DIM = 8
#: Below this the plain reference is no yardstick: its Frobenius norm squares entries (which underflow under 1e-154)
#: and its products go subnormal. chain_norms rescales by powers of two and stays accurate there.
FAR_FROM_UNDERFLOW = 1e-150


#: Seconds to wait, untimed, after a contender whose threads stay busy once it has returned: XLA's thread pool spins for
#: a while after each JAX call, and chain_norms run straight after one took 2.7 times as long (0.2 s of rest: 1.0). JAX
#: is therefore timed in rounds of its own against chain_norms, which runs after the rest, from cold: if anything its
#: ratio is understated.
SETTLE = {"jax": 0.3}


def medians(contenders: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """The median wall time of each contender over ``runs`` rounds, the contenders alternated within each round (with
    SETTLE's rest after those that leave busy threads behind)."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, function in contenders.items():
            started = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - started)
            time.sleep(SETTLE.get(name, 0.0))
    return {name: statistics.median(values) for name, values in times.items()}


def network(d: int, T: int, seed: int = 0) -> tuple[Any, Any, Any, Any]:
    """A random RNN near the edge of stability (||W||_2 about 1.2): W, U, b, xs."""
    rng = np.random.default_rng(seed)
    W = 1.2 * rng.standard_normal((d, d)) / np.sqrt(d)
    return W, rng.standard_normal((d, INPUT_DIM)), 0.1 * rng.standard_normal(d), rng.standard_normal((T, INPUT_DIM))


def forward_slopes(W: Any, U: Any, b: Any, xs: Any, activation: str) -> list[Any]:
    """The forward run from s_0 = 0: |phi'(a_j)| for j = 1..T."""
    act = numeric(activation)
    s = np.zeros(W.shape[0])
    slopes = []
    for x in xs:
        a = W @ s + U @ x + b
        slopes.append(act.slope(a))
        s = act.phi(a)
    return slopes


def product_floor(W: Any, U: Any, b: Any, xs: Any, activation: str) -> Any:
    """The product-only floor: the forward run and the T products diag(phi'(a_j)) W accumulated, no norm at all."""
    P = np.eye(W.shape[0])
    for slope in reversed(forward_slopes(W, U, b, xs, activation)):
        P = P @ (slope[:, None] * W)
    return P


def torch_method() -> Callable[[Any, Any, Any, Any, str, Any], Any] | None:
    """PyTorch's best hand-written route, when torch is installed: the rows scaled by phi', then matrix_norm per lag."""
    try:
        import torch
    except ImportError:
        return None

    def run(W: Any, U: Any, b: Any, xs: Any, activation: str, ord: Any) -> Any:
        Wt = torch.from_numpy(W)
        P = torch.eye(W.shape[0], dtype=torch.float64)
        out = []
        for slope in reversed(forward_slopes(W, U, b, xs, activation)):
            P = P @ (torch.from_numpy(slope)[:, None] * Wt)
            out.append(torch.linalg.matrix_norm(P, ord=2 if ord == 2 else "fro"))
        return out

    return run


def jax_method() -> Callable[[Any, Any, Any, Any, str, Any], Any] | None:
    """JAX's best hand-written route, when jax is installed: the same product, rows scaled by phi', and a norm per lag, in
    one jitted lax.scan in float64 (compiled once per shape, before the timed rounds)."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def scan(slopes: Any, W: Any, ord: Any) -> Any:
        def step(P: Any, s: Any) -> Any:
            P = P @ (s[:, None] * W)
            return P, jnp.linalg.norm(P, ord=2 if ord == 2 else "fro")

        return jax.lax.scan(step, jnp.eye(W.shape[0], dtype=W.dtype), slopes)[1]

    chain = jax.jit(scan, static_argnames="ord")

    def run(W: Any, U: Any, b: Any, xs: Any, activation: str, ord: Any) -> Any:
        slopes = np.stack(forward_slopes(W, U, b, xs, activation)[::-1])  # the last step first, as the product grows
        return np.asarray(chain(slopes, W, ord=ord))  # waits for the values

    return run


def chain_table(sizes: tuple[tuple[int, int], ...], runs: int) -> list[str]:
    lines = [
        "| d | T | activation | norm | reference / chain_norms | chain_norms / floor | torch / chain_norms | jax / chain_norms | largest relative difference |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    torch_run, jax_run = torch_method(), jax_method()
    for d, T in sizes:
        W, U, b, xs = network(d, T)
        for activation in ("tanh", "sigmoid"):
            for ord in (2, "fro"):
                contenders: dict[str, Callable[[], object]] = {
                    "chain_norms": partial(chain_norms, W, U, b, xs, activation=activation, ord=ord),
                    "reference": partial(chain_norms_reference, W, U, b, xs, activation=activation, ord=ord),
                    "floor": partial(product_floor, W, U, b, xs, activation),
                }
                if torch_run is not None:
                    contenders["torch"] = partial(torch_run, W, U, b, xs, activation, ord)
                t = medians(contenders, runs)
                if jax_run is not None:  # in rounds of its own: its thread pool would slow the contender after it
                    jax_call = partial(jax_run, W, U, b, xs, activation, ord)
                    jax_call()  # compiled for this shape before the timed rounds
                    time.sleep(SETTLE["jax"])
                    paired = medians({"jax": jax_call, "chain_norms": contenders["chain_norms"]}, runs)
                    t["jax"] = paired["jax"] * t["chain_norms"] / paired["chain_norms"]  # the ratio of its own rounds
                fast = chain_norms(W, U, b, xs, activation=activation, ord=ord)
                ref = chain_norms_reference(W, U, b, xs, activation=activation, ord=ord)
                normal = ref > FAR_FROM_UNDERFLOW  # nearer the underflow threshold the reference's plain products lose digits
                difference = f"{float(np.max(np.abs(fast[normal] / ref[normal] - 1))):.1e}"
                if not normal.all():
                    difference += f" (on the {int(normal.sum())} of {T} lags where the reference is above 1e-150)"
                versus = {name: f"{t[name] / t['chain_norms']:.1f}x" if name in t else f"{name} not installed" for name in ("torch", "jax")}
                lines.append(
                    f"| {d} | {T} | {activation} | {ord} | {t['reference'] / t['chain_norms']:.1f}x | {t['chain_norms'] / t['floor']:.2f}x "
                    f"| {versus['torch']} | {versus['jax']} | {difference} |"
                )
                print(lines[-1], flush=True)
    return lines


def memory_table(sizes: tuple[tuple[int, int], ...]) -> list[str]:
    lines = ["| d | T | peak beyond the inputs | d^2 doubles | T d^2 doubles | peak / d^2 |", "|---|---|---|---|---|---|"]
    for d, T in sizes:
        W, U, b, xs = network(d, T)
        tracemalloc.start()
        chain_norms(W, U, b, xs)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        square = 8 * d * d
        lines.append(f"| {d} | {T} | {peak / 2**20:.2f} MiB | {square / 2**20:.2f} MiB | {T * square / 2**20:.1f} MiB | {peak / square:.1f} |")
        print(lines[-1], flush=True)
    return lines


def batched_table(cases: int, runs: int) -> list[str]:
    d, T = 8, 50
    rng = np.random.default_rng(1)
    W = rng.standard_normal((cases, d, d)) / np.sqrt(d)
    U, b, xs = rng.standard_normal((cases, d, 2)), rng.standard_normal((cases, d)), rng.standard_normal((cases, T, 2))

    def loop() -> None:  # the same quantities as chain_bounds_batched, case by case: 2-norms, magnitudes, slope error
        for i in range(cases):
            chain_bounds(W[i], U[i], b[i], xs[i])

    chain_bounds_batched(W[:1], U[:1], b[:1], xs[:1])  # Numba's compiled certificate loaded before the timed rounds
    t = medians({"batched": lambda: chain_bounds_batched(W, U, b, xs), "loop": loop}, runs)
    line = f"| {d} | {T} | {cases} | {cases / t['batched']:.0f} | {cases / t['loop']:.0f} | {t['loop'] / t['batched']:.1f}x |"
    print(line, flush=True)
    return ["| d | lag | cases | batched cases/s | loop cases/s | batched / loop |", "|---|---|---|---|---|---|", line]


def derive_table(sizes: tuple[tuple[int, int], ...], repeats: int = 3) -> list[str]:
    import derive
    from derive.app import checker_registry
    from derive.checks import CheckContext, run_check
    from derive.statements import LABELS

    lines = []
    for extra in ((), ("--dim", "4", "--lag", "4")):
        command = " ".join(("python -m derive", *extra))
        times = []
        with tempfile.TemporaryDirectory() as scratch:
            for _ in range(repeats):
                started = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "derive", "--quiet", "--out", scratch, *extra], cwd=ROOT, capture_output=True, text=True)
                times.append(time.perf_counter() - started)
                if done.returncode:
                    raise SystemExit(f"{command} failed (exit {done.returncode}): {done.stderr.strip()}")
        shown = ", ".join(f"{t:.2f}" for t in times)
        lines.append(f"`{command}` (a fresh process each time, writing a whole output set): best of {repeats} {min(times):.2f} s ({shown}).")
    lines.append("")
    checkers = checker_registry()
    derive.gamma("sigmoid"), derive.gamma("tanh")  # the derivations once, outside the per-check times
    header = "| d | t-k | " + " | ".join(LABELS) + " | total |"
    lines += [header, "|" + "---|" * (len(LABELS) + 3)]
    for d, lag in sizes:
        context = CheckContext(derive.Config(dim=d, lag=lag))
        times = []
        for label in LABELS:
            t0 = time.perf_counter()
            run_check(checkers, label, context.statements[label], context)
            times.append(time.perf_counter() - t0)
        lines.append(f"| {d} | {lag} | " + " | ".join(f"{x:.2f}" for x in times) + f" | {sum(times):.1f} |")
        print(lines[-1], flush=True)
    return lines


def enclosure_table(runs: int) -> list[str]:
    lines = ["| d | T | enclose_chain_norms | chain_norms | ratio |", "|---|---|---|---|---|"]
    for d, T in ((3, 4), (8, 50), (16, 50)):
        W, U, b, xs = network(d, T)
        t = medians({"enclose": partial(enclose_chain_norms, W, U, b, xs), "float": partial(chain_norms, W, U, b, xs)}, runs)
        lines.append(f"| {d} | {T} | {t['enclose'] * 1e3:.1f} ms | {t['float'] * 1e3:.2f} ms | {t['enclose'] / t['float']:.0f}x |")
        print(lines[-1], flush=True)
    return lines


def machine() -> str:
    cpus = os.cpu_count()
    blas = "unknown"
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]["name"]
    except Exception:  # noqa: BLE001 (older numpy: no dict mode)
        pass
    where = f"{platform.platform()}, {platform.processor() or platform.machine()}, {cpus} CPUs"
    import numba

    return f"{where}, Python {platform.python_version()}, NumPy {np.__version__} (BLAS: {blas}), Numba {numba.__version__}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="the smallest sizes only, one round (a smoke run)")
    p.add_argument("--runs", type=int, default=5, help="rounds per measurement; the median is reported (default: %(default)s)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results.md", help="where to write the results (default: bench/results.md)")
    p.add_argument("--derive-sizes", default="1x1,2x2,3x3,3x5,4x4,4x5", help="DxL list for the per-check times (default: %(default)s)")
    options = p.parse_args(argv)
    runs = 1 if options.quick else options.runs
    sizes = QUICK_SIZES if options.quick else SIZES
    derive_sizes = ((1, 1), (2, 2)) if options.quick else tuple(tuple(int(v) for v in item.split("x")) for item in options.derive_sizes.split(","))
    started = time.perf_counter()
    sections = [
        ("1. chain_norms: ratios of median times", chain_table(sizes, runs)),
        ("2. Peak memory of chain_norms (2-norm, tanh)", memory_table(sizes)),
        ("3. The batched property path against a per-case loop", batched_table(64 if options.quick else 512, runs)),
        ("4. The symbolic side: seconds per check", derive_table(derive_sizes, 1 if options.quick else 3)),  # type: ignore[arg-type]
        ("5. The rigorous enclosure at the report's sizes", enclosure_table(runs)),
    ]
    text = [
        "# Benchmark results",
        "",
        f"Written by `python -m bench{' --quick' if options.quick else ''}` on {time.strftime('%Y-%m-%d')}: {machine()}.",
        f"Medians of {runs} round{'s' if runs != 1 else ''}, contenders alternated within each round; "
        f"the whole run took {time.perf_counter() - started:.0f} s.",
        "The machine is shared: read the ratios, which come from one run, not the seconds.",
        "",
    ]
    for title, lines in sections:
        text += [f"## {title}", "", *lines, ""]
    options.out.write_text("\n".join(text))
    print(f"wrote {options.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
