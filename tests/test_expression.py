"""A course's own activation formula (--activation-expr): read by a grammar, never evaluated as Python.

Hostile texts get one line, exit 2, nothing executed and nothing written; random text never raises anything but the
project's ExpressionError; an unbounded slope is reported as an infinite gamma, not crashed on.
"""

from __future__ import annotations

import builtins
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import derive
from derive.__main__ import cli
from derive.activations import derive_gamma_of
from derive.expression import FUNCTIONS, MAX_DEPTH, MAX_LENGTH, ExpressionError, activation_from_formula, parse_formula

x = sp.Symbol("x", real=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x/(1 + abs(x))", x / (1 + sp.Abs(x))),
        ("x*sigmoid(x)", x / (1 + sp.exp(-x))),
        ("max(0.01*x, x)", sp.Max(x / 100, x)),
        ("-x^3 + 2*x**2 - 1.5e-1", -(x**3) + 2 * x**2 - sp.Rational(3, 20)),
        ("x * e^(-x^2/2)", x * sp.exp(-(x**2) / 2)),
        ("  tanh( x )  ", sp.tanh(x)),
        ("x*(1 + erf(x/sqrt(2)))/2", x * (1 + sp.erf(x / sp.sqrt(2))) / 2),
        ("-(-x)", x),
        ("2^-1 * x", x / 2),
        (".5*x", x / 2),
    ],
)
def test_a_formula_is_read_exactly(text: str, expected: sp.Expr) -> None:
    assert sp.simplify(parse_formula(text) - expected) == 0


def test_the_operators_bind_as_in_mathematics() -> None:
    assert parse_formula("-x^2") == -(x**2)  # the power first
    assert parse_formula("2^3^2*x") == 512 * x  # right-associative, 2^(3^2)
    assert parse_formula("x - 1 - 1") == x - 2  # left-associative
    assert parse_formula("x/2/2") == x / 4


def _hostile() -> list[tuple[str, str]]:
    return [
        ("x.real", "attribute"),
        ("x.__class__", "attribute"),
        ("().__class__.__bases__[0].__subclasses__()", "attribute"),
        ("__import__('os').system('touch PWNED')", "strings"),
        ("__import__", "not allowed"),
        ("x + __builtins__", "not allowed"),
        ("lambda x: x", "lambda"),
        ("(lambda: 0)()", "lambda"),
        ("eval(x)", "'eval'"),
        ("exec(x)", "'exec'"),
        ("open(x)", "'open'"),
        ("sin(x)", "'sin'"),
        ("Symbol(x)", "'Symbol'"),
        ("x if x else x", "'if'"),
        ("[x]", "subscripts"),
        ("x; x", "one formula"),
        ("x = 1", "assignment"),
        ("x @ x", "matrix"),
        ("{x}", "sets"),
        ("x**x", "must be a number"),
        ("x**1000", "above 64"),
        ("9" * 60 + "*x", "digits"),
        ("1e999*x", "exponent above 300"),
        ("x/0", "division by zero"),
        ("max(x)", "takes 2 arguments"),
        ("exp", "must be called"),
        ("(" * 60 + "x" + ")" * 60, f"nested more than {MAX_DEPTH}"),
        ("x" * (MAX_LENGTH + 1), "characters long"),
        ("x" + " " * (10 * 2**20), "characters long"),  # a 10 MB string
        ("x\u00b72", "plain ASCII"),
        ("x\n+ 1", "plain ASCII"),
        ("", "empty"),
        ("3", "does not depend on x"),
        ("x +", "found the end"),
        ("(x", "expected ')'"),
    ]


@pytest.mark.parametrize(("text", "reason"), _hostile(), ids=lambda v: repr(v)[:40])
def test_hostile_text_is_refused_without_evaluating_anything(text: str, reason: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Python's eval, exec and compile, and SymPy's sympify and parse_expr, are booby-trapped while the text is read."""

    def trap(*args: object, **kwargs: object) -> None:
        raise AssertionError("the formula reached an evaluator")

    error = None
    with monkeypatch.context() as patched:  # undone before pytest reports anything (it compiles code itself)
        for owner, name in ((builtins, "eval"), (builtins, "exec"), (builtins, "compile"), (sp, "sympify"), (sp.parsing.sympy_parser, "parse_expr")):
            patched.setattr(owner, name, trap)
        try:
            parse_formula(text)
        except ExpressionError as caught:
            error = caught
    assert error is not None and reason in str(error), (text[:60], str(error)[:200])
    assert "\n" not in str(error) and str(error).startswith("--activation-expr: ")


@pytest.mark.parametrize(("text", "reason"), _hostile()[:22], ids=lambda v: repr(v)[:40])
def test_the_command_line_says_one_line_exits_2_and_writes_nothing(
    text: str, reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    assert cli(["--activation-expr", text, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and captured.err.startswith("error: --activation-expr: ")
    assert list(tmp_path.iterdir()) == []  # nothing written, and no PWNED file from the os.system text


@given(st.text(max_size=80))
def test_random_text_never_raises_anything_but_the_project_s_error(text: str) -> None:
    try:
        value = parse_formula(text)
    except ExpressionError:
        return
    assert isinstance(value, sp.Expr) and x in value.free_symbols


ALPHABET = "x+-*/^().,0123456789e " + "".join(FUNCTIONS) + "_[]'\"lambda:"


@given(st.text(alphabet=ALPHABET, max_size=60))
def test_near_miss_text_never_raises_anything_but_the_project_s_error(text: str) -> None:
    """Text from the grammar's own characters and names (and a few hostile ones) gets deeper into the parser than random text."""
    try:
        parse_formula(text)
    except ExpressionError:
        pass


@pytest.mark.parametrize("text", ["x**2", "exp(x)", "x^3 - x"])
def test_an_unbounded_slope_is_an_infinite_gamma_not_a_crash(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["--activation-expr", text]) == 0
    assert "gamma is infinite: the bound says nothing" in capsys.readouterr().out
    assert derive_gamma_of(activation_from_formula(text)).gamma == sp.oo


def test_a_formula_s_gamma_is_derived_like_a_registered_one(capsys: pytest.CaptureFixture[str]) -> None:
    """softsign written out: gamma = 1, attained at 0, the same as the registry's softsign; SiLU written out: enclosed."""
    assert cli(["--activation-expr", "x/(1 + abs(x))"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["phi(x) = x/(Abs(x) + 1)", "gamma = 1", "attained at x = 0"]
    assert derive_gamma_of(activation_from_formula("x*sigmoid(x)")).gamma == derive.derive_gamma("silu").gamma
    assert derive_gamma_of(activation_from_formula("max(0, x)")).gamma == 1


@pytest.mark.parametrize("text", ["log(x)", "sqrt(x)", "1/x", "x^-2"])
def test_a_formula_undefined_somewhere_on_the_line_is_refused_in_one_line(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    """log, sqrt and 1/x are not activations on the whole line: refused (their 'gamma' would otherwise read 0)."""
    assert cli(["--activation-expr", text]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a continuous real function" in err


# -- the limits at their edges, the columns, the depth that closes again (each from a mutation the tests first missed) --


def _refused(text: object) -> str:
    with pytest.raises(ExpressionError) as caught:
        parse_formula(text)
    return str(caught.value)


@pytest.mark.parametrize(("text", "column"), [("x + $", 5), ("  x.y", 4), ("x*2 ?", 5), ("  x ; 1", 5)])
def test_the_column_named_is_the_offending_character_s(text: str, column: int) -> None:
    assert f"at column {column} " in _refused(text)


def test_each_limit_holds_at_its_edge() -> None:
    from derive.expression import MAX_DIGITS, MAX_EXPONENT

    assert parse_formula("x" + " " * (MAX_LENGTH - 1)) == x  # exactly MAX_LENGTH characters
    assert parse_formula(f"x^{MAX_EXPONENT}") == x**MAX_EXPONENT
    assert "above" in _refused(f"x^{MAX_EXPONENT + 1}")
    assert parse_formula("1e300*x") == sp.Integer(10) ** 300 * x and "exponent above 300" in _refused("1e301*x")
    assert parse_formula("1" * MAX_DIGITS + "*x") == sp.Integer("1" * MAX_DIGITS) * x
    assert f"more than {MAX_DIGITS}" in _refused("1" * (MAX_DIGITS + 1) + "*x")


@pytest.mark.parametrize("opening", ["(", "-", "exp(", "1^"])
def test_nesting_is_counted_for_every_kind_and_released_when_it_closes(opening: str) -> None:
    """MAX_DEPTH of one kind is accepted, one more is refused; and side by side, as many as fit, since each closes again."""
    closing = {"(": ")", "exp(": ")"}.get(opening, "")
    core, tail = ("1", "*x") if opening == "1^" else ("x", "")  # a power tower of ones, times x

    def nested(n: int) -> str:
        return opening * n + core + closing * n + tail

    assert isinstance(parse_formula(nested(MAX_DEPTH)), sp.Expr)
    assert f"nested more than {MAX_DEPTH}" in _refused(nested(MAX_DEPTH + 1))
    side_by_side = " + ".join([nested(5)] * 12)  # 60 openings in all, never more than 5 deep
    assert len(side_by_side) <= MAX_LENGTH and isinstance(parse_formula(side_by_side), sp.Expr)


def test_the_functions_and_their_arity() -> None:
    assert parse_formula("softplus(x)") == sp.log(1 + sp.exp(x))
    assert "takes 1 argument" in _refused("exp(x, x)")
    assert "must be called" in _refused("exp+x")
    assert "expected ')'" in _refused("(x, 1)")


@pytest.mark.parametrize("text", ["sqrt(-1)*x", "log(-1)*x", "x*(1/(x - x))"])
def test_a_value_that_is_not_a_real_function_is_refused(text: str) -> None:
    assert "not a real function" in _refused(text) or "division by zero" in _refused(text)


@pytest.mark.parametrize("value", [3, None, b"x", ["x"]])
def test_anything_but_text_is_refused(value: object) -> None:
    assert "must be text" in _refused(value)


def test_a_formula_whose_critical_point_is_a_bisection_point_is_read_to_the_end(capsys: pytest.CaptureFixture[str]) -> None:
    """tanh(tanh(x)): phi'' = 0 at exactly 0, an end of the isolating boxes (no sign change inside any of them); the root
    is taken there. Its tail (an exponential of e^(-2|x|)) has no proved bound here, which one line says."""
    assert cli(["--activation-expr", "tanh(tanh(x))"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot derive gamma for 'tanh(tanh(x))': beyond |z| = 16 there is no proved tail bound" in err
