"""Preparations in forked workers: results, errors and deaths come back; nothing outlives the build; same report either way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import derive
from derive.app import generate
from derive.errors import CheckFailed, ConfigError, GradproofError, InputError, PathError
from derive.parallel import JOBS_VARIABLE, Prepared, worker_count
from verify.refute import refute

ROOT = Path(__file__).resolve().parent.parent

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is not available on this platform")


def _square(n: int) -> int:
    return n * n


def _noting(calls: list[str], name: str, value: object) -> object:
    calls.append(name)
    return value


def _taken_by_a_worker(prepared: Prepared, key: str) -> None:
    """Wait until a worker has claimed ``key`` (so that the build's own process will not take it)."""
    index = list(prepared._index).index(key)
    deadline = time.monotonic() + 30
    while prepared._claims[index] <= 0:
        assert time.monotonic() < deadline, f"no worker took {key}"
        time.sleep(0.005)


@needs_fork
def test_results_come_back_from_the_workers() -> None:
    calls: list[str] = []
    jobs = {"a": lambda: _square(7), "b": lambda: _noting(calls, "b", os.getpid())}
    with Prepared(jobs, workers=1) as prepared:
        _taken_by_a_worker(prepared, "b")  # a worker starts from the end of the report
        assert "a" in prepared and "c" not in prepared
        assert prepared.get("b") != os.getpid()  # computed in the worker
        assert prepared.get("b") == prepared.get("b")  # collected once
        assert prepared.get("a") == 49  # by the worker, or here if it had not taken it yet
    assert calls == []  # the build's own process never ran b


@needs_fork
def test_the_build_takes_what_no_worker_has_taken_and_waits_for_the_rest() -> None:
    def slow() -> int:
        time.sleep(1.0)
        return os.getpid()

    with Prepared({"first": os.getpid, "second": os.getpid, "last": slow}, workers=1) as prepared:
        _taken_by_a_worker(prepared, "last")
        assert prepared.get("first") == os.getpid()  # the worker is busy: the build computes it
        assert prepared.get("last") != os.getpid()  # taken by the worker: waited for
        assert prepared.get("second") in (os.getpid(), prepared.get("last"))


@needs_fork
def test_a_worker_runs_the_preparations_one_after_another_and_ends() -> None:
    jobs = {key: os.getpid for key in "abcdef"}
    with Prepared(jobs, workers=1) as prepared:
        _taken_by_a_worker(prepared, "f")
        worker = prepared.get("f")
        for key in "edcb":  # the build asks from the back, after the worker: each is the worker's, or the build's
            assert prepared.get(key) in (worker, os.getpid())
        process = prepared._processes[1]
        process.join(30)
        assert not process.is_alive() and process.exitcode == 0  # every preparation was claimed: nothing left to do
        assert prepared.get("a") in (worker, os.getpid())


def test_without_workers_each_preparation_runs_once_when_asked() -> None:
    calls: list[str] = []
    jobs = {"a": lambda: _noting(calls, "a", os.getpid()), "b": lambda: _noting(calls, "b", 2)}
    with Prepared(jobs, workers=0) as prepared:
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
def test_an_error_in_a_worker_is_raised_with_its_kind_and_fields(error: GradproofError) -> None:
    def fail() -> None:
        raise error

    with Prepared({"x": fail}, workers=1) as prepared, pytest.raises(type(error)) as raised:
        _taken_by_a_worker(prepared, "x")
        prepared.get("x")
    assert str(raised.value) == str(error) and vars(raised.value) == vars(error)


@needs_fork
def test_a_worker_that_dies_is_a_one_line_error() -> None:
    with Prepared({"dies": lambda: os._exit(7)}, workers=1) as prepared:
        _taken_by_a_worker(prepared, "dies")
        for _ in range(2):  # asked again, the same error
            with pytest.raises(GradproofError, match=r"preparation of 'dies' ended without a result \(its worker's exit code 7\)"):
                prepared.get("dies")


def _exit_3() -> None:
    os._exit(3)


@needs_fork
def test_a_result_finished_before_its_worker_died_is_not_lost() -> None:
    """The worker finishes "small" (it takes the last first), queues it, and dies in "dies", often before the result is
    sent: the build computes "small" again (a preparation is pure), names "dies" in its error, and takes "first" itself."""
    for _ in range(5):
        with Prepared({"first": os.getpid, "dies": _exit_3, "small": lambda: 5}, workers=1) as prepared:
            _taken_by_a_worker(prepared, "dies")
            assert prepared.get("small") == 5
            with pytest.raises(GradproofError, match="preparation of 'dies' ended without a result"):
                prepared.get("dies")
            assert prepared.get("first") == os.getpid()


@needs_fork
def test_an_error_in_a_preparation_the_build_ran_itself_is_raised_again() -> None:
    def boom() -> None:
        raise ValueError("boom")

    with Prepared({"boom": boom, "busy": lambda: time.sleep(1.0)}, workers=1) as prepared:
        _taken_by_a_worker(prepared, "busy")
        for _ in range(2):
            with pytest.raises(ValueError, match="boom"):
                prepared.get("boom")


class _Awkward(Exception):
    """Pickles, but does not unpickle: its class wants two arguments, and an exception is rebuilt from its message."""

    def __init__(self, a: int, b: int) -> None:
        super().__init__(f"{a} and {b}")


def _raise_awkward() -> None:
    raise _Awkward(1, 2)


@needs_fork
def test_an_error_that_cannot_be_read_back_comes_back_as_its_text() -> None:
    with Prepared({"x": _raise_awkward}, workers=1) as prepared:
        _taken_by_a_worker(prepared, "x")
        for _ in range(2):
            with pytest.raises(GradproofError, match="_Awkward: 1 and 2"):
                prepared.get("x")


@needs_fork
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_while_the_workers_start_leaves_none_running(signum: int) -> None:
    """Ctrl-C (or SIGTERM) arrives as each worker starts: it waits until all are started, then stops them all. In a fresh
    interpreter whose BLAS threads could take the signal, as the command line's would."""
    code = f"""
import os, signal, sys, time
sys.path.insert(0, {str(ROOT)!r})
import numpy as np
np.ones((300, 300)) @ np.ones((300, 300))  # BLAS's threads are running
import multiprocessing.context as context
from derive.parallel import Prepared
from derive.command import _interrupt
signal.signal(signal.SIGTERM, _interrupt)  # as the command line has it
started = []
start = context.ForkProcess.start
def start_and_interrupt(self):
    start(self)
    started.append(self)
    os.kill(os.getpid(), {int(signum)})
context.ForkProcess.start = start_and_interrupt
try:
    with Prepared({{key: (lambda: time.sleep(60)) for key in "abc"}}, workers=2):
        print("entered", flush=True)
except KeyboardInterrupt:
    print("interrupted", len(started), *(process.pid for process in started), flush=True)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    words = done.stdout.split()
    assert words[:2] == ["interrupted", "2"], done.stdout + done.stderr
    time.sleep(0.5)
    assert not any(_running(int(pid)) for pid in words[2:])


@needs_fork
def test_a_worker_whose_build_is_gone_leaves(tmp_path: Path) -> None:
    """The build is killed (SIGKILL) while its worker holds a result nobody will read: the worker does not wait on the
    pipe forever, it leaves."""
    code = f"""
import os, signal, sys, time
sys.path.insert(0, {str(ROOT)!r})
from derive.parallel import Prepared
prepared = Prepared({{"later": lambda: time.sleep(0.5), "big": lambda: b"x" * 10_000_000}}, workers=1).__enter__()
print(prepared._processes[1].pid, flush=True)
time.sleep(0.3)
os.kill(os.getpid(), signal.SIGKILL)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    worker = int(done.stdout.split()[0])
    deadline = time.monotonic() + 30
    while _running(worker):
        assert time.monotonic() < deadline, "the worker outlived its build"
        time.sleep(0.1)


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie nobody has reaped is not)."""
    if not Path("/proc").is_dir():  # no /proc to tell a zombie: whether the process is there at all
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


@needs_fork
def test_a_result_that_cannot_be_sent_is_a_one_line_error_and_the_worker_goes_on() -> None:
    with Prepared({"after": os.getpid, "lambda": lambda: lambda: 1}, workers=1) as prepared:
        _taken_by_a_worker(prepared, "lambda")
        with pytest.raises(GradproofError, match="could not be sent back"):
            prepared.get("lambda")
        assert isinstance(prepared.get("after"), int)


@needs_fork
def test_leaving_the_build_stops_every_worker_still_running() -> None:
    prepared = Prepared({"slow": lambda: time.sleep(60)}, workers=1)
    with pytest.raises(RuntimeError), prepared:
        _taken_by_a_worker(prepared, "slow")
        process = prepared._processes[1]
        assert process.is_alive()
        raise RuntimeError("a check failed elsewhere")
    assert not process.is_alive()


@pytest.mark.parametrize(("value", "workers"), [("1", 0), (" 1 ", 0), ("2", 1), ("5", 4)])
def test_gradproof_jobs_counts_the_processes_the_build_included(value: str, workers: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(JOBS_VARIABLE, value)
    assert worker_count() == (workers if hasattr(os, "fork") else 0)


def test_by_default_a_build_runs_one_process_a_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(JOBS_VARIABLE, "auto")
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    assert worker_count() == (cpus - 1 if hasattr(os, "fork") else 0)


@pytest.mark.parametrize("value", ["0", "-2", "many", "1.5", "\u00b2", "\u0663"])
def test_a_bad_gradproof_jobs_is_refused(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(JOBS_VARIABLE, value)
    with pytest.raises(GradproofError, match=JOBS_VARIABLE):
        worker_count()


@needs_fork
def test_the_report_is_the_same_whichever_process_prepared_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sweep, the figure and the refutations computed in a worker give the bytes the build's own process gives."""
    config = derive.Config(dim=1, lag=1, activations=("tanh",), sections=("evidence", "refutations"))
    monkeypatch.setenv(JOBS_VARIABLE, "1")
    alone = generate(config)
    refute.cache_clear()  # the worker starts from a copy of this process: make it search afresh
    original = Prepared._outcome

    def from_a_worker(self: Prepared, key: str) -> object:  # the build never takes a preparation itself
        _taken_by_a_worker(self, key)
        return original(self, key)

    monkeypatch.setattr(Prepared, "_outcome", from_a_worker)
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    assert worker_count() == 1
    assert generate(config) == alone
