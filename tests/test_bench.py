"""The benchmark runner measures what it says: its floor computes the very product chain_norms takes the norm of.

The runner itself is run by hand (``python -m bench``); here only its pieces, quickly, and never a time.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

from verify import chain_norms

ROOT = Path(__file__).resolve().parent.parent


def _runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_floor_is_the_whole_chain_product() -> None:
    """||floor product||_2 = ||ds_T/ds_0||_2 = chain_norms[0]: the floor does the product work and nothing less."""
    run = _runner()
    for activation in ("tanh", "sigmoid"):
        W, U, b, xs = run.network(6, 30)
        product = run.product_floor(W, U, b, xs, activation)
        assert np.isclose(np.linalg.norm(product, 2), chain_norms(W, U, b, xs, activation=activation)[0], rtol=1e-10)


def test_medians_alternate_and_time_every_contender() -> None:
    run = _runner()
    calls: list[str] = []
    times = run.medians({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, 3)
    assert calls == ["a", "b"] * 3 and set(times) == {"a", "b"} and all(t >= 0 for t in times.values())


def test_the_framework_contenders_compute_the_same_norms() -> None:
    """Where PyTorch or JAX is installed (the bench extra), its contender gives chain_norms' values, lag 1 first: it does
    the same work, so the ratio compares like with like. Each runs in a fresh interpreter: JAX starts threads that a
    later fork of this test process (the builds' workers) must not inherit."""
    for name in ("torch", "jax"):
        code = f"""
import importlib.util, sys
import numpy as np
sys.path.insert(0, {str(ROOT)!r})
from bench.run import network, {name}_method
from verify import chain_norms
method = {name}_method()
assert (method is None) == (importlib.util.find_spec({name!r}) is None)  # offered exactly where it is installed
if method is not None:
    W, U, b, xs = network(6, 20)
    for ord in (2, "fro"):
        theirs = np.array([float(v) for v in method(W, U, b, xs, "tanh", ord)])
        np.testing.assert_allclose(theirs, chain_norms(W, U, b, xs, activation="tanh", ord=ord)[::-1], rtol=1e-9)
"""
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
