"""The one writer of gradproof: a whole output set staged beside the target, then swapped in at once.

``write(out, files)`` builds the complete new directory in a staging directory beside ``out`` (same parent, so
the same file system): the new files, and every other entry ``out`` already holds (the user's own files, an
older file of another format) kept by hard links. Then one ``renameat2(RENAME_EXCHANGE)`` swaps the two
directories, and the old one (now at the staging path) is removed. A reader of ``out`` sees the complete old
set or the complete new one, never a mix; a failure or an interrupt before the swap leaves ``out`` untouched and
removes the staging directory and any parent directory the run created.

Where RENAME_EXCHANGE is not available (not Linux, or a file system without it), the staged files are moved
into ``out`` one ``os.replace`` each: every file is whole, but a run killed between two of them leaves a set
that is part old, part new (the next run repairs it).

A staging directory is named ``.<out>.gradproof-<pid>-<random>``; one left behind by a killed run (its process
is gone) is removed by the next write to the same ``out``, and is never compared by ``stale``. The environment
variable GRADPROOF_WRITER_PAUSE (seconds) makes the writer sleep between staging and the swap, after the swap
(before the old directory is removed) and between two moves of the fallback: a test hook, to kill a run there.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from .errors import PathError

PAUSE_ENV = "GRADPROOF_WRITER_PAUSE"
STAGE_MARK = ".gradproof-"
LEGACY_STAGE_PREFIX = ".gradproof-stage-"  # staging directories inside out, from earlier versions
NAME_MAX = 255
PATH_MAX = 4096
AT_FDCWD, RENAME_EXCHANGE = -100, 2


# -- the target: validated before any work ---------------------------------------------------------------------------


def target(out: Path | str, option: str = "--out") -> Path:
    """The directory ``out`` names, absolute, symbolic links resolved; a PathError naming the real cause otherwise."""
    text = str(out)
    if not text.strip():
        raise PathError(option, text, "the path is empty")
    if "\0" in text:
        raise PathError(option, text, "it holds a NUL character")
    absolute = Path(os.path.abspath(text))
    if any(len(os.fsencode(part)) > NAME_MAX for part in absolute.parts):
        raise PathError(option, text, f"a name in it is longer than {NAME_MAX} bytes (name too long)")
    if len(os.fsencode(str(absolute))) >= PATH_MAX:
        raise PathError(option, text, f"it is {PATH_MAX} bytes or longer (path too long)")
    try:
        resolved = absolute.resolve()
    except RuntimeError:  # a symbolic link loop, before Python 3.13
        raise PathError(option, text, "it runs into a symbolic link loop") from None
    except OSError as error:
        problem = "it runs into a symbolic link loop" if error.errno == errno.ELOOP else f"it cannot be resolved ({error.strerror})"
        raise PathError(option, text, problem) from None
    existing = resolved
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise PathError(option, text, f"{existing} is not a directory")
    here = Path.cwd().resolve()
    if resolved == Path(resolved.anchor) or resolved == here or resolved in here.parents or resolved == _home():
        raise PathError(option, text, "it is /, the home directory, the current directory or one above it; choose a directory of its own")
    return resolved


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (RuntimeError, KeyError, OSError):
        return None


def ensure_writable(out: Path | str, option: str = "--out") -> None:
    """Fail early, before the checks run and without leaving anything behind, when ``out`` cannot be written.

    The path is validated (``target``) and a staging directory is created and removed where the real one will go,
    which is the only test that also holds for root (who passes ``os.access``) on /proc, /sys or a read-only mount.
    """
    place = target(out, option)
    existing = place.parent
    while not existing.exists():
        existing = existing.parent
    try:
        probe = tempfile.mkdtemp(dir=existing, prefix=f".{place.name}{STAGE_MARK}{os.getpid()}-")
        os.rmdir(probe)
    except OSError as error:
        raise PathError(option, str(out), f"nothing can be created in {existing} ({error.strerror})") from None
    if place.exists() and not os.access(place, os.W_OK | os.X_OK):
        raise PathError(option, str(out), f"{place} is not writable")


# -- writing a set ---------------------------------------------------------------------------------------------------


def write(out: Path | str, files: Mapping[str, bytes], option: str = "--out") -> list[Path]:
    """Write the set ``files`` ({relative path: bytes}) into ``out`` whole; returns the paths as ``out`` names them."""
    ensure_writable(out, option)
    place = target(out, option)
    names = [_relative(name, option) for name in files]
    _refuse_blocked(place, names, str(out), option)
    _clean_leftovers(place)
    try:
        with _new_parents(place.parent) as _:
            stage = Path(tempfile.mkdtemp(dir=place.parent, prefix=f".{place.name}{STAGE_MARK}{os.getpid()}-"))
            try:
                _fill(stage, place, files)
                _pause()
                _commit(stage, place, names)
                _pause()
            finally:
                shutil.rmtree(stage, ignore_errors=True)
    except OSError as error:
        where = f": {error.filename}" if error.filename else ""
        raise PathError(option, str(out), f"writing failed ({error.strerror or error}{where}); the previous files are as they were") from None
    return [Path(out) / name for name in files]


def stale(out: Path | str, files: Mapping[str, bytes]) -> list[str]:
    """The names in ``files`` whose copy under ``out`` is missing or differs (staging leftovers are never looked at)."""
    return sorted(name for name, content in files.items() if not _same(Path(out) / name, content))


def _same(path: Path, content: bytes) -> bool:
    try:
        return path.read_bytes() == content
    except OSError:
        return False


def _relative(name: str, option: str) -> str:
    parts = Path(name).parts
    if not parts or Path(name).is_absolute() or ".." in parts:
        raise PathError(option, name, "a file of the set must have a relative name inside the output directory")
    return name


def _refuse_blocked(place: Path, names: list[str], shown: str, option: str) -> None:
    """A name of the set taken by a directory (or a parent of it taken by a file) is refused before anything changes."""
    for name in names:
        path = place / name
        if path.is_dir() and not path.is_symlink():
            raise PathError(option, shown, f"{path} is a directory where a file of the set goes")
        for parent in list(Path(name).parents)[:-1]:
            if (place / parent).exists() and not (place / parent).is_dir():
                raise PathError(option, shown, f"{place / parent} is a file where a directory of the set goes")


@contextmanager
def _new_parents(parent: Path) -> Iterator[list[Path]]:
    """Create the missing ancestors of the target; remove them again if the write fails (no empty directories left)."""
    missing: list[Path] = []
    walk = parent
    while not walk.exists():
        missing.append(walk)
        walk = walk.parent
    created: list[Path] = []
    try:
        for directory in reversed(missing):
            directory.mkdir()
            created.append(directory)
        yield created
    except BaseException:
        for directory in reversed(created):
            try:
                directory.rmdir()
            except OSError:
                pass
        raise


def _fill(stage: Path, place: Path, files: Mapping[str, bytes]) -> None:
    """The complete new directory in ``stage``: every entry of ``place`` not in the set (hard links), then the set."""
    umask = os.umask(0)
    os.umask(umask)
    if place.exists():
        _keep(place, stage, set(files))
        os.chmod(stage, place.stat().st_mode & 0o7777)
    else:
        os.chmod(stage, 0o777 & ~umask)
    for name, content in files.items():
        staged = stage / name
        staged.parent.mkdir(parents=True, exist_ok=True)
        if staged.exists() or staged.is_symlink():
            staged.unlink()  # a kept hard link: the new content must not write through it into the old file
        staged.write_bytes(content)
        os.chmod(staged, 0o666 & ~umask)


def _keep(source: Path, stage: Path, replaced: set[str], prefix: str = "") -> None:
    """Copy the entries of ``source`` into ``stage`` (hard links for files, symlinks as symlinks), except the replaced files."""
    for entry in os.scandir(source):
        relative = f"{prefix}{entry.name}"
        if not prefix and entry.name.startswith(LEGACY_STAGE_PREFIX):
            continue
        destination = stage / entry.name
        if entry.is_symlink():
            os.symlink(os.readlink(entry.path), destination)
        elif entry.is_dir():
            destination.mkdir()
            _keep(Path(entry.path), destination, replaced, f"{relative}/")
            os.chmod(destination, entry.stat().st_mode & 0o7777)
        elif relative not in replaced:
            try:
                os.link(entry.path, destination)
            except OSError:
                shutil.copy2(entry.path, destination)


def _pause() -> None:
    seconds = os.environ.get(PAUSE_ENV)
    if seconds:
        time.sleep(float(seconds))


def _commit(stage: Path, place: Path, names: list[str]) -> None:
    """Swap the staged directory in: one atomic exchange, or a rename when ``place`` does not exist yet."""
    if not place.exists():
        os.rename(stage, place)
        return
    if _exchange(stage, place):
        return  # the old directory is now at ``stage`` and is removed by the caller
    for name in names:  # the fallback: whole files, one rename each
        (place / name).parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage / name, place / name)
        _pause()


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return libc


def _exchange(first: Path, second: Path) -> bool:
    """Swap two directories atomically; False when the system cannot (then nothing has changed)."""
    libc = _libc()
    if libc is None:
        return False
    if libc.renameat2(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def _clean_leftovers(place: Path) -> None:
    """Remove staging directories of ``place`` left by runs whose process is gone (a kill, a power cut)."""
    if not place.parent.exists():
        return
    prefix = f".{place.name}{STAGE_MARK}"
    for entry in place.parent.iterdir():
        if not entry.name.startswith(prefix) or not entry.is_dir() or entry.is_symlink():
            continue
        pid = entry.name[len(prefix) :].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
