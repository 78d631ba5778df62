# mypy: disable-error-code="arg-type"
"""The library refuses bad input at its boundary: the project's error (a ValueError), naming the argument and the value."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import derive
from derive import Config, ConfigError, GradproofError, InputError
from derive.notation import COMMANDS, Notation, check_latex
from verify import chain_norms
from verify.engine import chain_log_norms_batched


@pytest.mark.parametrize(
    ("arguments", "needle"),
    [
        ({"activations": "tanh"}, "--activation: 'tanh' is not allowed (allowed: a tuple of names"),
        ({"sections": "chain"}, "--sections: 'chain' is not allowed (allowed: a tuple of names"),
        ({"activations": ("tanh", 3)}, "--activation"),
        ({"dim": 3.0}, "--dim: 3.0 is not allowed (allowed: an integer from 1 to 6)"),
        ({"dim": True}, "--dim: True is not allowed"),
        ({"dim": "3"}, "--dim: '3' is not allowed"),
        ({"lag": np.int64(7)}, "--lag: np.int64(7) is not allowed"),
        ({"notation": 3}, "--notation: 3 is not allowed"),
    ],
)
def test_a_bad_config_names_the_argument_and_the_value(arguments: dict[str, object], needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Config(**arguments)
    assert isinstance(caught.value, ValueError) and str(caught.value).startswith(needle)


def test_integers_of_any_kind_and_lists_are_accepted_as_what_they_mean() -> None:
    assert Config(dim=np.int64(3), lag=np.int32(2)) == Config(dim=3, lag=2)
    assert type(Config(dim=np.int64(3)).dim) is int
    assert Config(activations=["tanh"], sections=["chain"]) == Config(activations=("tanh",), sections=("chain",))


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda: derive.build("x"), "config: 'x' is not allowed (allowed: a derive.Config)"),
        (lambda: derive.build(None, sections="chain"), "--sections: 'chain'"),
        (lambda: derive.statement("x"), "label: 'x'"),
        (lambda: derive.statement("weight", config=3), "config: 3"),
        (lambda: derive.check_statement("weight", "W"), "math: 'W' is not allowed (allowed: a SymPy expression"),
        (lambda: derive.gamma("swish2"), "'swish2' is not allowed (allowed: elu, gelu, hard_sigmoid"),
    ],
)
def test_the_public_functions_refuse_bad_arguments_by_name(call: object, needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        call()  # type: ignore[operator]
    assert needle in str(caught.value)


def _net(T: int = 3) -> tuple[Any, Any, Any, Any]:
    return np.eye(2) * 0.5, np.zeros((2, 1)), np.zeros(2), np.zeros((T, 1))


def _batch(T: int) -> tuple[Any, Any, Any, Any]:
    W, U, b, xs = _net(T)
    return W[None], U[None], b[None], xs[None]


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda: chain_norms(*_net(), ord=True), "ord: True is a bool"),
        (lambda: chain_norms(*_net(), ord=3), "ord: 3 is not a norm"),
        (lambda: chain_norms(*_net(0)), "xs: has T = 0 steps"),
        (lambda: chain_norms(np.eye(2, dtype=bool), *_net()[1:]), "W: must hold real numbers, got dtype bool"),
        (lambda: chain_norms(np.eye(2) * 1j, *_net()[1:]), "W: complex values"),
        (lambda: chain_norms(np.full((2, 2), np.nan), *_net()[1:]), "W: contains NaN"),
        (lambda: chain_norms(*_net(), s0=np.zeros(3)), "s0"),
        (lambda: chain_log_norms_batched(*_batch(0)), "xs: must have shape (B, T, m)"),
        (lambda: chain_log_norms_batched(*_batch(3), s0=np.zeros(5)), "s0"),
    ],
)
def test_the_engine_refuses_bad_arrays_by_name(call: object, needle: str) -> None:
    with pytest.raises(InputError) as caught:
        call()  # type: ignore[operator]
    assert isinstance(caught.value, ValueError) and needle in str(caught.value)


def test_the_engine_refuses_an_unknown_activation() -> None:
    with pytest.raises(ConfigError, match="'swish2' is not allowed"):
        chain_norms(*_net(), activation="swish2")


@pytest.mark.parametrize(
    "bad", [r"\input{notes}", r"\write18{rm -rf x}", r"\def\x{1}", r"\immediate", r"\catcode", "^^5cinput", "s$", "s%", "s#", "s&", "{s", "s}", "}{", "", " "]
)
def test_notation_strings_outside_the_whitelist_are_refused(bad: str) -> None:
    with pytest.raises(ConfigError, match="notation.state"):
        Notation(state=bad)


def test_course_notations_are_accepted() -> None:
    Notation(state=r"\mathbf{h}", recurrent_weight="W_{hh}", input_weight="W_{xh}", bias="b_h", loss=r"\mathcal{L}", activation=r"\sigma")
    Notation(state="h", recurrent_weight=r"W_{\mathrm{rec}}", input="x", activation=r"\phi")


PIECES = [*"\\{}^_$%#&~ 'sWabc18", "\\input", "\\write", "\\def", "\\alpha", "\\mathrm"]


@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join))
def test_an_accepted_notation_string_holds_only_allowed_commands(text: str) -> None:
    """Whatever the string, it is either refused with the project's error or holds only whitelisted commands, balanced braces
    and none of TeX's special characters."""
    import re

    try:
        accepted = check_latex("state", text)
    except GradproofError as error:
        assert isinstance(error, ValueError)
        return
    assert set(re.findall(r"\\([A-Za-z]+)", accepted)) <= COMMANDS
    assert not set(accepted) & set("$%#&~") and "^^" not in accepted
    depth = 0
    for char in accepted:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0
