"""Parts of a build computed in forked processes while the rest of the build goes on.

A section may name a preparation: a function of the configuration alone (no progress, no
other section), whose result its build reads, e.g. the refutation searches or the rendered
figure. ``build_document`` starts the chosen sections' preparations at once, each in a
child forked from the build (it starts with every module the build has imported), and a
section takes its result when the build reaches it; the result, or the error, comes back
pickled through a pipe. The same function runs on the same arguments, so the report is the
same byte for byte whichever process computed a part.

Where fork is not available, on one CPU, or with GRADPROOF_JOBS=1 in the environment, each
preparation runs in the build's own process when its section asks for it. Children are
daemonic and ignore Ctrl-C (the build decides); leaving the ``with`` block, normally or by an
error, terminates any child whose result was not collected.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

from .errors import GradproofError

#: Set to 1 to compute every preparation in the build's own process.
JOBS_VARIABLE = "GRADPROOF_JOBS"


def parallel_allowed() -> bool:
    """Whether preparations may run in forked children: fork exists, there are two CPUs or more, and GRADPROOF_JOBS is not 1."""
    setting = os.environ.get(JOBS_VARIABLE, "").strip()
    if setting and setting != "auto":
        if not setting.isdigit() or int(setting) < 1:
            raise GradproofError(f"{JOBS_VARIABLE}={setting!r} is not allowed (allowed: a whole number of at least 1, or auto)")
        if int(setting) == 1:
            return False
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


_INTERRUPTS = {signal.SIGINT, signal.SIGTERM}


def _child(send: Connection, job: Callable[[], object]) -> None:
    """Run ``job`` and send (True, result) or (False, error) to the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the parent decides
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler is inherited; terminate() must end the child
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _INTERRUPTS)  # blocked by the parent while it forked (Prepared.__enter__)
    try:
        outcome: tuple[bool, object] = (True, job())
    except BaseException as error:  # noqa: BLE001 (sent to the parent and raised there)
        outcome = (False, error)
    try:
        send.send(outcome)
    except Exception as error:  # noqa: BLE001 (an unpicklable result or error)
        send.send((False, GradproofError(f"a prepared part of the build could not be sent back: {error}")))
    finally:
        send.close()


class _Job:
    """One preparation in a forked child."""

    def __init__(self, job: Callable[[], object]) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_child, args=(send, job), daemon=True)
        self._process.start()
        send.close()

    def result(self) -> object:
        try:
            ok, value = self._receive.recv()
        except EOFError:
            self._process.join()
            raise GradproofError(f"a prepared part of the build ended without a result (exit code {self._process.exitcode})") from None
        finally:
            self._receive.close()
        self._process.join()
        if ok:
            return value
        assert isinstance(value, BaseException)
        raise value

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._receive.close()


class Prepared:
    """The preparations of one build, by section key: started in children when allowed, else run on demand."""

    def __init__(self, jobs: Mapping[str, Callable[[], object]], parallel: bool | None = None) -> None:
        self._jobs = dict(jobs)
        self._parallel = parallel_allowed() if parallel is None else parallel
        self._running: dict[str, _Job] = {}
        self._done: dict[str, Any] = {}

    def __enter__(self) -> Prepared:
        if self._parallel:
            # An interrupt while the children are forked would leave some started and none stopped (__exit__ does not run
            # when __enter__ raises): Ctrl-C and SIGTERM wait until every child has its own handlers, then arrive here.
            previous = signal.pthread_sigmask(signal.SIG_BLOCK, _INTERRUPTS)
            try:
                for key, job in self._jobs.items():
                    self._running[key] = _Job(job)
            except BaseException:
                self.__exit__(None, None, None)
                raise
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None) -> None:
        for job in self._running.values():
            job.stop()
        self._running.clear()

    def __contains__(self, key: object) -> bool:
        return key in self._jobs

    def get(self, key: str) -> object:
        """The result of the preparation ``key`` (waiting for its child, or computing it now); its error is raised here."""
        if key not in self._done:
            running = self._running.pop(key, None)
            self._done[key] = running.result() if running is not None else self._jobs[key]()
        return self._done[key]
