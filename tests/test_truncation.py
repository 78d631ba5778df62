"""Truncated BPTT (statement 15): the check reads the printed bound (its tail must be the geometric series, summed
exactly) and proves it on networks with gamma lambda < 1 in ball arithmetic; every mutation is stopped."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sympy as sp

import derive
import verify.numeric_checks as numeric_checks
from derive.expressions import Chain

PRINTED = derive.statement("truncation")
PREMISE, _, DROPPED, _, BOUND = PRINTED.args
TOTAL = DROPPED.args[0]
K, LOWER, UPPER = TOTAL.limits[0]
NORM_LOSS, LARGEST, POWER, DENOMINATOR = BOUND.args
RATE = PREMISE.lhs


def _with(premise: sp.Basic = PREMISE, dropped: sp.Basic = DROPPED, bound: sp.Basic = BOUND) -> Chain:
    return Chain(premise, "=>", dropped, "<=", bound)


def _bound(*factors: sp.Expr) -> sp.Expr:
    return sp.Mul(*factors, evaluate=False)


MUTATIONS: dict[str, Callable[[], Chain]] = {
    "one power more": lambda: _with(bound=_bound(NORM_LOSS, LARGEST, sp.Pow(RATE, POWER.exp + 1), DENOMINATOR)),
    "1 + rate below": lambda: _with(bound=_bound(NORM_LOSS, LARGEST, POWER, sp.Pow(1 + RATE, -1))),
    "no geometric sum": lambda: _with(bound=_bound(NORM_LOSS, LARGEST, POWER)),
    "the largest immediate partial dropped": lambda: _with(bound=_bound(NORM_LOSS, POWER, DENOMINATOR)),
    "rate <= 1": lambda: _with(premise=sp.Le(RATE, 1)),
    "one term more dropped than bounded": lambda: _with(dropped=sp.Abs(sp.Sum(TOTAL.function, (K, LOWER, UPPER + 1)))),
    "the dropped terms from k = 2": lambda: _with(dropped=sp.Abs(sp.Sum(TOTAL.function, (K, 2, UPPER)))),
    "a summand other than statement 1's": lambda: _with(dropped=sp.Abs(sp.Sum(sp.Mul(*TOTAL.function.args[:2]), (K, LOWER, UPPER)))),
}


def test_the_printed_statement_passes() -> None:
    result = derive.check_statement("truncation", PRINTED)
    assert result.comparisons > 100


@pytest.mark.parametrize("name", MUTATIONS)
def test_a_mutated_statement_is_rejected(name: str) -> None:
    mutated = MUTATIONS[name]()
    assert mutated != PRINTED
    with pytest.raises(derive.CheckFailed, match="statement 'truncation'"):
        derive.check_statement("truncation", mutated)


def test_the_numbers_alone_catch_a_bound_too_small(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the exact tail comparison switched off, a bound a thousand times too small fails on the enclosed numbers:
    the numeric part compares, it does not only run."""
    monkeypatch.setattr(numeric_checks, "_geometric_tail", lambda *args: None)
    small = _with(bound=_bound(sp.Rational(1, 1000), NORM_LOSS, LARGEST, POWER, DENOMINATOR))
    with pytest.raises(derive.CheckFailed, match="the dropped terms exceed the bound"):
        derive.check_statement("truncation", small)


def test_the_terms_sum_to_the_derivative_of_the_loss() -> None:
    """The check's terms of statement 1 (ball arithmetic, from the chain) sum over every k to dL/dW_pq for L = g . s_T,
    which central differences of the network itself give independently (to about 1e-9): the dropped sum the check
    bounds is made of the right terms (steps, states, slopes and columns)."""
    import numpy as np

    from verify.enclose import ball_activation, precision, tight_chain
    from verify.engine import run
    from verify.numeric_checks import bptt_terms, networks

    def loss(W: np.ndarray, net: object, g: np.ndarray) -> float:
        pre = run(W, net.U, net.b, net.xs, net.s0, "tanh")  # type: ignore[attr-defined]
        return float(g @ np.tanh(pre[-1]))

    rng = np.random.default_rng(3)
    checked = 0
    for name, net in networks(("tanh",))[:6]:
        d = net.W.shape[0]
        p, q = int(rng.integers(d)), int(rng.integers(d))
        g = rng.standard_normal(d)
        chain, _, bits = tight_chain(net.W, net.U, net.b, net.xs, net.s0, name)
        with precision(bits):
            from flint import arb

            terms, _ = bptt_terms(chain, ball_activation(name), net.s0, [arb(float(x)) for x in g], p, q)
            total = float(sum(terms, arb(0)).mid())
        h = 1e-6
        up, down = net.W.copy(), net.W.copy()
        up[p, q] += h
        down[p, q] -= h
        numeric = (loss(up, net, g) - loss(down, net, g)) / (2 * h)
        assert abs(total - numeric) <= 1e-6 * max(1.0, abs(numeric)), (name, d, total, numeric)
        checked += 1
    assert checked == 6
