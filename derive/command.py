"""What the two command lines share: exit codes, one-line errors, streams that may be closed, interrupts.

``python -m derive`` and ``python -m verify`` each define a parser and a body; ``run`` calls the body and turns
every way a run can end into one documented exit code and at most one line on stderr:

====  ==========================================================================================
0     done
1     ``--check`` found files that differ from what would be generated
2     bad input: the line names the option, the value and what is allowed (argparse errors too)
3     a check failed: the line names the statement; nothing was written
4     an unexpected internal error: one line; the traceback only with ``--debug``
130   interrupted (Ctrl-C or SIGTERM): one line; the previous output is left as it was
====  ==========================================================================================

A closed or broken stdout or stderr (``| head``, ``>&-``) never stops a run and never prints a traceback: the files
are written all the same, and the lines that cannot be shown are dropped.
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

from .errors import CheckFailed, GradproofError

EXIT_OK, EXIT_STALE, EXIT_USAGE, EXIT_CHECK, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
EXIT_CODES = (EXIT_OK, EXIT_STALE, EXIT_USAGE, EXIT_CHECK, EXIT_INTERNAL, EXIT_INTERRUPTED)

MEANINGS = {
    EXIT_OK: "done",
    EXIT_STALE: "--check found files that differ from what would be generated",
    EXIT_USAGE: "bad input (one line naming the value and what is allowed)",
    EXIT_CHECK: "a check failed (one line naming the statement; nothing written)",
    EXIT_INTERNAL: "internal error (one line; --debug shows the traceback)",
    EXIT_INTERRUPTED: "interrupted (the previous output is left as it was)",
}


def epilog(**changed: str) -> str:
    """The exit codes for --help, one per line; ``changed`` rewords or (empty string) drops one, e.g. ``stale=""``."""
    names = {"ok": EXIT_OK, "stale": EXIT_STALE, "usage": EXIT_USAGE, "check": EXIT_CHECK, "internal": EXIT_INTERNAL, "interrupted": EXIT_INTERRUPTED}
    meanings = dict(MEANINGS)
    for name, text in changed.items():
        meanings[names[name]] = text
    return "exit codes:\n" + "\n".join(f"  {code:>3}  {text}" for code, text in meanings.items() if text)


class UsageError(GradproofError, ValueError):
    """A command line argparse cannot read (unknown option, missing value, not a number)."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit 2 through ``run``, not argparse's usage block."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        if message:
            _write(file if file is not None else sys.stdout, message.rstrip("\n"))


def integer(text: str) -> int:
    """An integer option's value (the range is checked by the configuration, which names the allowed one)."""
    stripped = text.strip()
    digits = stripped[1:] if stripped[:1] in "+-" else stripped
    if not (digits.isascii() and digits.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer")
    if len(digits) > 100:
        raise argparse.ArgumentTypeError(f"{stripped[:20]}... ({len(digits)} digits) is far out of range")
    return int(stripped)


@dataclass
class Streams:
    """stdout and stderr that may be closed or broken: a line that cannot be written is dropped, not raised."""

    quiet: bool = False
    committed: bool = False  # set by a body once its output set is in place

    def say(self, message: str) -> None:
        """Progress and file lines on stderr, unless quiet."""
        if not self.quiet:
            self.error(message)

    def error(self, message: str) -> None:
        """A line on stderr, always."""
        _write(sys.stderr, message)

    def out(self, message: str) -> None:
        """A line on stdout (results)."""
        _write(sys.stdout, message)


def _write(stream: SupportsWrite[str] | None, message: str) -> None:
    if stream is None:
        return
    try:
        stream.write(message + "\n")
        flush = getattr(stream, "flush", None)
        if flush is not None:
            flush()
    except (OSError, ValueError):  # a broken pipe, a closed descriptor or file
        _silence(stream)


def _silence(stream: object) -> None:
    """Point a broken stream's descriptor at /dev/null, so that Python's flush at exit does not complain either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())  # type: ignore[attr-defined]
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _reopen_closed_descriptors() -> None:
    """A closed 0, 1 or 2 (``>&-``) is reopened on /dev/null, so that no file the run opens can take its number."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            opened = os.open(os.devnull, os.O_RDWR)
            if opened != fd:
                os.dup2(opened, fd)
                os.close(opened)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(parser: argparse.ArgumentParser, body: Callable[[argparse.Namespace, Streams], int], args: Sequence[str] | None = None) -> int:
    """Parse ``args`` (default: sys.argv[1:]) and run ``body``; every outcome becomes one of EXIT_CODES."""
    _reopen_closed_descriptors()
    argv = list(sys.argv[1:] if args is None else args)
    debug = "--debug" in argv
    streams = Streams(quiet="--quiet" in argv)
    previous = signal.signal(signal.SIGTERM, _interrupt) if _main_thread() else None
    try:
        try:
            options = parser.parse_args(argv)
        except SystemExit as done:  # --help, --version: argparse printed and exits 0
            return int(done.code or 0) if isinstance(done.code, int) else EXIT_OK
        streams.quiet = bool(getattr(options, "quiet", False))
        return body(options, streams)
    except CheckFailed as error:
        streams.error(f"error: {error}; nothing was written")
        return EXIT_CHECK
    except GradproofError as error:
        streams.error(f"error: {error}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        streams.error("interrupted after the output was written" if streams.committed else "interrupted: the previous output was left as it was")
        return EXIT_INTERRUPTED
    except Exception as error:
        if debug:
            _write(sys.stderr, traceback.format_exc().rstrip())
        streams.error(f"internal error: {type(error).__name__}: {_one_line(error)} (run again with --debug for the traceback)")
        return EXIT_INTERNAL
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def finish(code: int) -> NoReturn:
    """Exit with ``code``. After an interrupt (130) the process leaves at once, everything written and flushed: under load,
    a Ctrl-C that arrived while the build forked its workers could still kill the interpreter with SIGINT during its
    finalization, after the one line and the cleanup, so that the exit status read -2, not 130 (about 1 run in 30).

    Otherwise the interpreter exits as usual (atexit handlers, streams flushed), except that its last garbage
    collections leave alone what the run built: after a build they walked SymPy's caches for a quarter of a second."""
    if code == EXIT_INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    gc.freeze()
    sys.exit(code)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 300 else text[:297] + "..."
