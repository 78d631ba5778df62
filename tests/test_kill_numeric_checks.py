"""The decision procedure of the numeric checks (statements 7-9): what counts as proved, as equal, and the values it reads.

These tests were added after a mutation run (docs/mutation.md): each asserts a property the checks rely on
and that a survivor showed was untested.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from functools import cache

import numpy as np
import pytest
import sympy as sp
from flint import arb, arb_mat

from derive import Config
from derive.activations import derive_gamma
from derive.checks import CheckContext, run_check
from derive.document import CheckResult
from derive.errors import CheckFailed
from derive.expressions import Jacobian, Norm
from verify import numeric_checks
from verify.enclose import BallChain, tight_chain
from verify.numeric_checks import CHECKS, EQUAL, MAX_DIM, MAX_STEPS, Scope, Tally, decide, equal, evaluate, spectral_radius


def test_overlapping_balls_wider_than_the_width_are_not_equal() -> None:
    """Equality needs overlap AND a union narrower than width x size: 1 and 1 +- 0.1 overlap but are not equal to 1e-9."""
    assert not equal(arb(1), arb(1, 0.1), EQUAL)
    assert equal(arb(1), arb(1, 1e-12), EQUAL)
    assert equal(arb(0), arb(0), EQUAL)
    assert not equal(arb(1), arb(2), 10.0)  # disjoint balls are never equal, however wide the tolerance


def test_decide_separates_proved_equal_and_unproved() -> None:
    assert decide(arb(1), "<=", arb(2)) == "proved"
    assert decide(arb(2), ">=", arb(1)) == "proved"
    assert decide(arb(1), "<=", arb(1, 1e-12)) == "equal"
    assert decide(arb(2), "<=", arb(1)) is None
    assert decide(arb(1), "<", arb(1)) is None
    assert decide(arb(1), "=", arb(1, 0.1)) is None


def test_the_tally_total_counts_every_kind() -> None:
    assert Tally(proved=2, equal=3, attained=5).total == 10


def test_the_spectral_radius_of_a_nilpotent_and_a_diagonal_matrix() -> None:
    """rho of a Jordan block with eigenvalue 0 is 0 (the ball holds 0 and is small); rho of diag(1/2, -3/4) is 3/4."""
    nilpotent = spectral_radius(arb_mat([[0, 10], [0, 0]]))
    assert nilpotent.contains(0) and nilpotent.upper() < 1
    diagonal = spectral_radius(arb_mat([[arb(1) / 2, 0], [0, arb(-3) / 4]]))
    assert diagonal.contains(arb(3) / 4) and diagonal.rad() < 1e-10


def test_a_negative_power_of_a_number_is_its_reciprocal() -> None:
    scope = Scope("test", 1, scalars={"g": lambda: arb(4)})
    value = evaluate(sp.Symbol("g") ** -2, scope)
    assert isinstance(value, arb) and value.contains(arb(1) / 16) and value.rad() < 1e-30


# -- the interpreter: values and refusals (second mutation run) -------------------------------------------------


def test_entries_of_a_vector_are_read_by_their_one_based_index() -> None:
    """a_{j,i} is entry i of the column a_j for i = 1..d, and an index outside 1..d is refused, not wrapped or clipped."""
    vector = arb_mat([[arb(-5)], [arb(2)], [arb(7)]])
    entry = sp.Symbol("v_{j,i}")
    for i, expected in ((1, -5), (2, 2), (3, 7)):
        value = evaluate(entry, Scope("test", 3, matrices={"v_{j}": vector}, integers={"i": i}))
        assert isinstance(value, arb) and value.contains(expected) and value.rad() == 0
    for i in (0, 4):
        with pytest.raises(CheckFailed, match="does not exist"):
            evaluate(entry, Scope("test", 3, matrices={"v_{j}": vector}, integers={"i": i}))


def _tiny_chain() -> BallChain:
    W = np.array([[0.5, 0.2], [0.0, 0.4]])
    chain, _, _ = tight_chain(W, np.zeros((2, 1)), np.zeros(2), np.zeros((4, 1)), np.zeros(2), "tanh")
    return chain


def test_a_jacobian_of_something_other_than_states_is_refused() -> None:
    """ds_t/ds_k is read only for states s_(index) with indices fixed on the instance: dx_t/ds_k and ds_t/ds_j (j free) are refused."""
    t, k, j = sp.symbols("t k j")
    s, x = sp.IndexedBase("s"), sp.IndexedBase("x")
    scope = Scope("test", 2, integers={"t": 4, "k": 1}, chain=_tiny_chain())
    value = evaluate(Norm(Jacobian(s[t], s[k])), scope)
    assert isinstance(value, arb) and value > 0
    with pytest.raises(CheckFailed, match="is not a state"):
        evaluate(Norm(Jacobian(x[t], s[k])), scope)
    with pytest.raises(CheckFailed, match="not fixed on the instance"):
        evaluate(Norm(Jacobian(s[t], s[j])), scope)


def _constant(value: arb) -> Callable[[], arb]:
    return lambda: value


def test_numeric_constants_max_min_and_transpose_evaluate() -> None:
    """pi/4 and e^(-1/2) are numbers (not unknown symbols); Max and Min of scalars pick the right one whatever the order;
    A^T is the transpose."""
    scope = Scope("test", 2)
    for constant in (sp.pi / 4, sp.exp(sp.Rational(-1, 2))):
        value = evaluate(constant, scope)
        assert isinstance(value, arb) and value.rad() < 1e-12 and abs(float(value.mid()) - float(constant)) < 1e-12
    x, y = sp.symbols("x y")
    for a, b in ((3, 1), (1, 3)):
        pair = Scope("test", 2, scalars={"x": _constant(arb(a)), "y": _constant(arb(b))})
        largest, smallest = evaluate(sp.Max(x, y), pair), evaluate(sp.Min(x, y), pair)
        assert isinstance(largest, arb) and largest.contains(3) and isinstance(smallest, arb) and smallest.contains(1)
    A = sp.MatrixSymbol("A", 2, 2)
    matrices = Scope("test", 2, matrices={"A": arb_mat([[1, 2], [3, 4]])})
    transposed = evaluate(sp.Transpose(A), matrices)
    assert isinstance(transposed, arb_mat) and transposed[0, 1].contains(3) and transposed[1, 0].contains(2)


def test_equality_to_a_width_includes_the_width_itself() -> None:
    """The tolerance is inclusive: a ball whose radius is exactly ``width`` x its midpoint is equal to itself to that width
    (its radius, rounded up when stored, is read back to set the width exactly), and not to any smaller width."""
    ball = arb(2, 1)
    width = float(ball.union(ball).rad()) / 2
    assert equal(ball, ball, width)
    assert not equal(ball, ball, width * (1 - 1e-6))


@pytest.mark.parametrize("constant", [sp.pi, sp.sqrt(2), sp.exp(-1), sp.pi / 4 + sp.E])
def test_a_bare_constant_evaluates_to_a_ball_holding_it(constant: sp.Expr) -> None:
    value = evaluate(constant, Scope("test", 2))
    assert isinstance(value, arb) and value.is_finite() and abs(float(value.mid()) - float(constant)) < 1e-12


def test_a_constant_without_a_ball_form_is_refused_not_guessed() -> None:
    with pytest.raises(CheckFailed, match="no ball evaluation"):
        evaluate(sp.log(2), Scope("test", 2))


def test_the_spectral_radius_of_a_jordan_block_is_enclosed_tightly() -> None:
    """rho([[1/2, 1], [0, 1/2]]) = 1/2 although ||W||_2 > 1: the enclosure (Gelfand's bound, the eigenvalue is defective)
    holds 1/2 and its upper end is within 2 % of it, far below the norm."""
    jordan = arb_mat([[arb(1) / 2, 1], [0, arb(1) / 2]])
    radius = spectral_radius(jordan)
    assert radius.contains(arb(1) / 2) and radius.upper() < 0.51


# -- the count the report gives is the number of relations decided ------------------------------------------------


@cache
def _context(activations: tuple[str, ...] = ("tanh",)) -> CheckContext:
    return CheckContext(Config(activations=activations))


def _decisions(monkeypatch: pytest.MonkeyPatch, label: str) -> tuple[CheckResult, Counter[str]]:
    """Run the check of ``label`` on the printed statement, counting each relation decided (by its outcome) and each
    relation established on a witness (where it must also be attained)."""
    seen: Counter[str] = Counter()
    real_decide, real_establish = numeric_checks.decide, numeric_checks.establish

    def decide(left: arb, relation: str, right: arb) -> str | None:
        outcome = real_decide(left, relation, right)
        seen[str(outcome)] += 1
        return outcome

    def establish(links: list[tuple[sp.Basic, str, sp.Basic]], scope: Scope, tally: Tally, witness: bool, where: str) -> None:
        real_establish(links, scope, tally, witness, where)
        seen["attained"] += len(links) if witness else 0

    monkeypatch.setattr(numeric_checks, "decide", decide)
    monkeypatch.setattr(numeric_checks, "establish", establish)
    ctx = _context()
    return run_check(CHECKS, label, ctx.statements[label], ctx), seen


@pytest.mark.parametrize("label", ["diagonal-norm", "submultiplicative", "bound"])
def test_the_reported_comparisons_are_the_relations_decided(monkeypatch: pytest.MonkeyPatch, label: str) -> None:
    """comparisons = relations proved + relations held with equality + relations attained on witnesses, each counted as it
    was decided; the log reports the three numbers in that order."""
    result, seen = _decisions(monkeypatch, label)
    assert seen["None"] == 0 and seen["attained"] > 0
    assert result.comparisons == seen["proved"] + seen["equal"] + seen["attained"]
    (line,) = result.log
    assert [int(item) for item in line if isinstance(item, sp.Integer)] == [seen["proved"], seen["equal"], seen["attained"]]
    if label == "diagonal-norm":
        assert seen["equal"] > 0  # ||diag(phi'(a_j))||_2 = max_i |phi'(a_{j,i})| is an equality on every instance


def test_a_fresh_tally_counts_nothing() -> None:
    assert Tally().total == 0


@pytest.mark.parametrize("label", ["diagonal-norm", "bound"])
def test_a_check_without_witnesses_refuses(monkeypatch: pytest.MonkeyPatch, label: str) -> None:
    """If gamma were not attained (no argmax z*), there would be no instance where the bound is sharp: the check must say so
    rather than report a bound never tested where it is tight."""
    real = numeric_checks.derive_gamma
    monkeypatch.setattr(numeric_checks, "derive_gamma", lambda name, *rest: dataclasses.replace(real(name, *rest), argmax=None))
    ctx = _context()
    with pytest.raises(CheckFailed, match="sharp"):
        run_check(CHECKS, label, ctx.statements[label], ctx)


def test_a_weakened_submultiplicativity_is_refuted_not_refused() -> None:
    """||A B||_2 <= ||A||_2 is read (two matrices on the left count) and refuted on the instances, not refused for its form."""
    ctx = _context()
    math = ctx.statements["submultiplicative"]
    with pytest.raises(CheckFailed, match="refuted"):
        run_check(CHECKS, "submultiplicative", sp.Le(math.lhs, math.rhs.args[0], evaluate=False), ctx)


# -- the instance families cover what the docstrings promise -----------------------------------------------------


def _pre_activation_family() -> dict[str, list[tuple[np.ndarray, bool]]]:
    family: dict[str, list[tuple[np.ndarray, bool]]] = {}
    for v in numeric_checks.vectors(("sigmoid", "tanh")):
        family.setdefault(v.activation, []).append((v.a, v.witness))
    return family


def test_statement_7_instances_are_moderate_saturated_and_at_the_argmax() -> None:
    """Per activation: RANDOM_VECTORS random vectors of dimension 1..MAX_DIM, some moderate (every |a| < 5), some deeply
    saturated (some |a| >= 100); and witnesses, each holding the argmax z* of |phi'| in one entry."""
    for name, family in _pre_activation_family().items():
        random = [a for a, witness in family if not witness]
        witnesses = [a for a, witness in family if witness]
        assert len(random) == numeric_checks.RANDOM_VECTORS
        assert all(1 <= a.shape[0] <= MAX_DIM for a, _ in family)
        assert any(np.abs(a).max() < 5 for a in random) and any(np.abs(a).max() >= 100 for a in random)
        argmax = derive_gamma(name).argmax
        assert argmax is not None
        z_star = float(argmax)
        assert len(witnesses) >= 1 and all(np.any(a == z_star) for a in witnesses)


def _pairs() -> list[tuple[np.ndarray, np.ndarray, bool]]:
    return numeric_checks.matrix_pairs()


def test_statement_8_pairs_cover_every_kind_promised() -> None:
    """Gaussian, defective (triangular, one repeated eigenvalue, nonzero above the diagonal), rank one and badly scaled
    (||A|| ||B|| far from 1 on each side) pairs, all within MAX_DIM; witnesses A = c Q with Q orthogonal."""
    pairs = _pairs()
    random = [(A, B) for A, B, witness in pairs if not witness]
    big = [(A, B) for A, B in random if A.shape[0] >= 2]
    assert all(1 <= A.shape[0] <= MAX_DIM and A.shape == B.shape for A, B, _ in pairs)
    defective = [A for A, _ in big if np.allclose(np.tril(A, -1), 0) and np.allclose(np.diag(A), A[0, 0]) and np.abs(np.triu(A, 1)).max() > 0]
    rank_one = [A for A, _ in big if np.linalg.matrix_rank(A) == 1]
    badly_scaled = [(A, B) for A, B in random if np.linalg.norm(A, 2) < 0.05 and np.linalg.norm(B, 2) > 100]
    assert defective and rank_one and badly_scaled
    assert len(defective) + len(rank_one) + len(badly_scaled) < len(random)  # and others (the Gaussian ones)
    witnesses = [A for A, _, witness in pairs if witness]
    assert witnesses
    for A in witnesses:
        c = np.linalg.norm(A, 2)
        assert np.allclose(A.T @ A, c**2 * np.eye(A.shape[0]))


def test_statement_8_method_names_the_witness_scale_used() -> None:
    """The method prints the witness as A = c Q; c must be the scale of the witnesses the check ran on."""
    ctx = _context()
    result = run_check(CHECKS, "submultiplicative", ctx.statements["submultiplicative"], ctx)
    (printed,) = [item for item in result.method if isinstance(item, sp.Eq)]
    scales = {sp.nsimplify(np.linalg.norm(A, 2), rational=True, tolerance=1e-9) for A, _, witness in _pairs() if witness}
    assert scales == {printed.rhs.as_coeff_Mul()[0]}


def _network_family() -> dict[str, list[numeric_checks.Network]]:
    family: dict[str, list[numeric_checks.Network]] = {}
    for name, net in numeric_checks.networks(("sigmoid", "tanh")):
        family.setdefault(name, []).append(net)
    return family


def test_statement_9_random_networks_cover_rates_sizes_and_kinds() -> None:
    """Random networks: gamma lambda on both sides of 1, 1 <= d <= MAX_DIM (both ends reached), 2 <= t <= MAX_STEPS, a
    defective W, a near-orthogonal W, and some saturated (a first pre-activation with |a| >= 10)."""
    rates: list[float] = []
    dims: set[int] = set()
    defective = near_orthogonal = saturated = 0
    for name, family in _network_family().items():
        gamma = float(derive_gamma(name).gamma)
        for net in family[: numeric_checks.RANDOM_NETWORKS]:
            W, d = net.W, net.W.shape[0]
            rates.append(gamma * float(np.linalg.norm(W, 2)))
            dims.add(d)
            assert 2 <= net.xs.shape[0] <= MAX_STEPS
            if d >= 2:
                defective += np.allclose(np.tril(W, -1), 0) and np.allclose(np.diag(W), W[0, 0]) and np.abs(np.triu(W, 1)).max() > 0
                near_orthogonal += np.allclose(W.T @ W / np.linalg.norm(W, 2) ** 2, np.eye(d), atol=0.1)
            saturated += np.abs(W @ net.s0 + net.U @ net.xs[0] + net.b).max() >= 10
    assert min(rates) < 0.9 and max(rates) > 1.1
    assert min(dims) == 1 and max(dims) == MAX_DIM and dims <= set(range(1, MAX_DIM + 1))
    assert defective and near_orthogonal and saturated


def test_statement_9_pinned_and_witness_networks_are_what_they_claim() -> None:
    """Every network after the random ones holds a_j at the argmax z* at every step. The non-witnesses are non-normal with
    gamma rho(W) < 1 < gamma ||W||_2 (rho predicts decay, the norm does not); the witnesses are W = lambda Q with gamma lambda
    = 4/5 and 5/4 (both sides of 1)."""
    for name, family in _network_family().items():
        g = derive_gamma(name)
        assert g.argmax is not None
        gamma, z_star = float(g.gamma), float(g.argmax)
        phi = sp.lambdify(g.variable, g.phi)
        pinned = family[numeric_checks.RANDOM_NETWORKS :]
        rates = set()
        for net in pinned:
            W, d = net.W, net.W.shape[0]
            s = net.s0
            for x in net.xs:
                a = W @ s + net.U @ x + net.b
                assert np.allclose(a, z_star, atol=1e-9)
                s = np.array([phi(v) for v in a], dtype=float)
            norm = np.linalg.norm(W, 2)
            if net.witness:
                assert np.allclose(W.T @ W, norm**2 * np.eye(d))
                rates.add(round(gamma * norm, 9))
            else:
                rho = max(abs(np.linalg.eigvals(W)))
                assert gamma * rho < 1 < gamma * norm
        assert rates == {0.8, 1.25}
        assert any(not net.witness for net in pinned)


# -- the interpreter's refusals and rarer paths (third mutation run) -----------------------------------------------

W2 = sp.MatrixSymbol("W", 2, 2)
g, i = sp.symbols("g i")


def _matrix_scope(**extra: object) -> Scope:
    base = Scope("test", 2, matrices={"W": arb_mat([[1, 2], [3, 4]]), "v": arb_mat([[1], [2]])}, scalars={"g": _constant(arb(4))})
    return dataclasses.replace(base, **extra)  # type: ignore[arg-type]


def _odd_extremum() -> sp.Basic:
    """An extremum of a kind the statements never print (Extremum's constructor refuses it; a mutated tree may hold it)."""
    return sp.Basic.__new__(numeric_checks.Extremum, g, i, sp.Symbol("argmax"))


REFUSALS: dict[str, tuple[Callable[[], sp.Basic], str]] = {
    "W^(-1)": (lambda: sp.MatPow(W2, -1, evaluate=False), "a negative power of a matrix"),
    "a matrix to a fractional power": (lambda: sp.MatPow(W2, sp.Rational(1, 2), evaluate=False), "W is a matrix where a number is needed"),
    "a number where a matrix is needed": (lambda: sp.Basic.__new__(sp.DiagMatrix, g), "g is a number where a matrix is needed"),
    "an unknown matrix": (lambda: sp.MatrixSymbol("V", 2, 2), "the matrix V has no meaning"),
    "a total derivative": (lambda: Jacobian(sp.IndexedBase("s")[2], sp.IndexedBase("s")[1], "total"), "not a Jacobian of states"),
    "an extremum of another kind": (_odd_extremum, "an extremum of kind argmax"),
    "diag of a square matrix": (lambda: sp.DiagMatrix(W2), "diag of a 2 x 2 matrix"),
    "an unknown function": (lambda: sp.Function("f")(g), "the function f has no meaning"),
    "a known function of two arguments": (lambda: sp.Function("phi")(g, g), "the function phi has no meaning"),
    "an expression the interpreter does not know": (lambda: sp.sin(g), "cannot evaluate sin"),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_the_interpreter_refuses_what_has_no_meaning_on_the_instance(name: str) -> None:
    """Each refusal names what it could not read, so that a wrong statement fails with the reason, not another error."""
    build, reason = REFUSALS[name]
    scope = _matrix_scope(functions={"phi": lambda x: x})
    with pytest.raises(CheckFailed, match=reason):
        evaluate(build(), scope)


def test_an_entrywise_function_needs_one_variable() -> None:
    """phi applied entrywise is a Lambda of one variable; a function that is not a Lambda, or has two variables, is refused."""
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    x, y = sp.symbols("x y")
    v = sp.MatrixSymbol("v", 2, 1)
    scope = _matrix_scope()
    square = evaluate(ElementwiseApplyFunction(sp.Lambda(x, x**2), v), scope)
    assert isinstance(square, arb_mat) and square[1, 0].contains(4)
    for function in (sp.Lambda((x, y), x + y), sp.Function("f")):
        with pytest.raises(CheckFailed, match="cannot apply"):
            evaluate(sp.Basic.__new__(ElementwiseApplyFunction, function, v), scope)


def test_the_zeroth_power_of_a_matrix_is_the_identity() -> None:
    value = numeric_checks._integer_power(arb_mat([[1, 2], [3, 4]]), 0, _matrix_scope())
    assert isinstance(value, arb_mat) and (value.nrows(), value.ncols()) == (2, 2)
    assert all(value[r, c].contains(int(r == c)) and value[r, c].rad() == 0 for r in range(2) for c in range(2))


def test_a_fractional_power_of_a_number_is_its_root() -> None:
    """g^(1/2) with g = 4 is 2, and g^(3/2) is 8: a non-integer exponent is a real power, not a repeated product."""
    scope = _matrix_scope()
    for exponent, expected in ((sp.Rational(1, 2), 2), (sp.Rational(3, 2), 8)):
        value = evaluate(g**exponent, scope)
        assert isinstance(value, arb) and value.contains(expected) and value.rad() < 1e-30


def test_the_jacobian_of_a_state_by_itself_is_the_identity() -> None:
    """ds_k/ds_k = I at t = k (no factor), and ds_t/ds_k = 0 when t < k."""
    s = sp.IndexedBase("s")
    chain = _tiny_chain()
    same = evaluate(Jacobian(s[2], s[2]), Scope("test", 2, chain=chain))
    assert isinstance(same, arb_mat) and all(same[r, c].contains(int(r == c)) and same[r, c].rad() == 0 for r in range(2) for c in range(2))
    earlier = evaluate(Jacobian(s[1], s[2]), Scope("test", 2, chain=chain))
    assert isinstance(earlier, arb_mat) and all(earlier[r, c].is_zero() for r in range(2) for c in range(2))


def test_a_matrix_on_either_side_of_a_relation_is_refused() -> None:
    for link in ((W2, "<=", g), (g, "<=", W2)):
        with pytest.raises(CheckFailed, match="W is a matrix where a number is needed"):
            numeric_checks.establish([link], _matrix_scope(), Tally(), False, "a test")


def test_exactly_equal_numbers_prove_a_non_strict_inequality() -> None:
    """1 <= 1 holds at every point of both (exact) balls: it is proved, not merely 'equal to the width'."""
    assert decide(arb(1), "<=", arb(1)) == "proved" and decide(arb(1), ">=", arb(1)) == "proved"


@pytest.mark.parametrize(
    ("relation", "left", "right", "verdict"),
    [
        ("=", arb(1), arb(2), "refuted"),
        ("=", arb(1), arb(1, 0.5), "not proved"),
        ("<=", arb(2), arb(1), "refuted"),
        ("<=", arb(1, 0.5), arb(1), "not proved"),
        ("<", arb(1), arb(1), "refuted"),
    ],
)
def test_a_failed_relation_says_whether_it_was_refuted_or_not_proved(relation: str, left: arb, right: arb, verdict: str) -> None:
    """A relation whose opposite is proved is 'refuted'; one whose balls overlap too widely to decide is 'not proved'."""
    x, y = sp.symbols("x y")
    scope = Scope("test", 1, scalars={"x": _constant(left), "y": _constant(right)})
    with pytest.raises(CheckFailed, match=verdict):
        numeric_checks.establish([(x, relation, y)], scope, Tally(), False, "a test")


def test_a_submultiplicativity_with_three_matrices_is_refused_for_its_form() -> None:
    ctx = _context()
    A, B, C = (sp.MatrixSymbol(n, ctx.model.d, ctx.model.d) for n in "ABC")
    math = sp.Le(Norm(A * B * C), Norm(A) * Norm(B) * Norm(C), evaluate=False)
    with pytest.raises(CheckFailed, match="expected two matrices"):
        run_check(CHECKS, "submultiplicative", math, ctx)


def test_statement_8_method_names_the_first_matrix_as_the_witness() -> None:
    """The witnesses scale the first matrix: A = c Q (B is random)."""
    ctx = _context()
    result = run_check(CHECKS, "submultiplicative", ctx.statements["submultiplicative"], ctx)
    (printed,) = [item for item in result.method if isinstance(item, sp.Eq)]
    assert printed.lhs == sp.Symbol("A")


def _bound_run(monkeypatch: pytest.MonkeyPatch) -> tuple[CheckResult, list[str], set[int]]:
    """Run statement 9's check, recording where each lag was established and the precision of each network's products."""
    wheres: list[str] = []
    bits: set[int] = set()
    real_establish, real_chain = numeric_checks.establish, numeric_checks.tight_chain

    def establish(links: list[tuple[sp.Basic, str, sp.Basic]], scope: Scope, tally: Tally, witness: bool, where: str) -> None:
        wheres.append(where)
        real_establish(links, scope, tally, witness, where)

    def tight(*args: object) -> tuple[BallChain, object, int]:
        chain, other, precision = real_chain(*args)  # type: ignore[arg-type]
        bits.add(precision)
        return chain, other, precision

    monkeypatch.setattr(numeric_checks, "establish", establish)
    monkeypatch.setattr(numeric_checks, "tight_chain", tight)
    monkeypatch.setattr(numeric_checks, "_CHAINS", {})  # the chains are run once per process: run them here, through the recorder
    ctx = _context()
    return run_check(CHECKS, "bound", ctx.statements["bound"], ctx), wheres, bits


def test_statement_9_prints_what_it_ran(monkeypatch: pytest.MonkeyPatch) -> None:
    """The printed network count, the precisions and t <= MAX_STEPS are what the check did: one run per network (lag 0 each),
    every lag k = 0..t - 1, the longest network t = MAX_STEPS."""
    result, wheres, bits = _bound_run(monkeypatch)
    starts = [w for w in wheres if w.split(", k = ")[1].startswith("0")]
    assert result.instance[0] == sp.Integer(len(starts))
    numbers = [item for item in result.method if isinstance(item, sp.Integer)]
    assert numbers[:2] == [sp.Integer(min(bits)), sp.Integer(max(bits))]
    steps = {int(w.split("t = ")[1].split(",")[0]) for w in wheres}
    assert max(steps) == MAX_STEPS
    for t in steps:  # every lag of every network length
        lags = {int(w.split("k = ")[1].split(" ")[0]) for w in wheres if f"t = {t}," in w}
        assert lags == set(range(t))


def test_statement_9_prints_the_witness_and_the_rates_it_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """W = lambda Q on the witnesses (W / ||W||_2 orthogonal); the random networks' gamma lambda lie in the printed range;
    the printed product is gamma lambda."""
    result, _, _ = _bound_run(monkeypatch)
    ctx = _context()
    st = ctx.statements
    (witness,) = [item for item in result.method if isinstance(item, sp.Eq)]
    assert witness.lhs == ctx.model.W and witness.rhs == st.lam * sp.Symbol("Q")
    assert st.gamma * st.lam in result.instance
    start = list(result.instance).index(" from ")  # the printed range: " from ", low, " to ", high (numbers as math)
    assert result.instance[start + 2] == " to "
    low, high = float(result.instance[start + 1]), float(result.instance[start + 3])
    gamma = float(derive_gamma("tanh").gamma)
    rates = [gamma * float(np.linalg.norm(net.W, 2)) for name, net in numeric_checks.networks(("tanh",))][: numeric_checks.RANDOM_NETWORKS]
    assert min(rates) == pytest.approx(low) and max(rates) == pytest.approx(high)
    printed = [item for item in result.instance if isinstance(item, sp.Rational) and not isinstance(item, sp.Integer)]
    witnesses = {round(gamma * float(np.linalg.norm(net.W, 2)), 9) for _, net in numeric_checks.networks(("tanh",)) if net.witness}
    assert {float(r) for r in printed} == witnesses


# -- the instances themselves, kept as a golden file ---------------------------------------------------------------


def test_the_instances_are_the_recorded_ones(regen: bool) -> None:
    """Every instance of statements 7-9 (sizes and Frobenius norms, 6 digits) as recorded in tests/golden/instances.txt.

    The instances come from seeded generators: this shows that they are the same on this machine and NumPy, and that a
    change of a scale, a size or a family is seen (regenerate with ``pytest --regen-golden`` after an intended change)."""
    from pathlib import Path

    path = Path(__file__).resolve().parent / "golden" / "instances.txt"
    text = numeric_checks.instance_summary(("sigmoid", "tanh"))
    if regen:
        path.write_text(text)
    assert path.read_text() == text, f"{path} differs: the numeric checks' instances changed"


def test_a_total_derivative_is_refused_even_with_a_chain() -> None:
    """Only the partial ds_t/ds_k is the product of the instance's Jacobians; a 'total' one is refused, chain or not."""
    s = sp.IndexedBase("s")
    with pytest.raises(CheckFailed, match="not a Jacobian of states"):
        evaluate(Jacobian(s[2], s[1], "total"), Scope("test", 2, chain=_tiny_chain()))


def test_the_witness_equation_is_printed_exactly() -> None:
    """A = c Q with the witnesses' c (a product, not a quotient)."""
    ctx = _context()
    result = run_check(CHECKS, "submultiplicative", ctx.statements["submultiplicative"], ctx)
    (printed,) = [item for item in result.method if isinstance(item, sp.Eq)]
    (scale,) = {sp.nsimplify(np.linalg.norm(A, 2), rational=True, tolerance=1e-9) for A, _, witness in _pairs() if witness}
    assert printed == sp.Eq(sp.Symbol("A"), scale * sp.Symbol("Q"))


def test_a_list_in_prose_reads_as_english() -> None:
    assert "".join(map(str, numeric_checks._listed([sp.Symbol("a")]))) == "a"
    assert "".join(map(str, numeric_checks._listed([sp.Symbol("a"), sp.Symbol("b")]))) == "a and b"
    assert "".join(map(str, numeric_checks._listed([sp.Symbol("a"), sp.Symbol("b"), sp.Symbol("c")]))) == "a, b and c"
