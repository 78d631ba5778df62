"""Preparations in forked children: results, errors and deaths come back; nothing outlives the build; same report either way."""

from __future__ import annotations

import os
import time

import pytest

import derive
from derive.app import generate
from derive.errors import CheckFailed, ConfigError, GradproofError, InputError, PathError
from derive.parallel import JOBS_VARIABLE, Prepared, parallel_allowed
from verify.refute import refute

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is not available on this platform")


def _square(n: int) -> int:
    return n * n


def _noting(calls: list[str], name: str, value: object) -> object:
    calls.append(name)
    return value


@needs_fork
def test_results_come_back_from_the_children() -> None:
    calls: list[str] = []
    with Prepared({"a": lambda: _square(7), "b": lambda: _noting(calls, "b", os.getpid())}, parallel=True) as prepared:
        assert "a" in prepared and "c" not in prepared
        assert prepared.get("a") == 49
        assert prepared.get("b") != os.getpid()  # computed in a child
        assert prepared.get("b") == prepared.get("b")  # collected once
    assert calls == []  # the parent never ran the job


def test_without_children_each_preparation_runs_once_when_asked() -> None:
    calls: list[str] = []
    jobs = {"a": lambda: _noting(calls, "a", os.getpid()), "b": lambda: _noting(calls, "b", 2)}
    with Prepared(jobs, parallel=False) as prepared:
        assert calls == []  # nothing runs before it is asked for
        assert prepared.get("a") == os.getpid()
        assert prepared.get("a") == os.getpid()
    assert calls == ["a"]


@needs_fork
@pytest.mark.parametrize(
    "error",
    [
        CheckFailed("bound", "a ratio above 1"),
        ConfigError("--activation", "relu", ["sigmoid", "tanh"]),
        InputError("W", "NaN"),
        PathError("--out", "/x", "read-only"),
    ],
)
def test_an_error_in_a_child_is_raised_with_its_kind_and_fields(error: GradproofError) -> None:
    def fail() -> None:
        raise error

    with Prepared({"x": fail}, parallel=True) as prepared, pytest.raises(type(error)) as raised:
        prepared.get("x")
    assert str(raised.value) == str(error) and vars(raised.value) == vars(error)


@needs_fork
def test_a_child_that_dies_or_returns_what_cannot_be_sent_is_a_one_line_error() -> None:
    with Prepared({"dies": lambda: os._exit(7), "lambda": lambda: lambda: 1}, parallel=True) as prepared:
        with pytest.raises(GradproofError, match="ended without a result"):
            prepared.get("dies")
        with pytest.raises(GradproofError, match="could not be sent back"):
            prepared.get("lambda")


@needs_fork
def test_leaving_the_build_stops_every_child_still_running() -> None:
    prepared = Prepared({"slow": lambda: time.sleep(60)}, parallel=True)
    with pytest.raises(RuntimeError), prepared:
        process = prepared._running["slow"]._process
        assert process.is_alive()
        raise RuntimeError("a check failed elsewhere")
    assert not process.is_alive()


@pytest.mark.parametrize(("value", "allowed"), [("1", False), (" 1 ", False)])
def test_gradproof_jobs_one_keeps_everything_in_process(value: str, allowed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(JOBS_VARIABLE, value)
    assert parallel_allowed() is allowed


@pytest.mark.parametrize("value", ["0", "-2", "many", "1.5"])
def test_a_bad_gradproof_jobs_is_refused(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(JOBS_VARIABLE, value)
    with pytest.raises(GradproofError, match=JOBS_VARIABLE):
        parallel_allowed()


@needs_fork
def test_the_report_is_the_same_whichever_process_prepared_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sweep, the figure and the refutations computed in children give the bytes the build's own process gives."""
    config = derive.Config(dim=1, lag=1, activations=("tanh",), sections=("evidence", "refutations"))
    monkeypatch.setenv(JOBS_VARIABLE, "1")
    alone = generate(config)
    if (os.cpu_count() or 1) > 1:
        refute.cache_clear()  # the children start from a copy of this process: make them search afresh
        monkeypatch.setenv(JOBS_VARIABLE, "auto")
        assert parallel_allowed()
        assert generate(config) == alone
