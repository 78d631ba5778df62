"""The linear case (statements 12 to 14): each check passes its printed statement and stops every mutation of it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sympy as sp

import derive
from derive.expressions import Chain, Jacobian, Norm
from derive.statements import Indices

POWER, DIAGONALISED, GELFAND = (derive.statement(label) for label in ("linear-power", "diagonalised", "gelfand"))
W = POWER.rhs.base
LAG = POWER.rhs.exp
PREMISE, _, CONCLUSION = DIAGONALISED.args
Q, LAMBDA = (next(m for m in PREMISE.rhs.atoms(sp.MatrixSymbol) if name in m.name) for name in ("Q", "Lambda"))
N = CONCLUSION.lhs.exp
RHO, _, MIDDLE, _, LARGEST = GELFAND.args


@pytest.mark.parametrize("label", ["linear-power", "diagonalised", "gelfand"])
def test_the_printed_statement_passes(label: str) -> None:
    result = derive.check_statement(label, derive.statement(label))
    assert result.comparisons >= 8 and result.summary


MUTATIONS: dict[str, Callable[[], sp.Basic]] = {
    "linear-power: one power too many": lambda: sp.Eq(POWER.lhs, sp.MatPow(W, LAG + 1), evaluate=False),
    "linear-power: W transposed": lambda: sp.Eq(POWER.lhs, sp.MatPow(W.T, LAG), evaluate=False),
    "linear-power: the Jacobian of a later state": lambda: sp.Eq(
        Jacobian(POWER.lhs.numerator.base[Indices().t + 1], POWER.lhs.denominator), POWER.rhs, evaluate=False
    ),
    "diagonalised: Q and its inverse swapped": lambda: Chain(PREMISE, "=>", sp.Eq(CONCLUSION.lhs, Q.I * sp.MatPow(LAMBDA, N) * Q, evaluate=False)),
    "diagonalised: Lambda to the n + 1": lambda: Chain(PREMISE, "=>", sp.Eq(CONCLUSION.lhs, Q * sp.MatPow(LAMBDA, N + 1) * Q.I, evaluate=False)),
    "diagonalised: Q transposed for its inverse": lambda: Chain(sp.Eq(W, Q * LAMBDA * Q.T, evaluate=False), "=>", CONCLUSION),
    "gelfand: the chain reversed": lambda: Chain(LARGEST, "<=", MIDDLE, "<=", RHO),
    "gelfand: no root": lambda: Chain(RHO, "<=", Norm(sp.MatPow(W, N)), "<=", LARGEST),
    "gelfand: the root of order n + 1": lambda: Chain(RHO, "<=", sp.Pow(Norm(sp.MatPow(W, N)), 1 / (N + 1), evaluate=False), "<=", LARGEST),
    "gelfand: lambda for rho": lambda: Chain(LARGEST, "<=", MIDDLE, "<=", LARGEST),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_a_mutated_statement_is_rejected(name: str) -> None:
    label = name.split(":")[0]
    mutated = MUTATIONS[name]()
    assert mutated != derive.statement(label)
    with pytest.raises(derive.CheckFailed, match=f"statement '{label}'"):
        derive.check_statement(label, mutated)


def test_the_diagonalisation_premise_must_define_w() -> None:
    with pytest.raises(derive.CheckFailed, match="the premise defines"):
        derive.check_statement("diagonalised", Chain(sp.Eq(W.T, PREMISE.rhs, evaluate=False), "=>", CONCLUSION))


def test_the_gelfand_instances_are_what_the_account_says() -> None:
    """Non-normal instances where rho(W) is well below ||W||_2, symmetric witnesses where they agree; the printed counts
    are the instances' own."""
    import numpy as np

    from verify.numeric_checks import GELFAND_MATRICES, gelfand_matrices

    matrices = gelfand_matrices()
    witnesses = [W for W, witness in matrices if witness]
    assert all(np.array_equal(W, W.T) for W in witnesses) and len(matrices) - len(witnesses) == GELFAND_MATRICES
    gaps = [max(abs(np.linalg.eigvals(W))) / np.linalg.norm(W, 2) for W, witness in matrices if not witness]
    assert min(gaps) < 0.5  # some W far from normal: the statement is tested where rho and lambda differ
    result = derive.check_statement("gelfand", GELFAND)
    counts = [item for item in result.instance if isinstance(item, sp.Integer)]
    assert counts[:2] == [GELFAND_MATRICES, len(witnesses)]
