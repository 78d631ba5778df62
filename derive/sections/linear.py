"""The linear case (the identity for phi): the chain is a power of W, diagonalisation gives its powers, and the spectral
radius sets the rate of those powers while the largest singular value bounds every one (statements 12 to 14).

Statements 12 and 13 are checked here, exactly in SymPy on explicit instances; statement 14, in ball arithmetic, by
verify (``verify.numeric_checks.check_gelfand``).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..checks import CheckContext, Tally, fail_unless
from ..document import CheckResult, Paragraph, Section, Statement
from ..expressions import Chain, Jacobian, Norm
from . import BuildContext
from .bound import HORN_JOHNSON

KEY = "linear"
#: The explicit instances: sizes d and lags t - k for statement 12, sizes and powers n for statement 13.
SIZES, LAGS, POWERS = (1, 2, 3), (1, 2, 3, 4), (1, 2, 3, 5)


def build(context: BuildContext) -> Section:
    st, m = context.statements, context.model
    W, t, k = m.W, st.idx.t, st.idx.k
    z = sp.Symbol(m.notation.variable)
    slope = sp.diff(z, z)  # the identity's slope, everywhere: so also its largest
    intro = Paragraph(
        (
            "With the identity for ",
            m.phi,
            " the network is linear: every slope is ",
            slope,
            ", ",
            sp.Eq(st.gamma, slope),
            ", and the chain is a power of ",
            W,
            ".",
        )
    )
    power_math, power_result = context.establish("linear-power")
    power = Statement(
        "linear-power",
        "The linear chain is a power of the weight matrix",
        power_math,
        (
            "Every factor of ",
            context.ref("product"),
            " is ",
            sp.Eq(sp.Symbol(r"\operatorname{diag}(\mathbf{1})" + f" {W.name}"), W, evaluate=False),
            ", and there are ",
            sp.Add(t, -k, evaluate=False),
            " of them.",
        ),
        (power_result,),
    )
    diag_math, diag_result = context.establish("diagonalised")
    diagonal = Statement(
        "diagonalised",
        "Diagonalisation gives the powers",
        diag_math,
        (
            "Here ",
            sp.Symbol(r"\Lambda"),
            " is diagonal and ",
            sp.Symbol("Q"),
            " invertible: ",
            W,
            " is diagonalisable (over the complex numbers if need be; not every matrix is). The inner factors ",
            sp.Symbol(r"Q^{-1} Q"),
            " cancel. Each eigenvalue ",
            sp.Symbol(r"\mu"),
            " is raised to the ",
            sp.Symbol("n"),
            "-th power: a component along an eigenvector with ",
            sp.Lt(sp.Symbol(r"\lvert \mu \rvert"), 1),
            " vanishes, one with ",
            sp.Gt(sp.Symbol(r"\lvert \mu \rvert"), 1),
            " explodes. (A Jordan block, which no diagonalisation reaches, with ",
            sp.Eq(sp.Symbol(r"\lvert \mu \rvert"), 1),
            " grows polynomially.)",
        ),
        (diag_result,),
    )
    gelfand_math, gelfand_result = context.establish("gelfand")
    gelfand = Statement(
        "gelfand",
        "The spectral radius sets the rate; the largest singular value bounds every power",
        gelfand_math,
        (
            "If ",
            sp.Eq(sp.Symbol(rf"{W.name} v"), sp.Symbol(r"\mu v"), evaluate=False),
            " then ",
            sp.Eq(sp.Symbol(rf"{W.name}^n v"), sp.Symbol(r"\mu^n v"), evaluate=False),
            ", so ",
            sp.Le(sp.Symbol(r"\lvert \mu \rvert^n"), Norm(sp.MatPow(W, sp.Symbol("n")))),
            " for every eigenvalue ",
            sp.Symbol(r"\mu"),
            " and every ",
            sp.Ge(sp.Symbol("n"), 1),
            "; ",
            context.ref("submultiplicative"),
            " gives the right side. As ",
            sp.Symbol(r"n \to \infty"),
            " the middle tends to ",
            gelfand_math.args[0],
            " (Gelfand's formula): the spectral radius sets the exponential rate of the powers, up to factors that grow more "
            "slowly than any exponential, while ",
            st.lam,
            " bounds every power. For a normal ",
            W,
            " the two are equal; a non-normal one can have ",
            sp.Lt(gelfand_math.args[0], st.lam),
            ", and its powers can grow before they decay",
            *((" (", context.ref("sec-refutations"), ")") if "refutations" in context.config.sections else ()),
            ".",
        ),
        (gelfand_result, HORN_JOHNSON),
    )
    return Section(KEY, "The linear case", (intro, power, diagonal, gelfand))


# -- the checks --------------------------------------------------------------------------------------------------


def _sized(expr: sp.Basic, d_symbol: sp.Symbol, d: int) -> sp.Basic:
    return expr.subs(d_symbol, d)


def _entries(name: str, rows: int, cols: int) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i + 1}{j + 1}"))


def check_linear_power(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Statement 12: the Jacobian of the unrolled linear map s_j = W s_{j-1} + c_j, entry by entry, against the printed
    right side evaluated with W a matrix of independent symbols; every lag in LAGS, every size in SIZES, exactly."""
    label = "linear-power"
    tally = Tally(label)
    fail_unless(
        label, isinstance(math, sp.Eq) and isinstance(math.lhs, Jacobian) and math.lhs.kind == "partial", f"{math} is not a Jacobian set equal to a matrix"
    )
    lhs, rhs = math.lhs, math.rhs
    st, m = context.statements, context.model
    t, k = st.idx.t, st.idx.k
    for d in SIZES:
        W_d = _sized(m.W, m.d, d)
        Wm = _entries("w", d, d)
        for lag in LAGS:
            env = {t: 1 + lag, k: 1}
            top, bottom = (sp.sympify(state.indices[0]).subs(env) for state in (lhs.numerator, lhs.denominator))
            fail_unless(label, top.is_Integer and bottom.is_Integer and top >= bottom, f"{lhs} has no fixed steps at t - k = {lag}")
            start = _entries("s", d, 1)
            s = start
            for j in range(int(bottom) + 1, int(top) + 1):
                s = Wm * s + _entries(f"c{j}", d, 1)  # the input and bias of step j: independent of s
            jacobian = sp.ImmutableMatrix(s).jacobian(start)
            printed = sp.ImmutableMatrix(_sized(rhs, m.d, d).subs(env).xreplace({W_d: Wm}).doit())
            tally.require(
                printed.shape == jacobian.shape and (printed - jacobian).expand() == sp.zeros(d, d), f"d = {d}, t - k = {lag}: {rhs} is not the Jacobian"
            )
    W = m.W
    return CheckResult(
        label,
        (
            "the left side is the Jacobian of the unrolled linear map ",
            sp.Symbol(rf"{m.notation.state}_j = {W.name} {m.notation.state}_{{j-1}} + c_j"),
            " (inputs and bias in ",
            sp.Symbol("c_j"),
            "), entry by entry; the right side is the printed power evaluated with ",
            W,
            " a matrix of independent symbols; compared exactly",
        ),
        ("every ", sp.Symbol("d"), " in ", sp.FiniteSet(*SIZES), " and ", sp.Symbol("t - k"), " in ", sp.FiniteSet(*LAGS)),
        tally.count,
        summary=(
            "exactly, against the Jacobian of the unrolled linear map, on ",
            sp.Le(sp.Symbol("d"), max(SIZES)),
            ", ",
            sp.Le(sp.Symbol("t - k"), max(LAGS)),
        ),
    )


def check_diagonalised(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Statement 13: W built from the printed premise with random invertible Q and diagonal Lambda, then both sides of the
    printed conclusion compared exactly for every n in POWERS."""
    label = "diagonalised"
    tally = Tally(label)
    fail_unless(label, isinstance(math, Chain) and [str(a) for a in math.args[1::2]] == ["=>"], f"{math} is not an implication")
    premise, _, conclusion = math.args
    fail_unless(label, isinstance(premise, sp.Eq) and isinstance(conclusion, sp.Eq), "premise and conclusion must be equations")
    m = context.model
    fail_unless(label, premise.lhs == m.W, f"the premise defines {premise.lhs}, not {m.W}")
    names = sorted({a.name for a in (premise.rhs.atoms(sp.MatrixSymbol) | conclusion.atoms(sp.MatrixSymbol))} - {m.W.name})
    fail_unless(label, len(names) == 2 and any("Lambda" in name for name in names), f"expected Q and a diagonal Lambda, found {names}")
    diagonal_name = next(name for name in names if "Lambda" in name)
    basis_name = next(name for name in names if name != diagonal_name)
    powers = [p for p in conclusion.lhs.atoms(sp.Symbol) if p != m.d]
    fail_unless(label, len(powers) == 1, f"the conclusion's power {conclusion.lhs} has no one exponent")
    n = powers[0]
    rng = np.random.default_rng(13)
    for d in SIZES[1:]:
        Q = sp.ImmutableMatrix(d, d, lambda i, j: sp.Integer(int(rng.integers(-3, 4))) + (3 if i == j else 0))
        if Q.det() == 0:
            Q = Q + sp.eye(d)
        L = sp.ImmutableMatrix(sp.diag(*[sp.Rational(int(rng.integers(-9, 10)), 4) or sp.Rational(1, 3) for _ in range(d)]))
        values = {sp.MatrixSymbol(basis_name, d, d): Q, sp.MatrixSymbol(diagonal_name, d, d): L}
        W_d = _sized(m.W, m.d, d)
        Wm = sp.ImmutableMatrix(_sized(premise.rhs, m.d, d).xreplace(values).doit())
        for power in POWERS:
            left = sp.ImmutableMatrix(_sized(conclusion.lhs, m.d, d).subs(n, power).xreplace({**values, W_d: Wm}).doit())
            right = sp.ImmutableMatrix(_sized(conclusion.rhs, m.d, d).subs(n, power).xreplace(values).doit())
            tally.require(left == right, "" if left == right else f"d = {d}, n = {power}: {conclusion} fails ({left} against {right})")
    return CheckResult(
        label,
        (
            m.W,
            " built from the printed premise with an integer invertible ",
            sp.Symbol(basis_name),
            " (not orthogonal) and a rational diagonal ",
            sp.Symbol(diagonal_name),
            "; both sides of the conclusion evaluated in exact rational arithmetic and compared",
        ),
        ("every ", sp.Symbol("d"), " in ", sp.FiniteSet(*SIZES[1:]), " and ", n, " in ", sp.FiniteSet(*POWERS)),
        tally.count,
        summary=("exactly, in rational arithmetic, on ", sp.Le(sp.Symbol("d"), max(SIZES)), " and powers up to ", sp.Integer(max(POWERS))),
    )


CHECKS = {"linear-power": check_linear_power, "diagonalised": check_diagonalised}
