"""Statements 6 to 10: gamma, the norm of the diagonal, submultiplicativity, the bound, its regimes.

Statement 6 is checked here (two independent SymPy routes must agree on gamma);
statements 7 to 10 are cited theorems with the bound they give, whose numerical
check belongs to verify/. The worked numbers are computed exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from .activations import GammaDerivation, derive_gamma
from .errors import CheckFailed
from .expressions import Chain, Extremum, Jacobian, Norm, Ordered
from .model import General, difference
from .steps import Check, Citation, Display, Ref, Status, Step, WorkedNumber

HORN_JOHNSON = Citation("R. A. Horn and C. R. Johnson", "Matrix Analysis, 2nd ed.", "Cambridge University Press, 2013, Sec. 5.6")
GOLUB_VAN_LOAN = Citation("G. H. Golub and C. F. Van Loan", "Matrix Computations, 4th ed.", "Johns Hopkins University Press, 2013, Sec. 2.3")
PASCANU = Citation(
    "R. Pascanu, T. Mikolov and Y. Bengio",
    "On the difficulty of training recurrent neural networks",
    "ICML 2013, Sec. 3",
)


def check_gamma(derivation: GammaDerivation) -> int:
    """gamma from critical points and limits must equal sympy.maximum, be attained where phi''' < 0, and bound the limits."""
    name = f"gamma ({derivation.activation.name})"
    g = derivation.gamma
    if sp.simplify(g - derivation.maximum_route) != 0:
        raise CheckFailed(name, f"critical points give {g}, sympy.maximum gives {derivation.maximum_route}")
    if any(sp.simplify(limit - g).is_positive for limit in derivation.limits):
        raise CheckFailed(name, f"a limit at infinity {derivation.limits} exceeds gamma = {g}")
    attained = [c for c in derivation.critical if c.point == derivation.argmax]
    if derivation.argmax is not None and not (attained and attained[0].is_maximum and sp.Abs(attained[0].value) == g):
        raise CheckFailed(name, f"phi' at z = {derivation.argmax} is not a strict local maximum of value {g}")
    return 3


def gamma_symbol(model: General, name: str | None = None) -> sp.Symbol:
    base = model.notation.gamma
    return sp.Symbol(base if name is None else f"{base}_{{\\mathrm{{{name}}}}}")


def gamma_step(model: General, derivations: Sequence[GammaDerivation]) -> Step:
    """Statement 6: gamma = sup |phi'|, derived for each activation."""
    z = sp.Symbol(model.notation.variable, real=True)
    compared = sum(check_gamma(d) for d in derivations)
    displays = tuple(
        Display(
            (f"{d.activation.title}: ", sp.Eq(sp.Function(model.notation.activation)(z), d.phi, evaluate=False)),
            Chain(gamma_symbol(model, d.activation.name), "=", Extremum(sp.Abs(d.first, evaluate=False), z), "=", d.gamma),
        )
        for d in derivations
    )
    return Step(
        number=6,
        label="gamma",
        title="The largest slope of the activation",
        statement=sp.Eq(gamma_symbol(model), Extremum(sp.Abs(model.phi_prime(z)), z), evaluate=False),
        justification=(
            "The critical points of ",
            model.phi_prime(z),
            " are the real zeros of the second derivative; the second-derivative test classifies them, and "
            "the limits of the absolute slope at plus and minus infinity close the search. The supremum is the "
            "largest of these values; it is confirmed by a second route, SymPy's maximum over the reals.",
        ),
        status=Status.SYMBOLIC,
        check=Check(
            (
                "solveset of the second derivative over the reals, the third derivative at each critical point, "
                "limits at infinity, and sympy.maximum; the two routes must agree exactly",
            ),
            tuple(d.activation.name for d in derivations),
            compared,
        ),
        displays=displays,
    )


def cited_steps(model: General, product: Ordered) -> tuple[Step, ...]:
    """Statements 7 to 10: cited theorems and the bound they give."""
    n = model.notation
    t, k = sp.Symbol("t", integer=True, positive=True), sp.Symbol("k", integer=True, positive=True)
    gamma, lam = sp.Symbol(n.gamma), sp.Symbol(n.lam)
    i = sp.Symbol("i", integer=True)
    v = sp.Symbol("v")
    diag = sp.DiagMatrix(model.elementwise(model.phi_prime, model.a_j))
    A, B = sp.MatrixSymbol("A", model.d, model.d), sp.MatrixSymbol("B", model.d, model.d)
    one_step = product.factor
    total = Jacobian(sp.Symbol(n.indexed("state", t)), sp.Symbol(n.indexed("state", k)))
    lag = difference(t, k)
    rate = gamma * lam
    bound = sp.Pow(rate, lag, evaluate=False)
    vi = sp.Symbol(f"{v}_{{i}}")
    return (
        Step(
            7,
            "diagonal-norm",
            "The norm of a diagonal matrix",
            Chain(Norm(diag), "=", Extremum(sp.Abs(model.phi_prime(sp.Symbol(n.indexed("preactivation", "j,i")))), i, "max"), "<=", gamma),
            (
                "For a diagonal matrix the 2-norm is the largest absolute diagonal entry: ",
                Chain(Norm(sp.DiagMatrix(sp.MatrixSymbol(str(v), model.d, 1))), "=", Extremum(sp.Abs(vi), i, "max")),
                ". Every diagonal entry here is a slope of the activation, at most ",
                gamma,
                " by ",
                Ref("gamma"),
                ".",
            ),
            Status.CITED,
            citations=(HORN_JOHNSON,),
        ),
        Step(
            8,
            "submultiplicative",
            "Induced norms are submultiplicative",
            sp.Le(Norm(A * B), Norm(A) * Norm(B), evaluate=False),
            ("Every induced (operator) norm satisfies this for all conformable matrices; it is what lets a bound on each factor bound the product.",),
            Status.CITED,
            citations=(GOLUB_VAN_LOAN, HORN_JOHNSON),
        ),
        Step(
            9,
            "bound",
            "The bound on the temporal Jacobian",
            Chain(Norm(total), "<=", bound),
            (
                "By ",
                Ref("per-step"),
                ", ",
                Ref("diagonal-norm"),
                " and ",
                Ref("submultiplicative"),
                " each factor satisfies ",
                Chain(Norm(one_step), "<=", Norm(diag) * Norm(model.W), "<=", rate),
                " with ",
                sp.Eq(lam, Norm(model.W), evaluate=False),
                " the largest singular value of ",
                model.W,
                " (not its spectral radius). The product ",
                Ref("product"),
                " has ",
                lag,
                " factors, and ",
                Ref("submultiplicative"),
                " multiplies their bounds.",
            ),
            Status.CITED,
            citations=(PASCANU,),
        ),
        Step(
            10,
            "regimes",
            "Vanishing and exploding regimes",
            Chain(sp.Lt(rate, 1), "=>", sp.Eq(sp.Limit(bound, t, sp.oo), 0, evaluate=False)),
            (
                "If ",
                sp.Lt(rate, 1),
                " the bound decays geometrically in ",
                lag,
                " and the gradient vanishes. If ",
                sp.Gt(rate, 1),
                " the bound grows and explosion becomes possible, not certain: saturated units have tiny slopes, so ",
                sp.Gt(lam, 1 / gamma),
                " is necessary for explosion, not sufficient.",
            ),
            Status.CITED,
            citations=(PASCANU,),
        ),
    )


def worked_numbers(product: Ordered, t: sp.Symbol, k: sp.Symbol) -> tuple[WorkedNumber, ...]:
    """The numbers of the source material, exact: powers of the sigmoid's gamma, 0.5^10, 2^10, factor counts."""
    g = derive_gamma("sigmoid").gamma
    numbers = [
        WorkedNumber(("sigmoid slope bound, two steps",), sp.Pow(g, 2, evaluate=False), g**2),
        WorkedNumber(("sigmoid slope bound, five steps",), sp.Pow(g, 5, evaluate=False), g**5),
        WorkedNumber(("ten factors of 1/2 (vanishing)",), sp.Pow(sp.Rational(1, 2), 10, evaluate=False), sp.Rational(1, 2) ** 10),
        WorkedNumber(("ten factors of 2 (exploding)",), sp.Pow(sp.Integer(2), 10, evaluate=False), sp.Integer(2) ** 10),
    ]
    for tt, kk in ((4, 1), (20, 1)):
        count = len(product.factors({t: tt, k: kk}))
        numbers.append(WorkedNumber((f"factors in the product for t = {tt}, k = {kk}",), difference(sp.Integer(tt), sp.Integer(kk)), sp.Integer(count)))
    return tuple(numbers)
