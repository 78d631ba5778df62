"""The one exception family of gradproof: bad input, and a check that failed."""

from __future__ import annotations

from collections.abc import Iterable


class GradproofError(Exception):
    """Base class of every error gradproof raises on purpose."""

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled with the arguments it was made from (a section prepared in another process sends its error back)."""
        return (self.__class__, getattr(self, "_made_from", self.args))


class ConfigError(GradproofError, ValueError):
    """A user-supplied value is not allowed; the message names it and the allowed ones."""

    def __init__(self, option: str, value: object, allowed: str | Iterable[str]) -> None:
        allowed_text = allowed if isinstance(allowed, str) else ", ".join(allowed)
        super().__init__(f"{option}: {value!r} is not allowed (allowed: {allowed_text})")
        self._made_from = (option, value, allowed)
        self.option = option
        self.value = value
        self.allowed = allowed_text


class PathError(ConfigError):
    """An output path that cannot be used; the message names the path and the real cause."""

    def __init__(self, option: str, value: object, problem: str) -> None:
        GradproofError.__init__(self, f"{option}: {value!r} cannot be used: {problem}")
        self._made_from = (option, value, problem)
        self.option = option
        self.value = value
        self.problem = problem


class InputError(GradproofError, ValueError):
    """A value passed to the library is unusable (wrong shape, NaN, inf, complex): the message names the argument."""

    def __init__(self, argument: str, problem: str) -> None:
        super().__init__(f"{argument}: {problem}")
        self._made_from = (argument, problem)
        self.argument = argument
        self.problem = problem


class CheckFailed(GradproofError):
    """A derivation step did not survive its check: the build stops, nothing is written."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"statement {step!r} failed its check: {reason}")
        self._made_from = (step, reason)
        self.step = step
        self.reason = reason
