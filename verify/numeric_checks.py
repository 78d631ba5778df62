"""Checks of statements 7, 8 and 9 that read the printed statement and decide it in ball arithmetic.

Each check walks the printed relation (a Chain a = b <= c, or one SymPy relation),
evaluates every member on explicit numeric instances with a small interpreter over
the SymPy tree (norms by the rigorous enclosure of ``verify.enclose``, diag, the max
over an index, the slope phi' of a registered activation, gamma from its derivation,
lambda = ||W||_2 enclosed, ds_t/ds_k as the enclosed product of the instance's
Jacobians), and proves each relation: ``<=`` when the upper end of the left ball is
at most the lower end of the right one, or when the two balls overlap and are
narrower than EQUAL (equality to the width of the enclosure); ``=`` when they
overlap and are that narrow. On witnesses where the statement is sharp (the argmax
of |phi'|, W = lambda Q with every a_j at the argmax) each relation must also be
attained to ATTAINED, so a loosened statement is rejected as well as a false one.
Instances come from numpy Generators seeded with constants: the report is reproducible.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
import sympy as sp
from flint import acb_mat, arb, arb_mat
from sympy.core.function import AppliedUndef
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from derive.activations import derive_gamma
from derive.checks import CheckContext, fail_unless
from derive.document import CheckResult
from derive.errors import CheckFailed
from derive.expressions import Chain, Conjunction, Extremum, Jacobian, Norm
from derive.render import number

from .enclose import BITS, Array, BallActivation, BallChain, ball_activation, ball_matrix, diagonal, norm_ball, precision, tight_chain

Value = arb | arb_mat

#: Two overlapping balls narrower than this (relative) are equal: it covers the norm enclosures' width (about 1e-13).
EQUAL = 1e-9
#: On a witness every relation must hold with equality to this relative width (float Q is orthogonal to ~1e-15).
ATTAINED = 1e-9
#: The symbol a mutated bound may use in place of lambda; it is bound to the spectral radius rho(W).
RHO = sp.Symbol(r"\rho")
SEEDS = {"diagonal-norm": 7, "submultiplicative": 8, "bound": 9, "clipping": 11, "gelfand": 14, "truncation": 15}
RANDOM_VECTORS = 12  # statement 7: random pre-activation vectors per activation
SCALES = (1.0, 5.0, 50.0, 500.0)  # their standard deviations in turn: moderate to deeply saturated
RANDOM_PAIRS = 16  # statement 8: random pairs (A, B)
RANDOM_NETWORKS = 8  # statement 9: random RNNs per activation, besides the pinned and the witness networks
RATES = (0.7, 1.3, 0.95, 2.0)  # statement 9: gamma lambda of the random networks, in turn
WITNESS_RATES = (0.8, 1.25)  # statement 9: gamma lambda of the witnesses W = lambda Q, one on each side of 1
WITNESS_SCALE = 2.5  # statement 8: the witnesses A = c Q have c = 5/2
MAX_DIM, MAX_STEPS = 8, 50


# -- the interpreter -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What the symbols of a statement stand for on one instance."""

    label: str
    dim: int
    sizes: Mapping[sp.Symbol, int] = field(default_factory=dict)  # d -> the instance's dimension
    scalars: Mapping[str, Callable[[], arb]] = field(default_factory=dict)  # gamma, lambda, rho (computed when read)
    integers: Mapping[str, int] = field(default_factory=dict)  # t, k, and an index while a max runs over it
    matrices: Mapping[str, arb_mat] = field(default_factory=dict)  # W, A, B, a_j (vectors as columns)
    functions: Mapping[str, Callable[[arb], arb]] = field(default_factory=dict)  # phi, phi'
    bound: Mapping[sp.Symbol, arb] = field(default_factory=dict)  # variables of a Lambda being applied
    chain: BallChain | None = None
    state: str = "s"
    preactivation: str = ""  # the base name of a_j, whose entries a_{j,i} the chain encloses at every step j
    memo: dict[tuple[object, ...], arb] | None = field(default=None, compare=False)  # one network's product factors, by index

    def fail(self, reason: str) -> CheckFailed:
        return CheckFailed(self.label, reason)


_ENTRY = re.compile(r"^(?P<base>.+)_\{(?P<sub>[^{}]*),(?P<index>[^{},]+)\}$")


def _integer_power(base: Value, n: int, scope: Scope) -> Value:
    """base^n by repeated products (a ball power of a ball containing 0 is NaN in arb); n < 0 for scalars only."""
    if n < 0:
        if isinstance(base, arb_mat):
            raise scope.fail("a negative power of a matrix")
        return arb(1) / _scalar(_integer_power(base, -n, scope), scope, sp.Integer(n))
    result: Value = arb(1) if isinstance(base, arb) else _identity(base.nrows())
    square = base
    while n:
        if n & 1:
            result = result * square
        square = square * square
        n >>= 1
    return result


def _identity(n: int) -> arb_mat:
    return diagonal([arb(1)] * n)


def _scalar(value: Value, scope: Scope, what: sp.Basic) -> arb:
    if not isinstance(value, arb):
        raise scope.fail(f"{what} is a matrix where a number is needed")
    return value


def _matrix(value: Value, scope: Scope, what: sp.Basic) -> arb_mat:
    if not isinstance(value, arb_mat):
        raise scope.fail(f"{what} is a number where a matrix is needed")
    return value


def _number(expr: sp.Expr, scope: Scope) -> arb:
    """A printed number as a ball that holds it: rationals exactly, pi and e as arb's enclosures, sums, products and powers of those."""
    if isinstance(expr, sp.Integer):
        return arb(int(expr))
    if isinstance(expr, sp.Rational):
        return arb(int(expr.p)) / arb(int(expr.q))
    if expr is sp.pi:
        return arb.pi()
    if expr is sp.E:
        return arb(1).exp()
    if isinstance(expr, sp.exp):
        return _number(expr.args[0], scope).exp()
    parts = [_number(arg, scope) for arg in expr.args] if isinstance(expr, sp.Add | sp.Mul | sp.Pow) else None
    if parts is None:
        raise scope.fail(f"the number {expr} has no ball evaluation")
    if isinstance(expr, sp.Pow):
        return parts[0] ** parts[1]
    result = parts[0]
    for part in parts[1:]:
        result = result + part if isinstance(expr, sp.Add) else result * part
    return result


def _symbol(expr: sp.Symbol, scope: Scope) -> Value:
    if expr in scope.bound:
        return scope.bound[expr]
    name = expr.name
    if name in scope.scalars:
        return scope.scalars[name]()
    if name in scope.integers:
        return arb(scope.integers[name])
    match = _ENTRY.match(name)
    if match and f"{match['base']}_{{{match['sub']}}}" in scope.matrices and match["index"] in scope.integers:
        vector = scope.matrices[f"{match['base']}_{{{match['sub']}}}"]
        i = scope.integers[match["index"]]
        if not (vector.ncols() == 1 and 1 <= i <= vector.nrows()):
            raise scope.fail(f"entry {i} of {match['base']}_{{{match['sub']}}} does not exist")
        return vector[i - 1, 0]
    if match and scope.chain is not None and match["base"] == scope.preactivation and {match["sub"], match["index"]} <= set(scope.integers):
        j, i = scope.integers[match["sub"]], scope.integers[match["index"]]
        if not (1 <= j <= len(scope.chain.pre) and 1 <= i <= scope.dim):
            raise scope.fail(f"{name} at j = {j}, i = {i} does not exist on the instance")
        return scope.chain.pre[j - 1][i - 1]
    raise scope.fail(f"the symbol {name} has no meaning on the numeric instances")


def _matrix_symbol(expr: sp.MatrixSymbol, scope: Scope) -> arb_mat:
    if expr.name not in scope.matrices:
        raise scope.fail(f"the matrix {expr.name} has no meaning on the numeric instances")
    value = scope.matrices[expr.name]
    rows, cols = (sp.sympify(n).subs(scope.sizes) for n in expr.shape)
    if (rows, cols) != (value.nrows(), value.ncols()):
        raise scope.fail(f"{expr.name} is {rows} x {cols} in the statement but {value.nrows()} x {value.ncols()} on the instance")
    return value


def _product(factors: list[Value]) -> Value:
    result = factors[0]
    for factor in factors[1:]:
        result = result * factor
    return result


def _state_index(state: sp.Basic, scope: Scope) -> int:
    """The fixed index of a printed state s_(index) on the instance."""
    if not (isinstance(state, sp.Indexed) and str(state.base.label) == scope.state and len(state.indices) == 1):
        raise scope.fail(f"{state} is not a state s_(index)")
    index = sp.sympify(state.indices[0])
    index = index.xreplace({sym: sp.Integer(scope.integers[sym.name]) for sym in index.free_symbols if sym.name in scope.integers})
    if not isinstance(index, sp.Integer):
        raise scope.fail(f"the index of {state} is not fixed on the instance")
    return int(index)


def _jacobian(expr: Jacobian, scope: Scope) -> arb_mat:
    """ds_t/ds_k on the instance: J_t ... J_{k+1} enclosed; 0 when t < k (s_t does not depend on a later state)."""
    if scope.chain is None or expr.kind != "partial":
        raise scope.fail(f"{expr} is not a Jacobian of states of the instance")
    t, k = _state_index(expr.numerator, scope), _state_index(expr.denominator, scope)
    if t < k:
        return arb_mat(scope.dim, scope.dim)
    return scope.chain.jacobian(t, k)


def _extremum(expr: Extremum, scope: Scope) -> arb:
    body, variable, kind = expr.args
    if str(kind) not in ("max", "sup", "min"):
        raise scope.fail(f"an extremum of kind {kind}")
    values = [_scalar(evaluate(body, replace(scope, integers={**scope.integers, variable.name: i})), scope, body) for i in range(1, scope.dim + 1)]
    pick: Callable[[arb, arb], arb] = arb.min if str(kind) == "min" else arb.max
    result = values[0]
    for v in values[1:]:
        result = pick(result, v)
    return result


def _elementwise(expr: ElementwiseApplyFunction, scope: Scope) -> arb_mat:
    function, argument = expr.function, _matrix(evaluate(expr.expr, scope), scope, expr.expr)
    if not isinstance(function, sp.Lambda) or len(function.variables) != 1:
        raise scope.fail(f"cannot apply {function} entrywise")
    (variable,) = function.variables
    rows = [
        [
            _scalar(evaluate(function.expr, replace(scope, bound={**scope.bound, variable: argument[i, j]})), scope, function.expr)
            for j in range(argument.ncols())
        ]
        for i in range(argument.nrows())
    ]
    return arb_mat(rows)


def evaluate(expr: sp.Basic, scope: Scope) -> Value:
    """The value of ``expr`` on the instance ``scope`` describes: a ball, or a ball matrix."""
    if isinstance(expr, sp.Product):  # before the numbers: a product with fixed limits is a number too
        return _product_over(expr, scope)
    if isinstance(expr, sp.Symbol):
        return _symbol(expr, scope)
    if isinstance(expr, sp.MatrixSymbol):
        return _matrix_symbol(expr, scope)
    if isinstance(expr, sp.Number) or (isinstance(expr, sp.Expr) and expr.is_number and not expr.free_symbols and not expr.atoms(AppliedUndef)):
        return _number(sp.sympify(expr), scope)
    if isinstance(expr, Norm):
        matrix, p = expr.args
        if p != 2:
            raise scope.fail(f"the {p}-norm: only the 2-norm is enclosed")
        if isinstance(matrix, Jacobian) and scope.chain is not None and matrix.kind == "partial":  # one enclosure per chain
            t, k = _state_index(matrix.numerator, scope), _state_index(matrix.denominator, scope)
            if 0 <= k <= t:
                return scope.chain.norm(t, k)
        value = evaluate(matrix, scope)
        return abs(value) if isinstance(value, arb) else norm_ball(value)
    if isinstance(expr, Jacobian):
        return _jacobian(expr, scope)
    if isinstance(expr, Extremum):
        return _extremum(expr, scope)
    if isinstance(expr, sp.DiagMatrix):
        vector = _matrix(evaluate(expr.args[0], scope), scope, expr.args[0])
        if vector.ncols() != 1:
            raise scope.fail(f"diag of a {vector.nrows()} x {vector.ncols()} matrix")
        return diagonal([vector[i, 0] for i in range(vector.nrows())])
    if isinstance(expr, ElementwiseApplyFunction):
        return _elementwise(expr, scope)
    if isinstance(expr, AppliedUndef):
        name = expr.func.__name__
        if name not in scope.functions or len(expr.args) != 1:
            raise scope.fail(f"the function {name} has no meaning on the numeric instances")
        return scope.functions[name](_scalar(evaluate(expr.args[0], scope), scope, expr.args[0]))
    if isinstance(expr, sp.Abs):
        return abs(_scalar(evaluate(expr.args[0], scope), scope, expr.args[0]))
    if isinstance(expr, sp.Add | sp.MatAdd):
        values = [evaluate(a, scope) for a in expr.args]
        total = values[0]
        for v in values[1:]:
            total = total + v
        return total
    if isinstance(expr, sp.Mul | sp.MatMul):
        return _product([evaluate(a, scope) for a in expr.args])  # Mul of numbers commutes; MatMul keeps its order
    if isinstance(expr, sp.Pow | sp.MatPow):
        base, exponent = evaluate(expr.args[0], scope), _scalar(evaluate(expr.args[1], scope), scope, expr.args[1])
        whole = exponent.unique_fmpz() if exponent.is_exact() else None
        if whole is not None:
            return _integer_power(base, int(whole), scope)
        return _scalar(base, scope, expr.args[0]) ** exponent
    if isinstance(expr, sp.Max | sp.Min):
        scalars = [_scalar(evaluate(a, scope), scope, a) for a in expr.args]
        return _product_pick(scalars, arb.max if isinstance(expr, sp.Max) else arb.min)
    if isinstance(expr, sp.Transpose):
        return _matrix(evaluate(expr.args[0], scope), scope, expr.args[0]).transpose()
    raise scope.fail(f"cannot evaluate {type(expr).__name__} {expr} on the numeric instances")


def _fixed(bound: sp.Basic, scope: Scope) -> int:
    """A limit of a product or sum, fixed on the instance (k + 1 with k = 3 is 4)."""
    value = sp.sympify(bound).xreplace({s: sp.Integer(scope.integers[s.name]) for s in sp.sympify(bound).free_symbols if s.name in scope.integers})
    if not isinstance(value, sp.Integer):
        raise scope.fail(f"the limit {bound} is not fixed on the instance")
    return int(value)


def _product_over(expr: sp.Product, scope: Scope) -> arb:
    """prod_{j = lower}^{upper} body, the index bound to each integer in turn (empty: 1)."""
    body, (variable, lower, upper) = expr.args[0], expr.args[1]
    used = {symbol.name for symbol in body.free_symbols}
    others = tuple(sorted((name, value) for name, value in scope.integers.items() if name != variable.name and name in used))
    result = arb(1)
    for j in range(_fixed(lower, scope), _fixed(upper, scope) + 1):
        key = (body, variable.name, j, others)  # the factor at j, the same at every lag of one network
        if scope.memo is None or key not in scope.memo:
            factor = _scalar(evaluate(body, replace(scope, integers={**scope.integers, variable.name: j})), scope, body)
            if scope.memo is None:
                result = result * factor
                continue
            scope.memo[key] = factor
        result = result * scope.memo[key]
    return result


def _product_pick(values: list[arb], pick: Callable[[arb, arb], arb]) -> arb:
    result = values[0]
    for v in values[1:]:
        result = pick(result, v)
    return result


# -- relations -----------------------------------------------------------------------------------------------

_OPPOSITE = {"<=": ">", "<": ">=", ">=": "<", ">": "<="}
_RELATIONAL = {sp.Eq: "=", sp.Le: "<=", sp.Lt: "<", sp.Ge: ">=", sp.Gt: ">"}


def relations(math: sp.Basic, label: str) -> list[tuple[sp.Basic, str, sp.Basic]]:
    """The relations a statement asserts, (left, relation, right): each link of a Chain, or the one relation."""
    if isinstance(math, Chain):
        items = math.args
        return [(items[i], str(items[i + 1]), items[i + 2]) for i in range(0, len(items) - 2, 2)]
    for kind, name in _RELATIONAL.items():
        if type(math) is kind:
            return [(math.lhs, name, math.rhs)]
    raise CheckFailed(label, f"{math} is not a relation or a chain of relations")


def equal(left: arb, right: arb, width: float) -> bool:
    """The balls overlap and their union is narrower than ``width`` relative to their size (or both are exactly 0)."""
    if left.is_zero() and right.is_zero():
        return True
    union = left.union(right)
    return bool(left.overlaps(right) and union.rad() <= abs(union.mid()) * arb(width))


def decide(left: arb, relation: str, right: arb) -> str | None:
    """'proved' (strict ball order), 'equal' (equality to EQUAL), or None when the relation is not established."""
    if relation in ("=", "=="):
        return "equal" if equal(left, right, EQUAL) else None
    small, large = (left, right) if relation in ("<=", "<") else (right, left)
    if relation in ("<=", ">="):
        return "proved" if small <= large else "equal" if equal(small, large, EQUAL) else None
    if relation in ("<", ">"):
        return "proved" if small < large else None
    return None


@dataclass
class Tally:
    """How many relations were proved in strict ball order, held with equality to the width, and were attained on a witness."""

    proved: int = 0
    equal: int = 0
    attained: int = 0

    @property
    def total(self) -> int:
        return self.proved + self.equal + self.attained


def establish(links: list[tuple[sp.Basic, str, sp.Basic]], scope: Scope, tally: Tally, witness: bool, where: str) -> None:
    """Prove every link on the instance; on a witness, also that each holds with equality (the statement is sharp there)."""
    for left_expr, relation, right_expr in links:
        left = _scalar(evaluate(left_expr, scope), scope, left_expr)
        right = _scalar(evaluate(right_expr, scope), scope, right_expr)
        if relation not in ("=", "==", "<=", "<", ">=", ">"):
            raise scope.fail(f"the relation {relation} is not one the numbers can decide")
        outcome = decide(left, relation, right)
        if outcome is None:
            opposite = not left.overlaps(right) if relation in ("=", "==") else decide(left, _OPPOSITE[relation], right) == "proved"
            verdict = "refuted" if opposite else "not proved (the balls overlap)"
            raise scope.fail(f"{left_expr} {relation} {right_expr} fails on {where}, {verdict}: left {left.str(10)}, right {right.str(10)}")
        tally.proved += outcome == "proved"
        tally.equal += outcome == "equal"
        if witness:
            if not equal(left, right, ATTAINED):
                raise scope.fail(
                    f"{left_expr} {relation} {right_expr} is not attained on the witness {where}: left {left.str(10)}, right {right.str(10)}; "
                    "the statement is weaker than the sharp one"
                )
            tally.attained += 1


def _log(tally: Tally, what: str) -> tuple[tuple[str | sp.Basic, ...], ...]:
    return (
        (
            f"{what}: ",
            sp.Integer(tally.proved),
            " relations proved in strict ball order, ",
            sp.Integer(tally.equal),
            " held with equality to the enclosure width, ",
            sp.Integer(tally.attained),
            " attained on witnesses",
        ),
    )


# -- instances -----------------------------------------------------------------------------------------------


def _orthogonal(rng: np.random.Generator, d: int) -> Array:
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return np.asarray(q * np.sign(np.diag(r)))


def _argmax(name: str) -> tuple[float, float] | None:
    """(z*, phi(z*)) as floats for the activation's argmax of |phi'|, from the gamma derivation; None if not attained."""
    derivation = derive_gamma(name)
    if derivation.argmax is None:
        return None
    return float(derivation.argmax), float(derivation.phi.subs(derivation.variable, derivation.argmax))


def _activation_scope(label: str, context: CheckContext, name: str, dim: int) -> Scope:
    """phi, phi' and gamma of the activation ``name`` under the model's names, at dimension ``dim``."""
    model, st = context.model, context.statements
    act = ball_activation(name)
    gamma = _number(derive_gamma(name).gamma, Scope(label, dim))
    return Scope(
        label,
        dim,
        sizes={model.d: dim},
        scalars={st.gamma.name: lambda: gamma},
        functions={model.phi.__name__: act.phi, model.phi_prime.__name__: act.slope},
        state=model.notation.state,
    )


def _with_weights(scope: Scope, W: Array, name: str) -> Scope:
    """Bind W, lambda = ||W||_2 (enclosed) and rho = the spectral radius of W (enclosed, read only if the statement names it)."""
    Wb = ball_matrix(W)
    lam = norm_ball(Wb)
    return replace(scope, matrices={**scope.matrices, name: Wb}, scalars={**scope.scalars, "__lambda__": lambda: lam, RHO.name: lambda: spectral_radius(Wb)})


def spectral_radius(W: arb_mat) -> arb:
    """A ball containing rho(W) = max |mu| over the eigenvalues mu of W.

    flint's certified eigenvalue enclosures where it can isolate the eigenvalues; otherwise (defective W such
    as a Jordan block) the ball [0, min_m ||W^m||_2^(1/m)] for m = 1, 2, 4, ..., 1024, Gelfand's upper bound.
    """
    try:
        radius = arb(0)
        for mu in acb_mat(W).eig(multiple=True):
            radius = radius.max(abs(mu))
        if radius.is_finite():
            return radius
    except ValueError:
        pass
    best, power = norm_ball(W).upper(), W
    for m in (2**n for n in range(1, 11)):
        power = power * power
        size = norm_ball(power).upper()
        best = best.min(size.root(m).upper()) if not size.is_zero() else arb(0)
    return arb(0).union(best)


def _lam_scope(scope: Scope, context: CheckContext) -> Scope:
    scalars = dict(scope.scalars)
    scalars[context.statements.lam.name] = scalars.pop("__lambda__")
    return replace(scope, scalars=scalars)


# -- statement 7 -----------------------------------------------------------------------------------------------


def _pre_activations(rng: np.random.Generator, name: str) -> list[tuple[Array, bool]]:
    """Random pre-activation vectors (moderate and saturated, standard deviations SCALES), and ones holding the argmax z*."""
    vectors: list[tuple[Array, bool]] = []
    for n in range(RANDOM_VECTORS):
        d = int(rng.integers(1, MAX_DIM + 1))
        vectors.append((rng.standard_normal(d) * SCALES[n % len(SCALES)], False))
    argmax = _argmax(name)
    if argmax is not None:
        for d in (1, 3, MAX_DIM):
            a = rng.standard_normal(d) * 3.0
            a[int(rng.integers(d))] = argmax[0]
            vectors.append((a, True))
    return vectors


@dataclass(frozen=True)
class Vector:
    """One instance of statement 7: a pre-activation vector a_j (and a W, which the statement does not use) for an activation."""

    activation: str
    a: Array
    W: Array
    witness: bool


def vectors(activations: tuple[str, ...]) -> list[Vector]:
    """Statement 7's instances for these activations, drawn from the statement's seed in a fixed order."""
    rng = np.random.default_rng(SEEDS["diagonal-norm"])
    out: list[Vector] = []
    for name in activations:
        for a, witness in _pre_activations(rng, name):
            out.append(Vector(name, a, rng.standard_normal((a.shape[0], a.shape[0])), witness))
    return out


def check_diagonal_norm(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Statement 7: every link of ||diag(phi'(a_j))||_2 = max_i |phi'(a_{j,i})| <= gamma, on random and saturated a_j and at the argmax."""
    label = "diagonal-norm"
    links = relations(math, label)
    tally = Tally()
    model = context.model
    chosen = vectors(context.config.activations)
    at_argmax = sum(1 for v in chosen if v.witness and v.activation == chosen[0].activation)  # per activation
    with precision(BITS):
        for v in chosen:
            d = v.a.shape[0]
            scope = _lam_scope(_with_weights(_activation_scope(label, context, v.activation, d), v.W, model.W.name), context)
            scope = replace(scope, matrices={**scope.matrices, model.a_j.name: ball_matrix(v.a)})
            establish(links, scope, tally, v.witness, f"{v.activation}, d = {d}" + (" at the argmax" if v.witness else ""))
    fail_unless(label, tally.attained > 0, "no activation attains gamma: the bound was not tested where it is sharp")
    z = sp.Symbol(model.notation.variable)
    method = (
        "each relation evaluated in ball arithmetic (",
        sp.Integer(BITS),
        "-bit balls; the 2-norm enclosed by a Rayleigh quotient below and a Cholesky certificate above) and proved as the upper end of one side "
        "below the lower end of the other; at the argmax ",
        sp.Symbol("z^*"),
        " of ",
        sp.Abs(sp.Function(model.phi_prime.__name__)(z)),
        " the bound must be attained",
    )
    instance = (
        sp.Integer(RANDOM_VECTORS),
        " random pre-activation vectors per activation, entries of standard deviation up to ",
        number(max(SCALES)),
        " (deep saturation), and ",
        sp.Integer(at_argmax),
        " holding the argmax, ",
        sp.Le(model.d, MAX_DIM),
    )
    summary = (
        "in ball arithmetic, on ",
        sp.Integer(RANDOM_VECTORS),
        " random vectors per activation, saturated ones included, and ",
        sp.Integer(at_argmax),
        " at the argmax, ",
        sp.Le(model.d, MAX_DIM),
    )
    return CheckResult(label, method, instance, tally.total, _log(tally, "diag norm"), summary=summary)


# -- statement 8 -----------------------------------------------------------------------------------------------


def matrix_pairs() -> list[tuple[Array, Array, bool]]:
    """Statement 8's instances: random (A, B), Gaussian, non-normal (Jordan-like), rank one, badly scaled; and witnesses
    A = c Q, Q orthogonal, where equality holds. Drawn from the statement's seed."""
    rng = np.random.default_rng(SEEDS["submultiplicative"])
    pairs: list[tuple[Array, Array, bool]] = []
    for n in range(RANDOM_PAIRS):
        d = int(rng.integers(1, MAX_DIM + 1))
        kind = n % 4
        if kind == 0:
            A, B = rng.standard_normal((d, d)), rng.standard_normal((d, d)) * 3.0
        elif kind == 1:
            A = 0.5 * np.eye(d) + 2.0 * np.eye(d, k=1)
            B = rng.standard_normal((d, d)) * 2.0
        elif kind == 2:
            A = np.outer(rng.standard_normal(d), rng.standard_normal(d))
            B = np.triu(rng.standard_normal((d, d))) * 4.0
        else:
            A, B = rng.standard_normal((d, d)) * 1e-3, rng.standard_normal((d, d)) * 1e3
        pairs.append((A, B, False))
    for d in (1, 4, MAX_DIM):
        pairs.append((WITNESS_SCALE * _orthogonal(rng, d), rng.standard_normal((d, d)) * 3.0, True))
    return pairs


def check_submultiplicative(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Statement 8: ||A B||_2 <= ||A||_2 ||B||_2 read and proved on random pairs (non-normal ones included), attained for A = c Q."""
    label = "submultiplicative"
    links = relations(math, label)
    names = sorted({m.name for left, _, right in links for m in (left.atoms(sp.MatrixSymbol) | right.atoms(sp.MatrixSymbol))})
    fail_unless(label, len(names) == 2, f"expected two matrices A, B in the statement, found {names}")
    tally, pairs = Tally(), matrix_pairs()
    witnesses = sp.Integer(sum(1 for *_, witness in pairs if witness))
    with precision(BITS):
        for A, B, witness in pairs:
            d = A.shape[0]
            scope = Scope(label, d, sizes={context.model.d: d}, matrices={names[0]: ball_matrix(A), names[1]: ball_matrix(B)})
            establish(links, scope, tally, witness, f"a pair of {d} x {d} matrices")
    A_, Q = sp.Symbol(names[0]), sp.Symbol("Q")
    method = (
        "both sides evaluated in ball arithmetic (",
        sp.Integer(BITS),
        "-bit balls, each 2-norm enclosed from below and above) and the relation proved on every pair; equality is required where it holds, ",
        sp.Eq(A_, sp.nsimplify(WITNESS_SCALE) * Q),
        " with ",
        Q,
        " orthogonal and ",
        sp.Symbol(names[1]),
        " any matrix",
    )
    kinds = " random pairs (Gaussian, non-normal, rank one, badly scaled) and "
    instance = (sp.Integer(RANDOM_PAIRS), kinds, witnesses, " witnesses, ", sp.Le(context.model.d, MAX_DIM))
    summary = ("in ball arithmetic, on ", sp.Integer(RANDOM_PAIRS), " random pairs and ", witnesses, " where equality holds, ", sp.Le(context.model.d, MAX_DIM))
    return CheckResult(label, method, instance, tally.total, _log(tally, "submultiplicativity"), summary=summary)


# -- statement 9 -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Network:
    """One RNN instance for statement 9; ``witness`` when the bound is attained there (W = lambda Q, a_j at the argmax)."""

    W: Array
    U: Array
    b: Array
    xs: Array
    s0: Array
    witness: bool = False

    @property
    def steps(self) -> int:
        """t: the network runs the steps 1..t, one input row each."""
        return int(self.xs.shape[0])


def _listed(items: list[sp.Basic]) -> list[str | sp.Basic]:
    """``a``, ``a and b``, ``a, b and c``."""
    out: list[str | sp.Basic] = []
    for n, item in enumerate(items):
        out += [("" if n == 0 else " and " if n == len(items) - 1 else ", "), item]
    return out


def _pinned(W: Array, argmax: tuple[float, float], T: int) -> Network:
    """Inputs that hold every a_j at z*: s_0 = phi(z*) 1, b = z* 1 - W s_0, no input; then every J_j = gamma W."""
    d = W.shape[0]
    s0 = np.full(d, argmax[1])
    return Network(W, np.zeros((d, 1)), argmax[0] - W @ s0, np.zeros((T, 1)), s0)


def _networks(rng: np.random.Generator, name: str) -> list[Network]:
    """Random RNNs (Gaussian, non-normal, near-orthogonal W; gamma lambda on both sides of 1; some saturated), non-normal
    W pinned at the argmax (where rho(W) < lambda shows), and the witnesses W = lambda Q at gamma lambda = 4/5 and 5/4."""
    gamma = float(derive_gamma(name).gamma)
    out: list[Network] = []
    for n in range(RANDOM_NETWORKS):
        d, T = int(rng.integers(1, MAX_DIM + 1)), int(rng.integers(2, MAX_STEPS + 1))
        kind = n % 3
        G = (
            rng.standard_normal((d, d))
            if kind == 0
            else np.eye(d) + 1.5 * np.eye(d, k=1)
            if kind == 1
            else _orthogonal(rng, d) + 0.01 * rng.standard_normal((d, d))
        )
        rate = RATES[n % len(RATES)]
        W = G * (rate / (gamma * np.linalg.norm(G, 2)))
        drive = (0.5, 1.0, 20.0)[n % 3]
        out.append(Network(W, drive * rng.standard_normal((d, 2)), drive * rng.standard_normal(d), rng.standard_normal((T, 2)), rng.uniform(-1, 1, d)))
    argmax = _argmax(name)
    if argmax is not None:
        for d, T in ((2, 12), (5, 30)):
            jordan = 0.8 * np.eye(d) + 1.2 * np.eye(d, k=1)
            out.append(_pinned(jordan / gamma, argmax, T))
        for rate in WITNESS_RATES:
            for d, T in ((1, 20), (4, MAX_STEPS), (MAX_DIM, 40)):
                w = _pinned(rate / gamma * _orthogonal(rng, d), argmax, T)
                out.append(replace(w, witness=True))
    return out


def networks(activations: tuple[str, ...]) -> list[tuple[str, Network]]:
    """Statement 9's instances for these activations, (activation, network), drawn from the statement's seed in a fixed order."""
    rng = np.random.default_rng(SEEDS["bound"])
    return [(name, net) for name in activations for net in _networks(rng, name)]


_CHAINS: dict[tuple[object, ...], tuple[BallChain, int]] = {}


def _chain(name: str, net: Network) -> tuple[BallChain, int]:
    """The network run in balls at the precision its products need (``tight_chain``), once per network and process: the
    checks of statements 9, 11 and 15 read the same chains, and a chain keeps its norm enclosures. Keyed by the
    network's own numbers, so a changed network is run afresh."""
    key = (name, *(np.asarray(x).tobytes() for x in (net.W, net.U, net.b, net.xs, net.s0)), net.W.shape, net.xs.shape)
    if key not in _CHAINS:
        chain, _, bits = tight_chain(net.W, net.U, net.b, net.xs, net.s0, name)
        _CHAINS[key] = (chain, bits)
    return _CHAINS[key]


def _on_networks(label: str, links: list[tuple[sp.Basic, str, sp.Basic]], context: CheckContext) -> tuple[Tally, int, set[int]]:
    """Prove ``links`` at every lag of statement 9's networks, in ball arithmetic at the precision each network needs
    (the run, the one-step Jacobians, their products and the pre-activations enclosed); on the witnesses, attained.
    Returns the tally, the number of networks and the precisions used."""
    st, model = context.statements, context.model
    t, k = st.idx.t.name, st.idx.k.name
    entry = _ENTRY.match(model.notation.indexed("preactivation", "j,i"))
    tally, count, precisions = Tally(), 0, set()
    for name, net in networks(context.config.activations):
        d, T = net.W.shape[0], net.steps
        chain, bits = _chain(name, net)
        precisions.add(bits)
        with precision(bits):
            scope = _lam_scope(_with_weights(_activation_scope(label, context, name, d), net.W, model.W.name), context)
            scope = replace(scope, chain=chain, preactivation=entry["base"] if entry else "", memo={})
            for lag_start in range(T):
                where = f"{name}, d = {d}, t = {T}, k = {lag_start}" + (" (witness)" if net.witness else "")
                establish(links, replace(scope, integers={t: T, k: lag_start}), tally, net.witness, where)
        count += 1
    fail_unless(label, tally.attained > 0, "no witness network: the bound was not tested where it is sharp")
    return tally, count, precisions


def check_sharper(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Statement 11: ||ds_t/ds_k||_2 <= lambda^(t-k) prod_{j=k+1}^t max_i |phi'(a_{j,i})| <= (gamma lambda)^(t-k), read and proved
    on statement 9's networks at every lag, from the enclosed pre-activations of each step; attained on W = lambda Q."""
    label = "sharper"
    tally, count, precisions = _on_networks(label, relations(math, label), context)
    model = context.model
    method = (
        "every link proved at every lag in ball arithmetic (",
        sp.Integer(min(precisions)),
        " to ",
        sp.Integer(max(precisions)),
        "-bit balls): the products of the one-step Jacobians and their 2-norms enclosed, each step's largest slope ",
        "from its enclosed pre-activations; on the witnesses, with every pre-activation at the argmax, each link attained",
    )
    instance = (sp.Integer(count), " networks, the same as for the bound, ", sp.Le(model.d, MAX_DIM), ", ", sp.Le(context.statements.idx.t, MAX_STEPS))
    summary = ("in ball arithmetic, at every lag of ", sp.Integer(count), " networks, witnesses that attain it included, ", sp.Le(model.d, MAX_DIM))
    return CheckResult(label, method, instance, tally.total, _log(tally, "sharper bound"), summary=summary)


def check_bound(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Statement 9: ||ds_t/ds_k||_2 <= (gamma lambda)^(t-k) read and proved for every lag of random RNNs, attained on W = lambda Q."""
    label = "bound"
    st, model = context.statements, context.model
    tally, count, precisions = _on_networks(label, relations(math, label), context)
    Q, z = sp.Symbol("Q"), sp.Symbol("z^*")
    method = (
        "every lag proved in ball arithmetic (",
        sp.Integer(min(precisions)),
        " to ",
        sp.Integer(max(precisions)),
        "-bit balls, as each network needs: the forward run, the products of the one-step Jacobians and their 2-norms enclosed, ",
        st.lam,
        " the enclosed largest singular value ",
        Norm(model.W),
        ") and attained to a relative ",
        sp.Float(ATTAINED, 2),
        " on the witness ",
        sp.Eq(model.W, st.lam * Q, evaluate=False),
        " with every ",
        model.a_j,
        " held at the argmax ",
        z,
        " of the slope",
    )
    instance = (
        sp.Integer(count),
        " networks: random (Gaussian, non-normal, near-orthogonal, some saturated) with ",
        st.gamma * st.lam,
        " from ",
        number(min(RATES)),
        " to ",
        number(max(RATES)),
        ", non-normal ones pinned at the argmax, and the witnesses at rates ",
        *_listed([sp.nsimplify(rate) for rate in WITNESS_RATES]),
        "; ",
        sp.Le(model.d, MAX_DIM),
        ", ",
        sp.Le(st.idx.t, MAX_STEPS),
    )
    summary = (
        "in ball arithmetic, at every lag of ",
        sp.Integer(count),
        " networks, witnesses that attain it included, ",
        sp.Le(model.d, MAX_DIM),
        ", ",
        sp.Le(st.idx.t, MAX_STEPS),
    )
    return CheckResult(label, method, instance, tally.total, _log(tally, "bound"), summary=summary)


# -- the clipping statement --------------------------------------------------------------------------------


CLIP_THRESHOLDS = (sp.Rational(1, 2), sp.Integer(1), sp.Integer(5))  # c
CLIP_SCALES = (sp.Rational(1, 10), sp.Integer(1), sp.Integer(10))  # ||g||_2 / c: below, at and above the threshold


def gradients() -> list[tuple[Array, sp.Rational, bool]]:
    """The clipping statement's instances (g, c, at): for each threshold c and each scale, a random g with ||g||_2 = scale c, and
    g = c e_1 where the norm is exactly c (``at``: the factor min(1, c/||g||) is 1 from both sides)."""
    rng = np.random.default_rng(SEEDS["clipping"])
    cases: list[tuple[Array, sp.Rational, bool]] = []
    for c in CLIP_THRESHOLDS:
        for scale in CLIP_SCALES:
            d = int(rng.integers(1, MAX_DIM + 1))
            g = rng.standard_normal((d, 1))
            cases.append((g * (float(scale * c) / float(np.linalg.norm(g))), c, False))
        e = np.zeros((int(rng.integers(1, MAX_DIM + 1)), 1))
        e[0, 0] = float(c)
        cases.append((e, c, True))
    return cases


def _constant(value: arb) -> arb:
    return value


def _same_matrix(left: arb_mat, right: arb_mat) -> bool:
    """Two ball matrices of one shape whose entries agree to the enclosure width EQUAL."""
    if (left.nrows(), left.ncols()) != (right.nrows(), right.ncols()):
        return False
    return all(equal(left[i, j], right[i, j], EQUAL) for i in range(left.nrows()) for j in range(left.ncols()))


def check_clipping(math: sp.Basic, context: CheckContext) -> CheckResult:
    """The clipping statement: the clipped gradient computed from the printed definition has the printed norm and direction, and
    equals g where the printed premise holds; on gradients below, at and above the threshold, in ball arithmetic."""
    label = "clipping"
    fail_unless(
        label, isinstance(math, Conjunction) and len(math.args) == 4, "expected the clipped gradient's definition, its norm, its direction and g below c"
    )
    definition, capped, direction, unchanged = math.args
    fail_unless(label, isinstance(definition, sp.Eq) and isinstance(definition.lhs, sp.MatrixSymbol), f"{definition} does not define the clipped gradient")
    clipped, rule = definition.lhs, definition.rhs
    vectors = sorted({m.name for m in rule.atoms(sp.MatrixSymbol)} - {clipped.name})
    thresholds = sorted((s for s in rule.free_symbols if isinstance(s, sp.Symbol) and s != context.model.d), key=str)
    fail_unless(label, len(vectors) == 1 and len(thresholds) == 1, f"the definition {rule} is not in one gradient and one threshold")
    fail_unless(label, isinstance(direction, sp.Eq), f"{direction} is not an equation")
    fail_unless(label, isinstance(unchanged, Chain) and [str(a) for a in unchanged.args[1::2]] == ["=>"], f"{unchanged} is not an implication")
    premise, _, conclusion = unchanged.args
    fail_unless(label, isinstance(conclusion, sp.Eq), f"{conclusion} is not an equation")
    g_name, c = vectors[0], thresholds[0]
    tally, below = Tally(), 0
    with precision(BITS):
        for g, c_value, at in gradients():
            d = g.shape[0]
            where = f"g of norm {float(np.linalg.norm(g)):.3g}, c = {c_value}, d = {d}"
            threshold: arb = arb(int(c_value.p)) / arb(int(c_value.q))
            scope = Scope(label, d, sizes={context.model.d: d}, scalars={c.name: partial(_constant, threshold)}, matrices={g_name: ball_matrix(g)})
            scope = replace(scope, matrices={**scope.matrices, clipped.name: _matrix(evaluate(rule, scope), scope, rule)})  # g~ as defined
            establish(relations(capped, label), scope, tally, False, where)
            lhs, rhs = (_matrix(evaluate(side, scope), scope, side) for side in (direction.lhs, direction.rhs))
            fail_unless(label, _same_matrix(lhs, rhs), f"{direction} fails on {where}: left {lhs}, right {rhs}")
            tally.equal += 1
            links = relations(premise, label)
            holds = all(decide(_scalar(evaluate(a, scope), scope, a), r, _scalar(evaluate(b, scope), scope, b)) is not None for a, r, b in links)
            if holds:
                below += 1
                lhs, rhs = (_matrix(evaluate(side, scope), scope, side) for side in (conclusion.lhs, conclusion.rhs))
                fail_unless(label, _same_matrix(lhs, rhs), f"{conclusion} fails on {where}, where {premise} holds")
                tally.equal += 1
            elif at:
                raise CheckFailed(label, f"{premise} is not established at {where}, where the norm equals the threshold")
    fail_unless(label, below >= 2 * len(CLIP_THRESHOLDS), f"the premise {premise} held on {below} gradients only: g below c was not tested")
    count = sp.Integer(len(gradients()))
    method = (
        "the clipped gradient computed from the printed definition, then its norm, its direction and, where the premise "
        "holds, the gradient itself compared with the printed right sides in ball arithmetic (",
        sp.Integer(BITS),
        "-bit balls, each 2-norm enclosed from below and above)",
    )
    instance = (
        count,
        " gradients, for each threshold ",
        *_listed([sp.Eq(c, value) for value in CLIP_THRESHOLDS]),
        " one of norm ",
        *_listed([scale * c for scale in CLIP_SCALES]),
        " in a random direction, and ",
        sp.Symbol(rf"{c} e_1"),
        "; ",
        sp.Le(context.model.d, MAX_DIM),
    )
    summary = ("in ball arithmetic, on ", count, " gradients below, at and above the threshold, ", sp.Le(context.model.d, MAX_DIM))
    return CheckResult(label, method, instance, tally.total, _log(tally, "clipping"), summary=summary)


# -- statement 14: the spectral radius and the powers of W ------------------------------------------------------

GELFAND_POWERS = (1, 2, 3, 5, 8, 13, 21, 34)
GELFAND_MATRICES = 12  # random W besides the normal witnesses


def gelfand_matrices() -> list[tuple[Array, bool]]:
    """Statement 14's instances (W, witness): Gaussian, non-normal (triangular, distinct diagonal, a large corner) and
    scaled rotations; the witnesses are symmetric, normal W, for which all three sides are equal."""
    rng = np.random.default_rng(SEEDS["gelfand"])
    out: list[tuple[Array, bool]] = []
    for n in range(GELFAND_MATRICES):
        d = int(rng.integers(1, MAX_DIM + 1))
        kind = n % 3
        if kind == 0:
            W = rng.standard_normal((d, d)) / np.sqrt(d)
        elif kind == 1:
            W = np.diag(rng.uniform(0.3, 0.9, d)) + np.triu(rng.standard_normal((d, d)) * 2.0, 1)
        else:
            W = 0.9 * _orthogonal(rng, d)
        out.append((W, False))
    for d in (1, 3, MAX_DIM):
        A = rng.standard_normal((d, d))
        out.append(((A + A.T) / (2 * np.sqrt(d)), True))
    return out


def check_gelfand(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Statement 14: rho(W) <= ||W^n||_2^(1/n) <= ||W||_2 read and proved in ball arithmetic for every n in GELFAND_POWERS on
    random, non-normal and rotation W; on symmetric W (normal), all three must be equal."""
    label = "gelfand"
    links = relations(math, label)
    model = context.model
    rho = links[0][0]
    fail_unless(label, isinstance(rho, sp.Symbol) and rho.name.startswith(r"\rho"), f"the chain starts with {rho}, not the spectral radius")
    exponents = [s for s in math.free_symbols if isinstance(s, sp.Symbol) and s != rho and s != model.d and s.name not in Chain.RELATIONS]
    fail_unless(label, len(exponents) == 1, f"expected one power n in {math}, found {exponents}")
    n = exponents[0]
    tally = Tally()
    matrices = gelfand_matrices()
    with precision(BITS):
        for W, witness in matrices:
            d = W.shape[0]
            Wb = ball_matrix(W)
            radius = spectral_radius(Wb)
            scope = Scope(label, d, sizes={model.d: d}, matrices={model.W.name: Wb}, scalars={rho.name: partial(_constant, radius)})
            for power in GELFAND_POWERS:
                establish(links, replace(scope, integers={n.name: power}), tally, witness, f"a {d} x {d} W, n = {power}" + (" (normal)" if witness else ""))
    fail_unless(label, tally.attained > 0, "no normal W: the chain was not tested where it is sharp")
    count = sp.Integer(len(matrices))
    method = (
        "every link proved in ball arithmetic (",
        sp.Integer(BITS),
        "-bit balls; the spectral radius from certified eigenvalue enclosures, each 2-norm enclosed from below and above); "
        "on the normal witnesses, every link attained",
    )
    instance = (
        sp.Integer(GELFAND_MATRICES),
        " random matrices (Gaussian, non-normal triangular, scaled rotations) and ",
        count - GELFAND_MATRICES,
        " symmetric ones, each at every ",
        n,
        " in ",
        sp.FiniteSet(*GELFAND_POWERS),
        "; ",
        sp.Le(model.d, MAX_DIM),
    )
    summary = (
        "in ball arithmetic, on ",
        count,
        " matrices, non-normal and normal, at powers up to ",
        sp.Integer(max(GELFAND_POWERS)),
        ", ",
        sp.Le(model.d, MAX_DIM),
    )
    return CheckResult(label, method, instance, tally.total, _log(tally, "gelfand"), summary=summary)


# -- truncated BPTT ------------------------------------------------------------------------------------------


def _geometric_tail(quotient: sp.Expr, rate: sp.Expr, first: sp.Expr, label: str) -> None:
    """The printed bound's quotient by its constant must be sum_{n >= first} rate^n, the tail of the geometric series,
    exactly: SymPy sums the series (for a symbol r in (0, 1)) and the quotient is compared with the sum, not as text."""
    r = sp.Symbol("r", positive=True)
    quotient = quotient.subs(rate, r)
    n = sp.Symbol("n", integer=True, nonnegative=True)
    tail = sp.summation(r**n, (n, first, sp.oo)).doit()
    tail = tail.args[0][0] if isinstance(tail, sp.Piecewise) else tail  # the branch for |r| < 1
    fail_unless(label, quotient.free_symbols <= ({r} | first.free_symbols), f"the bound is not its constant times a function of the rate: {quotient}")
    fail_unless(label, sp.simplify(quotient - tail) == 0, f"the bound over its constant is {quotient}, not the tail sum_(n >= {first}) r^n = {tail}")


def bptt_terms(chain: BallChain, act: BallActivation, s0: Array, g: list[arb], p: int, q: int) -> tuple[list[arb], list[arb]]:
    """The terms of statement 1 for L = g . s_T and the entry W_pq (0-based p, q), k = 1 .. T, in balls from the chain:
    g . (ds_T/ds_k)[:, p] times the one nonzero entry phi'(a_{k,p}) s_{k-1,q} of d+s_k/dW_pq; and those entries."""
    T, d = len(chain.products), len(g)
    states = [arb(float(x)) for x in np.asarray(s0).tolist()]
    entries = []
    for j in range(1, T + 1):
        entries.append(act.slope(chain.pre[j - 1][p]) * states[q])
        states = [act.phi(a) for a in chain.pre[j - 1]]
    terms = []
    for k in range(1, T + 1):
        column = chain.jacobian(T, k)  # ds_T/ds_k; the immediate partial picks its column p
        terms.append(sum((g[i] * column[i, p] for i in range(d)), arb(0)) * entries[k - 1])
    return terms, entries


def check_truncation(math: sp.Basic, context: CheckContext) -> CheckResult:
    """Truncated BPTT: the printed dropped terms (those of statement 1 with k <= t - tau), bounded by the printed right side.

    Read from the statement: the hypothesis (the rate below 1), the summand (it must be statement 1's, as printed), the
    range of the dropped terms, and the bound, whose quotient by ||dL_t/ds_t|| max_k ||d+s_k/dW_pq|| must be exactly the
    tail sum_{n >= t - (upper limit)} r^n of the geometric series (each dropped term is at most that constant times
    (gamma lambda)^(t - k), by statements 8 and 9). Then, on the networks of statement 9 with gamma lambda < 1, a random
    loss gradient and entry (p, q), every truncation tau: the dropped sum enclosed in ball arithmetic from the enclosed
    products and immediate partials, and proved at most the printed bound evaluated on the instance.
    """
    label = "truncation"
    st, model = context.statements, context.model
    fail_unless(label, isinstance(math, Chain) and [str(a) for a in math.args[1::2]] == ["=>", "<="], f"{math} is not 'rate < 1 => |dropped| <= bound'")
    premise, _, dropped, _, bound = math.args
    rate = st.gamma * st.lam
    fail_unless(label, isinstance(premise, sp.Lt) and premise.lhs == rate and premise.rhs == 1, f"the hypothesis {premise} is not {rate} < 1")
    fail_unless(label, isinstance(dropped, sp.Abs) and isinstance(dropped.args[0], sp.Sum), f"{dropped} is not the size of a sum")
    total = dropped.args[0]
    summand, (k, lower, upper) = total.function, total.limits[0]
    printed_summand = st.bptt_sum.rhs.function
    fail_unless(label, summand == printed_summand and k == st.idx.k, f"the summand {summand} is not the one of statement 1, {printed_summand}")
    fail_unless(label, lower == 1, f"the dropped terms start at k = {lower}, not at the first step")
    loss, _, immediate = summand.args
    constant = sp.Mul(Norm(loss), Extremum(Norm(immediate), k, "max"), evaluate=False)
    t = st.idx.t
    quotient = sp.simplify(bound / constant)  # what multiplies ||dL_t/ds_t|| max_k ||d+s_k/dW_pq|| in the printed bound
    _geometric_tail(quotient, rate, t - upper, label)
    taus = sorted(upper.free_symbols - {t}, key=str)
    fail_unless(label, len(taus) == 1, f"the upper limit {upper} is not t minus a truncation length")
    tau = taus[0]
    tally, cases = Tally(equal=1), 0  # the tail, compared exactly
    rng = np.random.default_rng(SEEDS["truncation"])
    for name, net in networks(context.config.activations):
        gamma = float(derive_gamma(name).gamma)
        if gamma * float(np.linalg.norm(net.W, 2)) >= 1.0 or net.steps < 3:
            continue
        d, T = net.W.shape[0], net.steps
        chain, bits = _chain(name, net)
        act = ball_activation(name)
        p_, q_ = int(rng.integers(d)), int(rng.integers(d))
        g = rng.standard_normal(d)
        with precision(bits):
            lam = norm_ball(ball_matrix(net.W))
            gamma_ball = _number(derive_gamma(name).gamma, Scope(label, d))
            rates = Scope(label, d, scalars={st.gamma.name: partial(_constant, gamma_ball), st.lam.name: partial(_constant, lam)})
            gb = [arb(float(x)) for x in np.asarray(g).tolist()]
            per_term, entries = bptt_terms(chain, act, net.s0, gb, p_, q_)
            norm_g = sum((x * x for x in gb), arb(0)).sqrt()
            for length in range(1, T):
                hi = int(sp.sympify(upper).subs({t: T, tau: length}))
                if hi < 1:
                    continue
                terms = sum(per_term[:hi], arb(0))
                largest = abs(entries[0])
                for value in entries[1:hi]:
                    largest = arb.max(largest, abs(value))
                printed = norm_g * largest * _scalar(evaluate(quotient, replace(rates, integers={tau.name: length})), rates, quotient)
                where = f"{name}, d = {d}, t = {T}, tau = {length}"
                if not abs(terms) <= printed:
                    raise CheckFailed(label, f"the dropped terms exceed the bound on {where}: |dropped| {abs(terms).str(10)}, bound {printed.str(10)}")
                tally.proved += 1
        cases += 1
    fail_unless(label, cases >= 4, f"only {cases} networks with gamma lambda < 1: the bound was hardly tested")
    method = (
        "the bound read as ",
        constant,
        " times a function of the rate, which must equal the tail ",
        sp.Symbol(r"\sum_{n \ge \tau} r^n"),
        " summed exactly; then the dropped terms enclosed in ball arithmetic from the enclosed products and immediate partials "
        "(a random loss gradient and entry) and proved at most the printed bound",
    )
    instance = (sp.Integer(cases), " of the bound's networks, those with ", sp.Lt(rate, 1), ", every truncation length ", tau, "; ", sp.Le(model.d, MAX_DIM))
    summary = ("exactly for the geometric tail, then in ball arithmetic at every ", tau, " of ", sp.Integer(cases), " networks with ", sp.Lt(rate, 1))
    return CheckResult(label, method, instance, tally.total, _log(tally, "truncation"), summary=summary)


CHECKS = {
    "truncation": check_truncation,
    "gelfand": check_gelfand,
    "diagonal-norm": check_diagonal_norm,
    "submultiplicative": check_submultiplicative,
    "bound": check_bound,
    "sharper": check_sharper,
    "clipping": check_clipping,
}


# -- what the checks ran on -----------------------------------------------------------------------------------


def _sizes(*arrays: Array) -> str:
    """The Frobenius norm of each array to 6 significant digits: a short fingerprint of an instance."""
    return " ".join(f"{float(np.linalg.norm(x)):.6g}" for x in arrays)


def instance_summary(activations: tuple[str, ...]) -> str:
    """One line per instance of statements 7 to 9 for these activations: sizes, kind and the Frobenius norms of its arrays.

    The instances are drawn from seeded generators, so this text is the same on every machine: the test suite keeps it
    as a golden file, and a change of any instance (a scale, a size, a family) shows there.
    """
    lines = ["# statement 7: activation, d, witness, ||a_j|| ||W||"]
    lines += [f"{v.activation} d={v.a.shape[0]} witness={v.witness} {_sizes(v.a, v.W)}" for v in vectors(activations)]
    lines += ["# statement 8: d, witness, ||A|| ||B||"]
    lines += [f"d={A.shape[0]} witness={witness} {_sizes(A, B)}" for A, B, witness in matrix_pairs()]
    lines += ["# statement 9: activation, d, t, witness, gamma ||W||_2, ||W|| ||U|| ||b|| ||x|| ||s_0||"]
    for name, net in networks(activations):
        rate = float(derive_gamma(name).gamma) * float(np.linalg.norm(net.W, 2))
        lines.append(f"{name} d={net.W.shape[0]} t={net.steps} witness={net.witness} {rate:.6g} {_sizes(net.W, net.U, net.b, net.xs, net.s0)}")
    return "\n".join(lines) + "\n"
