"""Statements 1 to 5: the printed statements pass their checks, and every mutation of them is rejected naming the label."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sympy as sp

from derive.chain import CHECKS, matrix_check
from derive.checks import CheckContext, run_check
from derive.config import Config
from derive.errors import CheckFailed
from derive.expressions import Jacobian, Ordered
from derive.printing import latex
from derive.statements import Statements

SMALL = CheckContext(Config(dim=2, lag=2))
ST: Statements = SMALL.statements
M = SMALL.model
t, k, j = ST.idx.t, ST.idx.k, ST.idx.j
W_PQ = ST.weight_entry
DIAG = ST.per_step.rhs.args[0]


def _sum(summand: sp.Expr, lower: sp.Expr, upper: sp.Expr, lhs: Jacobian | None = None) -> sp.Eq:
    return sp.Eq(lhs if lhs is not None else ST.bptt_sum.lhs, sp.Sum(summand, (k, lower, upper)), evaluate=False)


GRAD, CHAIN, IMMEDIATE = ST.bptt_sum.rhs.function.args


def _product(factor: Jacobian, lower: sp.Expr, upper: sp.Expr, order: str = "later-left") -> sp.Eq:
    return sp.Eq(ST.product.lhs, Ordered(factor, j, lower, upper, order), evaluate=False)


def _eq(label: str, rhs: sp.Basic) -> sp.Eq:
    return sp.Eq(ST[label].lhs, rhs, evaluate=False)


MUTATIONS: dict[str, tuple[str, Callable[[], sp.Basic]]] = {
    "summand: total derivative for the immediate partial": ("bptt-sum", lambda: _sum(GRAD * CHAIN * Jacobian(ST.state(k), W_PQ, "total"), 1, t)),
    "summand: factors reordered": ("bptt-sum", lambda: _sum(CHAIN * GRAD * IMMEDIATE, 1, t)),
    "summand: last two factors swapped": ("bptt-sum", lambda: _sum(GRAD * IMMEDIATE * CHAIN, 1, t)),
    "sum from k = 2": ("bptt-sum", lambda: _sum(GRAD * CHAIN * IMMEDIATE, 2, t)),
    "sum to t - 1": ("bptt-sum", lambda: _sum(GRAD * CHAIN * IMMEDIATE, 1, t - 1)),
    "sum from k = 0": ("bptt-sum", lambda: _sum(GRAD * CHAIN * IMMEDIATE, 0, t)),
    "left side a partial": ("bptt-sum", lambda: _sum(GRAD * CHAIN * IMMEDIATE, 1, t, Jacobian(ST.name("loss", t), W_PQ, "partial"))),
    "product reversed": ("product", lambda: _product(ST.one_step, k + 1, t, "earlier-left")),
    "product from j = k": ("product", lambda: _product(ST.one_step, k, t)),
    "product from j = k + 2": ("product", lambda: _product(ST.one_step, k + 2, t)),
    "product to t - 1": ("product", lambda: _product(ST.one_step, k + 1, t - 1)),
    "factor shifted": ("product", lambda: _product(Jacobian(ST.state(j + 1), ST.state(j)), k + 1, t)),
    "off-diagonal term added": ("diagonal", lambda: _eq("diagonal", ST.diagonal.rhs + (sp.OneMatrix(M.d, M.d) - sp.Identity(M.d)))),
    "phi for phi'": ("diagonal", lambda: _eq("diagonal", sp.DiagMatrix(M.elementwise(M.phi, M.a_j)))),
    "W transposed": ("weight", lambda: _eq("weight", M.W.T)),
    "W times 2": ("weight", lambda: _eq("weight", 2 * M.W)),
    "diag dropped": ("per-step", lambda: _eq("per-step", M.W)),
    "order swapped": ("per-step", lambda: _eq("per-step", M.W * DIAG)),
    "W transposed in one step": ("per-step", lambda: _eq("per-step", DIAG * M.W.T)),
    "one step times 2": ("per-step", lambda: _eq("per-step", 2 * DIAG * M.W)),
}


@pytest.mark.parametrize("label", list(CHECKS))
def test_the_printed_statement_passes(label: str) -> None:
    result = run_check(CHECKS, label, ST[label], SMALL)
    assert result.label == label and result.comparisons > 0
    assert result.method and result.instance


def test_the_default_instance_passes_and_counts_its_comparisons() -> None:
    context = CheckContext(Config())
    d, pairs = context.instance.dim, len(context.pairs)
    counts = {label: run_check(CHECKS, label, context.statements[label], context).comparisons for label in CHECKS}
    assert counts["bptt-sum"] == pairs * d * d  # one scalar per entry W_pq and activation
    assert counts["product"] == pairs * d * d
    assert all(counts[label] == pairs * d * d + d * d + 1 for label in ("diagonal", "weight", "per-step"))


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_a_mutation_is_rejected(name: str) -> None:
    label, build = MUTATIONS[name]
    with pytest.raises(CheckFailed, match=f"'{label}'"):
        run_check(CHECKS, label, build(), SMALL)


@pytest.mark.parametrize("label", ["weight", "per-step"])
def test_the_layout_conversion_left_out_is_rejected(label: str) -> None:
    """SymPy's raw denominator layout (W^T ...) differs from the explicit Jacobian for a general, non-symmetric W."""
    with pytest.raises(CheckFailed, match=f"'{label}'.*layout"):
        run_check({label: matrix_check(label, layout=lambda raw: raw)}, label, ST[label], SMALL)


def test_the_printed_forms_show_kind_and_order() -> None:
    assert latex(W_PQ) == "W_{pq}"
    assert r"\frac{\mathrm{d} L_{t}}{\mathrm{d} W_{pq}}" in latex(ST.bptt_sum)
    assert r"\frac{\partial^{+} s_{k}}{\partial W_{pq}}" in latex(ST.bptt_sum)
    later = latex(ST.product.rhs)
    earlier = latex(Ordered(ST.one_step, j, k + 1, t, "earlier-left"))
    assert later.startswith(r"\frac{\partial s_{t}}{\partial s_{t-1}}") and later.endswith(r"\frac{\partial s_{k+1}}{\partial s_{k}}")
    assert earlier.startswith(r"\frac{\partial s_{k+1}}{\partial s_{k}}") and earlier != later


def test_the_factor_count_is_read_from_the_product() -> None:
    assert len(ST.product.rhs.factors({t: 4, k: 1})) == 3
    assert len(ST.product.rhs.factors({t: 20, k: 1})) == 19
