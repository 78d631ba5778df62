"""A course's own activation, written as a formula in x: parsed WITHOUT evaluating any Python.

``parse_formula("x/(1 + abs(x))")`` reads the text with a small recursive-descent parser
over a fixed grammar, and builds the SymPy expression node by node:

    formula := sum
    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := ("+" | "-") unary | power
    power   := atom (("**" | "^") unary)?
    atom    := number | "x" | "e" | "pi" | name "(" formula ("," formula)* ")" | "(" formula ")"

The names are a whitelist (``FUNCTIONS``); numbers are exact rationals (0.1 is 1/10). Nothing
else is accepted: no attribute access, no subscripts, no strings, no lambda, no other names.
Neither ``eval``, ``sympify`` nor ``parse_expr`` ever sees the text (sympify evaluates
Python). Limits keep a hostile text from costing much: its length, the nesting depth, the
digits of a number and the size of an exponent. Every refusal is an ``ExpressionError``
whose one-line message says what and where.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from .activations import Activation
from .errors import InputError

#: The longest formula read, in characters.
MAX_LENGTH = 500
#: The deepest nesting of parentheses, calls and unary signs.
MAX_DEPTH = 40
#: The most digits in one number.
MAX_DIGITS = 40
#: The largest exponent written as a whole number in a power (x**5 is fine; x**100000 is refused).
MAX_EXPONENT = 64

#: The variable of the formula.
VARIABLE = "x"

_x = sp.Symbol(VARIABLE, real=True)


def _sigmoid(u: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-u))


def _softplus(u: sp.Expr) -> sp.Expr:
    return sp.log(1 + sp.exp(u))


#: The functions a formula may call, with how many arguments each takes.
FUNCTIONS: dict[str, tuple[Callable[..., sp.Expr], int]] = {
    "exp": (sp.exp, 1),
    "log": (sp.log, 1),
    "sqrt": (sp.sqrt, 1),
    "abs": (sp.Abs, 1),
    "tanh": (sp.tanh, 1),
    "erf": (sp.erf, 1),
    "sigmoid": (_sigmoid, 1),
    "softplus": (_softplus, 1),
    "max": (sp.Max, 2),
    "min": (sp.Min, 2),
}

CONSTANTS: dict[str, sp.Expr] = {"e": sp.E, "pi": sp.pi}


class ExpressionError(InputError):
    """A formula that is not one of the grammar's; the message says what and where (column, from 1)."""

    def __init__(self, problem: str) -> None:
        super().__init__("--activation-expr", problem)


_TOKEN = re.compile(r"\s*(?:(?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_]\w*)|(?P<op>\*\*|[-+*/^(),]))")


@dataclass(frozen=True)
class _Token:
    kind: str  # number, name, op, end
    text: str
    column: int  # 1-based


def _tokens(text: str) -> list[_Token]:
    found, at = [], 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        match = _TOKEN.match(text, at)
        if match is None:
            column = at + len(text[at:]) - len(text[at:].lstrip()) + 1
            char = text[column - 1]
            raise ExpressionError(f"{char!r} at column {column} is not part of a formula ({_why(char)})")
        kind = match.lastgroup
        assert kind is not None
        found.append(_Token(kind, match.group(kind), match.start(kind) + 1))
        at = match.end()
    found.append(_Token("end", "", len(text) + 1))
    return found


def _why(char: str) -> str:
    reasons = {
        ".": "no attribute access",
        "[": "no subscripts",
        "]": "no subscripts",
        "'": "no strings",
        '"': "no strings",
        ":": "no lambda or slices",
        "=": "no assignment or comparison",
        "_": "no such name",
        "@": "no decorators or matrix products",
        ";": "one formula only",
        "{": "no sets or dicts",
        "}": "no sets or dicts",
    }
    return reasons.get(char, "use x, numbers, + - * / ** ( ) and " + ", ".join(FUNCTIONS))


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expect(self, op: str) -> None:
        if self.token.kind != "op" or self.token.text != op:
            raise ExpressionError(f"expected {op!r} at column {self.token.column}, found {self._shown(self.token)}")
        self.take()

    @staticmethod
    def _shown(token: _Token) -> str:
        return "the end" if token.kind == "end" else repr(token.text)

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"nested more than {MAX_DEPTH} deep at column {self.token.column}")

    def formula(self) -> sp.Expr:
        value = self.sum()
        if self.token.kind != "end":
            raise ExpressionError(f"unexpected {self._shown(self.token)} at column {self.token.column}")
        return value

    def sum(self) -> sp.Expr:
        value = self.product()
        while self.token.kind == "op" and self.token.text in "+-":
            op = self.take().text
            right = self.product()
            value = value + right if op == "+" else value - right
        return value

    def product(self) -> sp.Expr:
        value = self.unary()
        while self.token.kind == "op" and self.token.text in ("*", "/"):
            op = self.take()
            right = self.unary()
            if op.text == "/" and right == 0:
                raise ExpressionError(f"division by zero at column {op.column}")
            value = value * right if op.text == "*" else value / right
        return value

    def unary(self) -> sp.Expr:
        if self.token.kind == "op" and self.token.text in "+-":
            self.deeper()
            op = self.take().text
            value = self.unary()
            self.depth -= 1
            return -value if op == "-" else value
        return self.power()

    def power(self) -> sp.Expr:
        base = self.atom()
        if self.token.kind == "op" and self.token.text in ("**", "^"):
            op = self.take()
            self.deeper()
            exponent = self.unary()
            self.depth -= 1
            if base == sp.E:
                return sp.exp(exponent)
            if not exponent.is_number or exponent.has(sp.E, sp.pi):
                raise ExpressionError(f"the exponent at column {op.column} must be a number (or the base e)")
            if abs(exponent) > MAX_EXPONENT:
                raise ExpressionError(f"the exponent {exponent} at column {op.column} is above {MAX_EXPONENT} in size")
            return base**exponent
        return base

    def atom(self) -> sp.Expr:
        token = self.take()
        if token.kind == "number":
            digits = len(re.sub(r"[^0-9]", "", token.text.split("e")[0].split("E")[0]))
            if digits > MAX_DIGITS:
                raise ExpressionError(f"the number at column {token.column} has {digits} digits, more than {MAX_DIGITS}")
            mantissa, _, power = token.text.lower().partition("e")
            if power and abs(int(power)) > 300:
                raise ExpressionError(f"the number at column {token.column} has an exponent above 300 in size")
            return sp.Rational(mantissa) * sp.Integer(10) ** int(power or 0)
        if token.kind == "name":
            if token.text == VARIABLE:
                return _x
            if token.text in CONSTANTS:
                return CONSTANTS[token.text]
            if token.text not in FUNCTIONS:
                raise ExpressionError(f"{token.text!r} at column {token.column} is not allowed (the variable is x; functions: {', '.join(FUNCTIONS)})")
            function, arity = FUNCTIONS[token.text]
            if self.token.kind != "op" or self.token.text != "(":
                raise ExpressionError(f"{token.text} at column {token.column} must be called: {token.text}(...)")
            self.take()
            self.deeper()
            arguments = [self.sum()]
            while self.token.kind == "op" and self.token.text == ",":
                self.take()
                arguments.append(self.sum())
            self.expect(")")
            self.depth -= 1
            if len(arguments) != arity:
                raise ExpressionError(f"{token.text} at column {token.column} takes {arity} argument{'s' * (arity > 1)}, got {len(arguments)}")
            return function(*arguments)
        if token.kind == "op" and token.text == "(":
            self.deeper()
            value = self.sum()
            self.expect(")")
            self.depth -= 1
            return value
        raise ExpressionError(f"expected a number, x, a function or '(' at column {token.column}, found {self._shown(token)}")


def parse_formula(text: object) -> sp.Expr:
    """The formula ``text`` in x as a SymPy expression, read by the grammar above; ExpressionError otherwise."""
    if not isinstance(text, str):
        raise ExpressionError(f"must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"is {len(text)} characters long, more than {MAX_LENGTH}")
    if not text.strip():
        raise ExpressionError("is empty; write a formula in x, such as x/(1 + abs(x))")
    if not text.isascii() or not text.isprintable():
        bad = next(c for c in text if not (c.isascii() and c.isprintable()))
        raise ExpressionError(f"{bad!r} at column {text.index(bad) + 1} is not part of a formula (plain ASCII only)")
    value = _Parser(text).formula()
    if not isinstance(value, sp.Expr) or value.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or value.has(sp.I):
        raise ExpressionError(f"{text!r} is not a real function of x ({value})")
    if _x not in value.free_symbols:
        raise ExpressionError(f"{text!r} does not depend on x: its slope is 0 everywhere")
    return value


def activation_from_formula(text: str) -> Activation:
    """A course's own activation phi(z) = formula(z), from a formula in x (``parse_formula``); not added to the registry."""
    formula = parse_formula(text)
    shown = " ".join(text.split())
    return Activation(shown, f"phi(x) = {shown}", r"\varphi", lambda z: formula.subs(_x, z))
