"""The LSTM's one-step Jacobian: the check passes the four printed blocks and stops every mutation of them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sympy as sp

import derive
from derive.expressions import Conjunction

PRINTED = derive.statement("lstm")
CELL, CELL_H, H_CELL, H_H = PRINTED.args
NAMES = {m.name: m for m in PRINTED.atoms(sp.MatrixSymbol)}


def _swap(block: sp.Eq, old: str, new: str) -> sp.Eq:
    return sp.Eq(block.lhs, block.rhs.xreplace({NAMES[old]: NAMES[new]}), evaluate=False)


def _with(n: int, block: sp.Eq) -> Conjunction:
    blocks = list(PRINTED.args)
    blocks[n] = block
    return Conjunction(*blocks)


MUTATIONS: dict[str, Callable[[], Conjunction]] = {
    "the cell path through i_t": lambda: _with(0, _swap(CELL, "f_t", "i_t")),
    "W_f and W_i swapped": lambda: _with(1, sp.Eq(CELL_H.lhs, CELL_H.rhs.xreplace({NAMES["W_f"]: NAMES["W_i"], NAMES["W_i"]: NAMES["W_f"]}), evaluate=False)),
    "the candidate's term dropped": lambda: _with(1, sp.Eq(CELL_H.lhs, sp.MatAdd(*CELL_H.rhs.args[:2]), evaluate=False)),
    "o_t for f_t in dh_t/dc_{t-1}": lambda: _with(2, _swap(H_CELL, "f_t", "i_t")),
    "W_o for W_f in dh_t/dh_{t-1}": lambda: _with(3, _swap(H_H, "W_o", "W_f")),
    "the output gate's slope dropped": lambda: _with(3, sp.Eq(H_H.lhs, H_H.rhs.args[1], evaluate=False)),
    "a block dropped": lambda: Conjunction(CELL, CELL_H, H_CELL),
}


def test_the_printed_statement_passes() -> None:
    result = derive.check_statement("lstm", PRINTED)
    assert result.comparisons >= 20


@pytest.mark.parametrize("name", MUTATIONS)
def test_a_mutated_statement_is_rejected(name: str) -> None:
    mutated = MUTATIONS[name]()
    assert mutated != PRINTED
    with pytest.raises(derive.CheckFailed, match="statement 'lstm'"):
        derive.check_statement("lstm", mutated)


GRU = derive.statement("gru")
(GRU_BLOCK,) = GRU.args
GRU_NAMES = {m.name: m for m in GRU.atoms(sp.MatrixSymbol)}


def _gru_swap(old: str, new: str) -> Conjunction:
    return Conjunction(sp.Eq(GRU_BLOCK.lhs, GRU_BLOCK.rhs.xreplace({GRU_NAMES[old]: GRU_NAMES[new]}), evaluate=False))


GRU_MUTATIONS: dict[str, Callable[[], Conjunction]] = {
    "z_t for r_t": lambda: _gru_swap("r_t", "z_t"),
    "W_r for W_z": lambda: _gru_swap("W_z", "W_r"),
    "the skip path dropped": lambda: Conjunction(sp.Eq(GRU_BLOCK.lhs, sp.MatAdd(*GRU_BLOCK.rhs.args[1:]), evaluate=False)),
    "h_{t-1} for u_t": lambda: _gru_swap("u_t", "h_{t-1}"),
}


def test_the_printed_gru_passes() -> None:
    assert derive.check_statement("gru", GRU).comparisons >= 5


@pytest.mark.parametrize("name", GRU_MUTATIONS)
def test_a_mutated_gru_is_rejected(name: str) -> None:
    mutated = GRU_MUTATIONS[name]()
    assert mutated != GRU
    with pytest.raises(derive.CheckFailed, match="statement 'gru'"):
        derive.check_statement("gru", mutated)
