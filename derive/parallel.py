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
still running, and a worker whose build is gone leaves by itself. If a worker dies, the
preparation it was running is an error naming it; those it had finished but not yet sent are
computed again by the build.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import queue
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
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
        if not (setting.isascii() and setting.isdecimal()) or int(setting) < 1:
            raise GradproofError(f"{JOBS_VARIABLE}={setting!r} is not allowed (allowed: a whole number of at least 1, or auto)")
        processes = int(setting)
    else:
        processes = _cpus()
    return processes - 1 if "fork" in multiprocessing.get_all_start_methods() else 0


def _work(number: int, send: Connection, jobs: Sequence[tuple[str, Callable[[], object]]], claims: Any, inherited: Sequence[Connection]) -> None:
    """A worker: claim the last preparation nobody has taken, run it, send (key, outcome); until none is left.

    The results go out through a thread, so a large one waiting in the pipe for the build to read it does not hold up
    the next preparation. ``inherited`` are the build's ends of the pipes, which the fork copied: closed here, so that
    once the build is gone a write fails and the worker leaves, instead of waiting on a pipe nobody reads."""
    for connection in inherited:
        connection.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the build decides
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the build's handler is inherited; terminate() must end the worker
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _INTERRUPTS)  # blocked by the build while it forked (_interrupts_held)
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
            send.send((key, _payload(outcome)))
    except OSError:  # no reader left: the build is gone, and so is any use for what this worker computes
        os._exit(1)
    finally:
        send.close()


def _payload(outcome: Outcome) -> bytes:
    """``outcome`` pickled, and read back once here, so that the build can read it: a result or an error that cannot be
    pickled or read back (an exception whose class wants other arguments) becomes a GradproofError saying so."""
    try:
        data = bytes(ForkingPickler.dumps(outcome))
        pickle.loads(data)
    except Exception as error:  # noqa: BLE001 (said in the error sent instead)
        ok, value = outcome
        what = f"{type(value).__name__}: {value}" if not ok else f"a prepared part of the build could not be sent back: {error}"
        return bytes(ForkingPickler.dumps((False, GradproofError(what))))
    return data


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait while the workers are forked and arrive as the block ends, in the build's own handlers:
    an interrupt halfway would leave a worker started that the build does not know to stop. They are blocked in this
    thread, so that each worker starts with them blocked (it unblocks them once it has its own handlers), and recorded
    by a stand-in handler, since a signal sent to the process may be taken by one of its other threads (BLAS's)."""
    held: list[int] = []
    main = threading.current_thread() is threading.main_thread()
    handlers = {number: signal.signal(number, lambda signum, frame: held.append(signum)) for number in _INTERRUPTS} if main else {}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, _INTERRUPTS)
    try:
        yield
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # one pending in this thread arrives now, in the build's handler
        for signum in dict.fromkeys(held):
            signal.raise_signal(signum)


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
        self._arrived: dict[str, Outcome] = {}  # sent by a worker and not asked for yet
        self._received: set[str] = set()  # every key a worker's result came back for
        self._done: dict[str, Outcome] = {}

    def __enter__(self) -> Prepared:
        if self._workers:
            try:
                self._start()
            except BaseException:  # an interrupt included: every worker started so far is stopped
                self.__exit__(None, None, None)
                raise
        return self

    def _start(self) -> None:
        context = multiprocessing.get_context("fork")
        self._claims = context.Array("i", len(self._jobs))
        with _interrupts_held():
            gc.freeze()  # the workers' collector leaves the inherited objects alone, so their pages stay shared
            try:
                for number in range(1, self._workers + 1):
                    receive, send = context.Pipe(duplex=False)
                    inherited = (*self._receive.values(), receive)
                    process = context.Process(target=_work, args=(number, send, self._jobs, self._claims, inherited), daemon=True)
                    self._processes[number], self._receive[number] = process, receive
                    process.start()
                    send.close()
            finally:
                gc.unfreeze()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None) -> None:
        for process in self._processes.values():
            if process.pid is None:
                continue  # never started: its fork failed
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
        raised here, and again if it is asked for again."""
        if key not in self._done:
            self._done[key] = self._outcome(key)
        ok, value = self._done[key]
        if ok:
            return value
        assert isinstance(value, BaseException)
        raise value

    def _outcome(self, key: str) -> Outcome:
        index = self._index[key]
        if self._claims is None or _claim(self._claims, index, _BUILD) or self._claims[index] == _BUILD:
            return self._here(index)
        owner = self._claims[index]
        while key not in self._arrived:
            try:
                arrived, payload = self._receive[owner].recv()
            except (EOFError, OSError):  # the worker died, at once or in the middle of a message
                return self._lost(key, owner)
            self._arrived[arrived] = pickle.loads(payload)  # the worker read it back before sending it (_payload)
            self._received.add(arrived)
        return self._arrived.pop(key)

    def _here(self, index: int) -> Outcome:
        """Preparation ``index`` computed in the build's own process; an error is kept for a second asking, an interrupt
        is not (the claim stays the build's, so asking again computes it again)."""
        try:
            return True, self._jobs[index][1]()
        except Exception as error:  # noqa: BLE001 (raised by get, now and whenever it is asked for again)
            return False, error

    def _lost(self, key: str, owner: int) -> Outcome:
        """``key``'s worker died before its result came back. A worker takes its preparations in falling index order, so of
        those it took without sending a result, the last taken was running when it died: that one is an error naming it;
        one it had finished (its result still queued to be sent) is computed again here, as preparations are pure."""
        process = self._processes[owner]
        process.join()
        pending = [n for n, (name, _) in enumerate(self._jobs) if self._claims[n] == owner and name not in self._received]
        index = self._index[key]
        if index != min(pending):
            return self._here(index)
        raise GradproofError(f"the preparation of {key!r} ended without a result (its worker's exit code {process.exitcode})")
