"""Parts of a build computed by forked worker processes while the rest of the build goes on.

A section may name a preparation: a function of the configuration alone (no progress, no
other section), whose result its build reads, e.g. the refutation searches or the rendered
figure. ``build_document`` forks a few workers from the build (each starts with every module
the build has imported) and they take the chosen sections' preparations from the end of the
report backwards, one at a time, while the build's own process works forwards through the
sections. When a section asks for a preparation no worker has taken yet, the build computes it
itself; one a worker has taken, it waits for. So the processes never outnumber the CPUs (a
build of six preparations on two cores runs one worker beside itself, not six children that
take turns), and the work meets in the middle whatever each part costs. A result, or the
error, comes back pickled through a pipe. The same function runs on the same arguments, so the
report is the same byte for byte whichever process computed a part.

``GRADPROOF_JOBS`` caps the processes, the build's own included (``auto``, the default, is the
number of CPUs this process may use). With 1, without fork, or on one CPU, each preparation runs
in the build's own process when its section asks for it. Workers are daemonic and ignore Ctrl-C
(the build decides); leaving the ``with`` block, normally or by an error, terminates any worker
still running.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

from .errors import GradproofError

#: The most processes a build runs at once, its own included: a whole number, or auto (the CPUs it may use).
JOBS_VARIABLE = "GRADPROOF_JOBS"

#: A preparation's claim: nobody has taken it yet, or the build's own process has (workers are numbered from 1).
_PENDING, _BUILD = 0, -1

_INTERRUPTS = {signal.SIGINT, signal.SIGTERM}

Outcome = tuple[bool, object]  # (True, result) or (False, the error)


def _cpus() -> int:
    """The CPUs this process may run on (its affinity, where the system says), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def worker_count() -> int:
    """How many workers a build forks beside its own process: GRADPROOF_JOBS (or the CPUs) less one; 0 without fork."""
    setting = os.environ.get(JOBS_VARIABLE, "").strip()
    if setting and setting != "auto":
        if not setting.isdigit() or int(setting) < 1:
            raise GradproofError(f"{JOBS_VARIABLE}={setting!r} is not allowed (allowed: a whole number of at least 1, or auto)")
        processes = int(setting)
    else:
        processes = _cpus()
    return processes - 1 if "fork" in multiprocessing.get_all_start_methods() else 0


def _work(number: int, send: Connection, jobs: Sequence[tuple[str, Callable[[], object]]], claims: Any) -> None:
    """A worker: claim the last preparation nobody has taken, run it, send (key, outcome); until none is left.

    The results go out through a thread, so a large one waiting in the pipe for the build to read it does not hold up
    the next preparation."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the build decides
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the build's handler is inherited; terminate() must end the worker
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _INTERRUPTS)  # blocked by the build while it forked (Prepared.__enter__)
    outbox: queue.SimpleQueue[tuple[str, Outcome] | None] = queue.SimpleQueue()
    sender = threading.Thread(target=_send_all, args=(send, outbox))
    sender.start()
    try:
        for index in reversed(range(len(jobs))):
            if _claim(claims, index, number):
                key, job = jobs[index]
                try:
                    outcome: Outcome = (True, job())
                except BaseException as error:  # noqa: BLE001 (sent to the build and raised there)
                    outcome = (False, error)
                outbox.put((key, outcome))
    finally:
        outbox.put(None)
        sender.join()


def _send_all(send: Connection, outbox: queue.SimpleQueue[tuple[str, Outcome] | None]) -> None:
    try:
        while (item := outbox.get()) is not None:
            key, outcome = item
            try:
                send.send((key, outcome))
            except Exception as error:  # noqa: BLE001 (an unpicklable result or error)
                send.send((key, (False, GradproofError(f"a prepared part of the build could not be sent back: {error}"))))
    finally:
        send.close()


def _claim(claims: Any, index: int, owner: int) -> bool:
    """Take preparation ``index`` for ``owner`` if nobody has; whether it was taken."""
    with claims.get_lock():
        if claims[index] != _PENDING:
            return False
        claims[index] = owner
        return True


class Prepared:
    """The preparations of one build, by section key: shared between forked workers and the build's own process.

    ``workers`` overrides GRADPROOF_JOBS: 0 runs every preparation in the build's own process when it is asked for."""

    def __init__(self, jobs: Mapping[str, Callable[[], object]], workers: int | None = None) -> None:
        self._jobs = list(jobs.items())
        self._index = {key: n for n, (key, _) in enumerate(self._jobs)}
        wanted = worker_count() if workers is None else workers
        self._workers = min(wanted, len(self._jobs))
        self._claims: Any = None
        self._processes: dict[int, multiprocessing.process.BaseProcess] = {}
        self._receive: dict[int, Connection] = {}
        self._arrived: dict[str, Outcome] = {}
        self._done: dict[str, Outcome] = {}

    def __enter__(self) -> Prepared:
        if self._workers:
            context = multiprocessing.get_context("fork")
            self._claims = context.Array("i", len(self._jobs))
            # An interrupt while the workers are forked would leave some started and none stopped (__exit__ does not run
            # when __enter__ raises): Ctrl-C and SIGTERM wait until every worker has its own handlers, then arrive here.
            previous = signal.pthread_sigmask(signal.SIG_BLOCK, _INTERRUPTS)
            gc.freeze()  # the workers' collector leaves the inherited objects alone, so their pages stay shared
            try:
                for number in range(1, self._workers + 1):
                    receive, send = context.Pipe(duplex=False)
                    process = context.Process(target=_work, args=(number, send, self._jobs, self._claims), daemon=True)
                    process.start()
                    send.close()
                    self._processes[number], self._receive[number] = process, receive
            except BaseException:
                self.__exit__(None, None, None)
                raise
            finally:
                gc.unfreeze()
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None) -> None:
        for process in self._processes.values():
            if process.is_alive():
                process.terminate()
            process.join()
        for receive in self._receive.values():
            receive.close()
        self._processes.clear()
        self._receive.clear()

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def get(self, key: str) -> object:
        """The result of the preparation ``key``: computed now if no worker has taken it, else waited for; its error is
        raised here."""
        if key not in self._done:
            self._done[key] = self._outcome(key)
        ok, value = self._done[key]
        if ok:
            return value
        assert isinstance(value, BaseException)
        raise value

    def _outcome(self, key: str) -> Outcome:
        index = self._index[key]
        if self._claims is None or _claim(self._claims, index, _BUILD):
            return True, self._jobs[index][1]()  # in the build's own process: its error is raised as it happens
        owner = self._claims[index]
        while key not in self._arrived:
            try:
                arrived, outcome = self._receive[owner].recv()
            except EOFError:
                process = self._processes[owner]
                process.join()
                raise GradproofError(f"a prepared part of the build ended without a result (exit code {process.exitcode})") from None
            self._arrived[arrived] = outcome
        return self._arrived.pop(key)
