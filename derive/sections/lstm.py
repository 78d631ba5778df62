"""The LSTM's one-step Jacobian on the pair (c, h): four blocks, with dc_t/dc_{t-1} = diag(f_t), the path along which
the cell carries a gradient over long lags (the check is here: exact, on explicit instances)."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..checks import CheckContext, Tally, fail_unless, run_check
from ..config import Config
from ..document import CheckResult, Paragraph, Section, Statement
from ..errors import CheckFailed
from ..expressions import Conjunction, Jacobian
from ..graph_diff import GraphJacobian
from . import BuildContext

KEY = "lstm"
SIZES = (2,)  # d of the explicit instance (d = 2 has off-diagonal entries, which a transposed W would move); one input


def prepare(config: Config) -> dict[str, tuple[str, CheckResult]]:
    """The printed statements (as their srepr: an unevaluated equation does not survive pickling) and their checks, run
    where the build's preparations run (in a forked worker when it can: the checks take about half a second, which the
    symbolic checks of the main process cover)."""
    context = CheckContext(config)
    return {label: (sp.srepr(context.statements[label]), run_check(CHECKS, label, context.statements[label], context)) for label in ("lstm", "gru")}


def build(context: BuildContext) -> Section:
    math, result = context.established(KEY, prepare, "lstm")
    gru_math, gru_result = context.established(KEY, prepare, "gru")
    d, x = context.model.d, context.model.notation.input
    c = sp.MatrixSymbol("c_t", d, 1)
    intro = Paragraph(
        (
            "The LSTM adds a cell ",
            c,
            " beside the state ",
            sp.MatrixSymbol("h_t", d, 1),
            ". With the forget, input and output gates ",
            sp.Symbol(rf"f_t, i_t, o_t = \sigma(W_\ast h_{{t-1}} + U_\ast {x}_t + b_\ast)"),
            " and the candidate ",
            sp.Symbol(rf"g_t = \tanh(W_g h_{{t-1}} + U_g {x}_t + b_g)"),
            ", it sets ",
            sp.Symbol(r"c_t = f_t \circ c_{t-1} + i_t \circ g_t"),
            " and ",
            sp.Symbol(r"h_t = o_t \circ \tanh(c_t)"),
            ".",
        )
    )
    why = (
        "The chain rule through each gate: ",
        sp.Symbol(r"\sigma' = \sigma (1 - \sigma)"),
        " for the gates, ",
        sp.Symbol(r"\tanh' = 1 - \tanh^2"),
        " for the candidate and the output; ",
        c,
        " depends on ",
        sp.Symbol("c_{t-1}"),
        " only through ",
        sp.Symbol(r"f_t \circ c_{t-1}"),
        ".",
    )
    statement = Statement("lstm", "The LSTM's one-step Jacobian", math, why, (result,))
    after = Paragraph(
        (
            "Along the cell, the chain over a lag is ",
            sp.Symbol(r"\operatorname{diag}(f_t \circ f_{t-1} \circ \dots \circ f_{k+1})"),
            " with no weight matrix and no squashing slope in it: with forget gates near ",
            sp.Integer(1),
            " it does not vanish over long lags, whereas the plain network's chain, under the bound ",
            context.ref("bound"),
            ", decays at least geometrically when ",
            sp.Lt(context.statements.gamma * context.statements.lam, 1),
            ". The other blocks still carry the weights and the slopes.",
        ),
        "The cell path",
    )
    gru_intro = Paragraph(
        (
            "The GRU has one state and two gates: the update gate ",
            sp.Symbol("z_t"),
            " and the reset gate ",
            sp.Symbol("r_t"),
            " (both sigmoid), the candidate ",
            sp.Symbol(rf"u_t = \tanh(W_u (r_t \circ h_{{t-1}}) + U_u {x}_t + b_u)"),
            ", and ",
            sp.Symbol(r"h_t = (1 - z_t) \circ h_{t-1} + z_t \circ u_t"),
            ".",
        )
    )
    gru_why = (
        "The first term is the path that skips the step: with ",
        sp.Symbol("z_t"),
        " near ",
        sp.Integer(0),
        " it is near the identity, the GRU's counterpart of the LSTM's cell path; the others go through the gates and the candidate.",
    )
    gru = Statement("gru", "The GRU's one-step Jacobian", gru_math, gru_why, (gru_result,))
    return Section(KEY, "The LSTM and the GRU", (intro, statement, after, gru_intro, gru))


# -- the check ------------------------------------------------------------------------------------------------


def _vector(name: str, d: int) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(d, 1, lambda i, _: sp.Symbol(f"{name}{i + 1}"))


def _integers(rng: np.random.Generator, rows: int, cols: int) -> sp.ImmutableMatrix:
    """A matrix of nonzero integers in [-3, 3], drawn from ``rng``."""
    return sp.ImmutableMatrix(rows, cols, lambda i, j: sp.Integer(int(rng.choice([-3, -2, -1, 1, 2, 3]))))


def _rationals(rng: np.random.Generator, rows: int) -> sp.ImmutableMatrix:
    """A column of quarters in [-9/4, 9/4], drawn from ``rng``: a seeded point."""
    return sp.ImmutableMatrix(rows, 1, lambda i, _: sp.Rational(int(rng.integers(-9, 10)), 4))


def _compare(label: str, block: sp.Eq, target: sp.ImmutableMatrix, values: dict[str, sp.ImmutableMatrix], d: int, tally: Tally) -> None:
    """The printed right side of ``block``, its named matrices taken from ``values``, against ``target`` entry by entry,
    each exp and tanh application an indeterminate."""
    unknown = sorted(s.name for s in block.rhs.atoms(sp.MatrixSymbol) if s.name not in values)
    fail_unless(label, not unknown, f"{block.rhs} names {unknown}, which the step does not define")
    printed = _explicit(block.rhs, {s.name: values[s.name] for s in block.rhs.atoms(sp.MatrixSymbol)}, d, label)
    tally.require(printed.shape == target.shape, f"d = {d}: {block.lhs} is {target.shape}, the printed side {printed.shape}")
    for i in range(target.rows):
        for j in range(target.cols):
            equal = sp.cancel(_rational(printed[i, j] - target[i, j])) == 0
            tally.require(equal, "" if equal else f"d = {d}: {block} fails in entry ({i + 1}, {j + 1})")  # printed only when it fails


def _sigmoid(v: sp.MatrixBase) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(v.applyfunc(lambda z: 1 / (1 + sp.exp(-z))))


def _explicit(expr: sp.Basic, values: dict[str, sp.ImmutableMatrix], d: int, label: str) -> sp.ImmutableMatrix:
    """A printed matrix expression (sums, products, Hadamard products and powers, diag, the all-ones vector, named
    matrices) evaluated entry by entry on the instance, without SymPy's symbolic summation."""
    if isinstance(expr, sp.MatrixSymbol):
        return values[expr.name]
    if isinstance(expr, sp.OneMatrix):
        return sp.ImmutableMatrix.ones(d, 1)
    parts = [_explicit(a, values, d, label) if isinstance(a, sp.MatrixExpr) else a for a in expr.args]
    if isinstance(expr, sp.MatAdd):
        return sp.ImmutableMatrix(sum(parts[1:], parts[0]))
    if isinstance(expr, sp.MatMul):
        result = parts[0]
        for part in parts[1:]:
            result = result * part
        return sp.ImmutableMatrix(result)
    if isinstance(expr, sp.HadamardProduct):
        result = parts[0]
        for part in parts[1:]:
            result = result.multiply_elementwise(part)
        return sp.ImmutableMatrix(result)
    if isinstance(expr, sp.HadamardPower):
        return sp.ImmutableMatrix(parts[0].applyfunc(lambda x: x ** parts[1]))
    if isinstance(expr, sp.DiagMatrix):
        return sp.ImmutableMatrix(sp.diag(*parts[0]))
    raise CheckFailed(label, f"cannot evaluate {type(expr).__name__} {expr} on the instance")


def _rational(expr: sp.Expr) -> sp.Expr:
    """Each exp(.) and tanh(.) application as its own indeterminate: both sides become rational functions of them."""
    atoms = sorted(expr.atoms(sp.exp, sp.tanh), key=sp.default_sort_key)
    return expr.xreplace({a: sp.Symbol(f"_atom{n}") for n, a in enumerate(atoms)})


def check_lstm(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Each printed block against the Jacobian of an explicit LSTM step (seeded integer weights, the states symbols while
    it is differentiated), both at seeded rational states and input, entry by entry, every exp and tanh application an
    indeterminate: exact equality. The fourth block's printed dc_t/dh_{t-1} stands for the second block, computed afresh."""
    label = "lstm"
    tally = Tally(label)
    fail_unless(label, isinstance(math, Conjunction) and len(math.args) == 4, "expected the four blocks of the one-step Jacobian")
    rng = np.random.default_rng(17)
    for d in SIZES:
        m = 1
        h_prev, c_prev = _vector("h", d), _vector("c", d)
        x = _rationals(rng, m)  # not differentiated: a number
        W = {g: _integers(rng, d, d) for g in "fiog"}  # the instance's weights: small integers, distinct per gate
        U = {g: _integers(rng, d, m) for g in "fiog"}
        b = {g: _integers(rng, d, 1) for g in "fiog"}
        z = {g: W[g] * h_prev + U[g] * x + b[g] for g in "fiog"}
        gates = {g: _sigmoid(z[g]) for g in "fio"}
        g_t = sp.ImmutableMatrix(z["g"].applyfunc(sp.tanh))
        c_t = sp.ImmutableMatrix(gates["f"].multiply_elementwise(c_prev) + gates["i"].multiply_elementwise(g_t))
        tanh_c = sp.ImmutableMatrix(c_t.applyfunc(sp.tanh))
        h_t = sp.ImmutableMatrix(gates["o"].multiply_elementwise(tanh_c))
        graph_c, graph_h = GraphJacobian(list(c_prev)), GraphJacobian(list(h_prev))  # each shared node differentiated once
        explicit = {
            ("c_t", "c_{t-1}"): graph_c.jacobian(list(c_t)),
            ("c_t", "h_{t-1}"): graph_h.jacobian(list(c_t)),
            ("h_t", "c_{t-1}"): graph_c.jacobian(list(h_t)),
            ("h_t", "h_{t-1}"): graph_h.jacobian(list(h_t)),
        }
        values = {
            "f_t": gates["f"], "i_t": gates["i"], "o_t": gates["o"], "g_t": g_t, "c_{t-1}": c_prev, "c_t": c_t,
            r"\tanh(c_t)": tanh_c, "W_f": W["f"], "W_i": W["i"], "W_o": W["o"], "W_g": W["g"],
            r"\frac{\partial c_t}{\partial h_{t-1}}": explicit[("c_t", "h_{t-1}")],
        }  # fmt: skip
        # Both sides at seeded rational states and input: each entry then a number in exp(.) and tanh(.) of rationals,
        # compared exactly with those applications as indeterminates.
        point = dict(zip((*h_prev, *c_prev), _rationals(rng, 2 * d), strict=True))
        explicit = {key: sp.ImmutableMatrix(value.xreplace(point)) for key, value in explicit.items()}
        values = {name: sp.ImmutableMatrix(value.xreplace(point)) for name, value in values.items()}
        for block in math.args:
            fail_unless(label, isinstance(block, sp.Eq) and isinstance(block.lhs, Jacobian), f"{block} is not a Jacobian block")
            key = (str(block.lhs.numerator), str(block.lhs.denominator))
            fail_unless(label, key in explicit, f"{block.lhs} is not a block of the step (c_{{t-1}}, h_{{t-1}}) -> (c_t, h_t)")
            _compare(label, block, explicit[key], values, d, tally)
    return CheckResult(
        label,
        (
            "an explicit LSTM step (weights and biases seeded nonzero integers, distinct per gate), differentiated on its "
            "expression graph with the states as symbols; then both sides at seeded rational states and input: each printed "
            "block, evaluated there (the fourth block's ",
            sp.Symbol(r"\partial c_t / \partial h_{t-1}"),
            " the second block, computed afresh), against the Jacobian of the step, entry by entry, each exp and tanh "
            "application an indeterminate: exact equality of rational functions",
        ),
        ("every ", sp.Symbol("d"), " in ", sp.FiniteSet(*SIZES), ", one input"),
        tally.count,
        summary=("exactly, against the Jacobian of an explicit LSTM step at rational points, on ", sp.Le(sp.Symbol("d"), max(SIZES))),
    )


def check_gru(math: sp.Basic, context: CheckContext) -> CheckResult:
    """The GRU's printed Jacobian against the Jacobian of an explicit GRU step, as for the LSTM (seeded integer weights,
    graph differentiation, seeded rational states, exp and tanh applications as indeterminates)."""
    label = "gru"
    tally = Tally(label)
    fail_unless(label, isinstance(math, Conjunction) and len(math.args) == 1, "expected the one Jacobian of the GRU's step")
    (block,) = math.args
    fail_unless(label, isinstance(block, sp.Eq) and isinstance(block.lhs, Jacobian), f"{block} is not a Jacobian")
    fail_unless(label, (str(block.lhs.numerator), str(block.lhs.denominator)) == ("h_t", "h_{t-1}"), f"{block.lhs} is not dh_t/dh_(t-1)")
    rng = np.random.default_rng(19)
    for d in SIZES:
        m = 1
        h_prev = _vector("h", d)
        x = _rationals(rng, m)  # not differentiated: a number
        W = {g: _integers(rng, d, d) for g in "zru"}
        U = {g: _integers(rng, d, m) for g in "zru"}
        b = {g: _integers(rng, d, 1) for g in "zru"}
        z_t = _sigmoid(W["z"] * h_prev + U["z"] * x + b["z"])
        r_t = _sigmoid(W["r"] * h_prev + U["r"] * x + b["r"])
        u_t = sp.ImmutableMatrix((W["u"] * r_t.multiply_elementwise(h_prev) + U["u"] * x + b["u"]).applyfunc(sp.tanh))
        h_t = sp.ImmutableMatrix((sp.ones(d, 1) - z_t).multiply_elementwise(h_prev) + z_t.multiply_elementwise(u_t))
        jacobian = GraphJacobian(list(h_prev)).jacobian(list(h_t))
        values = {"z_t": z_t, "r_t": r_t, "u_t": u_t, "h_{t-1}": h_prev, "W_z": W["z"], "W_r": W["r"], "W_u": W["u"]}
        point = dict(zip(h_prev, _rationals(rng, d), strict=True))
        jacobian = sp.ImmutableMatrix(jacobian.xreplace(point))
        values = {name: sp.ImmutableMatrix(value.xreplace(point)) for name, value in values.items()}
        _compare(label, block, jacobian, values, d, tally)
    return CheckResult(
        label,
        (
            "an explicit GRU step (weights and biases seeded nonzero integers), differentiated on its expression graph with "
            "the state as symbols; then both sides at seeded rational states and input, entry by entry, each exp and tanh "
            "application an indeterminate: exact equality",
        ),
        ("every ", sp.Symbol("d"), " in ", sp.FiniteSet(*SIZES), ", one input; seeded integer weights, rational states"),
        tally.count,
        summary=("exactly, against the Jacobian of an explicit GRU step at rational points, on ", sp.Le(sp.Symbol("d"), max(SIZES))),
    )


CHECKS = {"lstm": check_lstm, "gru": check_gru}
