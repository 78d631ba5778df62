"""The one writer of gradproof: a whole output set staged beside the target, then swapped in at once.

``write(out, files)`` builds the complete new directory in a staging directory beside ``out`` (same parent, so
the same file system): the new files, and every other entry ``out`` already holds (the user's own files and
subdirectories, an older file of another format) kept by hard links, symbolic links as links, ``out``'s
permission bits on the new directory. Then one ``renameat2(RENAME_EXCHANGE)`` swaps the two directories (a plain
``os.rename`` when ``out`` does not exist yet), and the old tree, now at the staging path, is removed. A reader of
``out`` sees the complete old set or the complete new one, never a mix; a failure or an interrupt before the swap
leaves ``out`` untouched and removes the staging directory and any parent directory the run created.

NOT atomic as a set, the fallback: where RENAME_EXCHANGE is not available (not Linux, no ``renameat2`` in the C
library, or a file system answering EINVAL/ENOSYS/EOPNOTSUPP), and where ``out`` is a mount point (nothing beside
it is on its file system; the staging directory then goes inside ``out``), the staged files are moved into ``out``
one ``os.replace`` each. Every file is whole, but a run killed between two moves leaves a set that is part old,
part new; the next write repairs it.

A staging directory is named ``.<out>.gradproof-<pid>-<random>`` (``<out>`` shortened when the name would pass
the file system's limit); one left behind by a killed run (its process is gone) is removed by the next write to
the same ``out``, and ``stale`` never looks at it. The environment variable GRADPROOF_WRITER_PAUSE (seconds) makes
the writer sleep between staging and the swap, after the swap (before the old tree is removed) and between two
moves of the fallback: a test hook, to kill a run there.
"""

from __future__ import annotations

import ctypes
import errno
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from .errors import ConfigError, PathError

PAUSE_ENV = "GRADPROOF_WRITER_PAUSE"
STAGE_MARK = ".gradproof-"
INNER_STAGE_PREFIX = ".gradproof-stage-"  # a staging directory inside out: a mount point's, or an earlier version's
NAME_MAX = 255  # used where the file system does not say (os.pathconf)
PATH_MAX = 4096
AT_FDCWD, RENAME_EXCHANGE = -100, 2
UNSUPPORTED = frozenset({errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP})


# -- the target: validated before any work, creating nothing -----------------------------------------------------------


def target(out: Path | str, option: str = "--out") -> Path:
    """The directory ``out`` names, absolute, symbolic links resolved; a PathError naming the real cause otherwise."""
    text = str(out)
    if not text.strip():
        raise PathError(option, text, "the path is empty")
    if "\0" in text:
        raise PathError(option, text, "it holds a NUL character")
    absolute = Path(os.path.abspath(text))
    name_max, path_max = _limits(_nearest_existing(absolute, option, text))
    if any(len(os.fsencode(part)) > name_max for part in absolute.parts):
        raise PathError(option, text, f"a name in it is longer than {name_max} bytes (name too long)")
    if len(os.fsencode(str(absolute))) >= path_max:
        raise PathError(option, text, f"it is {path_max} bytes or longer (name too long: the whole path)")
    try:
        resolved = absolute.resolve()
    except RuntimeError:  # a symbolic link loop, before Python 3.13
        raise PathError(option, text, "it runs into a symbolic link loop") from None
    except OSError as error:
        problem = "it runs into a symbolic link loop" if error.errno == errno.ELOOP else f"it cannot be resolved ({error.strerror})"
        raise PathError(option, text, problem) from None
    existing = _nearest_existing(resolved, option, text)
    if not existing.is_dir():
        raise PathError(option, text, f"{existing} is not a directory")
    here = Path.cwd().resolve()
    if resolved == Path(resolved.anchor) or resolved == here or resolved in here.parents or resolved == _home():
        raise PathError(option, text, "it is /, the home directory, the current directory or one above it; choose a directory of its own")
    return resolved


def _nearest_existing(path: Path, option: str, shown: str) -> Path:
    """``path`` or its nearest ancestor that exists (symbolic links followed); a loop or a denied look-up is a PathError."""
    walk = path
    while True:
        try:
            os.stat(walk)
            return walk
        except (FileNotFoundError, NotADirectoryError):
            walk = walk.parent
        except OSError as error:
            if error.errno == errno.ENAMETOOLONG:  # named by the length checks, which need the file system's limits
                walk = walk.parent
                continue
            problem = "it runs into a symbolic link loop" if error.errno == errno.ELOOP else f"{walk} cannot be looked up ({error.strerror})"
            raise PathError(option, shown, problem) from None


def _limits(directory: Path) -> tuple[int, int]:
    """The longest name and path (bytes) the file system of ``directory`` takes; 255 and 4096 where it does not say."""
    try:
        name_max, path_max = os.pathconf(directory, "PC_NAME_MAX"), os.pathconf(directory, "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):
        return NAME_MAX, PATH_MAX
    return (name_max if name_max > 0 else NAME_MAX), (path_max if path_max > 0 else PATH_MAX)  # -1: no limit said


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (RuntimeError, KeyError, OSError):
        return None


def ensure_writable(out: Path | str, option: str = "--out", names: Iterable[str] = ()) -> None:
    """Fail early, before the slow work and without leaving anything behind, when ``out`` cannot be written.

    The path is validated (``target``) and a staging directory is created and removed where the real one will go,
    which is the only test that also holds for root (who passes ``os.access``) on /proc, /sys or a read-only mount.
    Given the set's file ``names``, a name taken by a directory (``mkdir -p out/gradproof.md``) is refused here too.
    """
    place = target(out, option)
    where = _stage_parent(place)
    existing = _nearest_existing(where, option, str(out))
    try:
        os.rmdir(tempfile.mkdtemp(dir=existing, prefix=_stage_prefix(place, where)))
    except OSError as error:
        cause = "name too long" if error.errno == errno.ENAMETOOLONG else error.strerror
        raise PathError(option, str(out), f"nothing can be created in {existing} ({cause})") from None
    if place.exists() and not os.access(place, os.R_OK | os.W_OK | os.X_OK):
        raise PathError(option, str(out), f"{place} is not readable and writable")
    _refuse_blocked(place, [_relative(name, option) for name in names], str(out), option)


# -- writing a set -------------------------------------------------------------------------------------------------------


def write(out: Path | str, files: Mapping[str, bytes], option: str = "--out") -> list[Path]:
    """Write the set ``files`` ({relative path: bytes}) into ``out`` whole; returns the paths as ``out`` names them."""
    pause = _pause_seconds()
    names = [_relative(name, option) for name in files]
    ensure_writable(out, option, names)
    place = target(out, option)
    where = _stage_parent(place)
    try:
        _clean_leftovers(place, where)
        with _new_parents(where):
            stage = Path(tempfile.mkdtemp(dir=where, prefix=_stage_prefix(place, where)))
            try:
                _fill(stage, place, files, keep=where != place)
                _pause(pause)
                _commit(stage, place, names, pause)
                _pause(pause)
            finally:
                shutil.rmtree(stage, ignore_errors=True)
    except OSError as error:
        where_text = f": {error.filename}" if error.filename else ""
        raise PathError(option, str(out), f"writing failed ({error.strerror or error}{where_text}); no file of the set is half written") from None
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
    """A name of the set taken by a directory, or a directory of the set taken by a file or a link, is refused before anything changes.

    A link where a directory of the set goes would have the set written through it, outside ``out`` and not at once.
    """
    for name in names:
        path = place / name
        if path.is_dir() and not path.is_symlink():
            raise PathError(option, shown, f"{path} is a directory where a file of the set goes")
        for parent in list(Path(name).parents)[:-1]:
            directory = place / parent
            if directory.is_symlink():
                raise PathError(option, shown, f"{directory} is a symbolic link where a directory of the set goes")
            if directory.exists() and not directory.is_dir():
                raise PathError(option, shown, f"{directory} is a file where a directory of the set goes")


def _stage_parent(place: Path) -> Path:
    """Where the staging directory goes: beside ``place``; inside it when it is a mount point (the only place on its file system)."""
    return place if os.path.ismount(place) and place != Path(place.anchor) else place.parent


def _stage_base(place: Path) -> str:
    """``.<name>.gradproof-``: the name shortened so that base, pid (up to 10 digits), '-' and mkdtemp's 8 characters stay under NAME_MAX."""
    name = place.name
    while len(os.fsencode(f".{name}{STAGE_MARK}")) > NAME_MAX - 20:
        name = name[:-1]
    return f".{name}{STAGE_MARK}"


def _stage_prefix(place: Path, where: Path) -> str:
    """The staging directory's name before mkdtemp's random part: beside ``place``, or inside it (a mount point)."""
    return f"{INNER_STAGE_PREFIX if where == place else _stage_base(place)}{os.getpid()}-"


@contextmanager
def _new_parents(parent: Path) -> Iterator[None]:
    """Create the missing ancestors of the target at commit time; remove them again if the write fails (no empty directories left)."""
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
        yield
    except BaseException:
        for directory in reversed(created):
            try:
                directory.rmdir()
            except OSError:
                pass
        raise


def _fill(stage: Path, place: Path, files: Mapping[str, bytes], keep: bool = True) -> None:
    """The new directory in ``stage``: every entry of ``place`` not in the set (hard links, when ``keep``), then the set."""
    umask = os.umask(0)
    os.umask(umask)
    if keep and place.exists():
        _keep(place, stage, set(files))
        status = place.stat()
        if (status.st_uid, status.st_gid) != (os.getuid(), os.getgid()):
            try:
                os.chown(stage, status.st_uid, status.st_gid)  # root writing into a user's directory leaves it theirs
            except OSError:
                pass  # a plain user cannot give a directory away: it becomes theirs, as any new file does
        os.chmod(stage, status.st_mode & 0o7777)
    else:
        os.chmod(stage, 0o777 & ~umask)
    for name, content in files.items():
        staged = stage / name
        staged.parent.mkdir(parents=True, exist_ok=True)
        if staged.exists() or staged.is_symlink():
            staged.unlink()  # a kept hard link or link: the new content must not write through it into the old file
        staged.write_bytes(content)
        os.chmod(staged, 0o666 & ~umask)


def _keep(source: Path, stage: Path, replaced: set[str], prefix: str = "") -> None:
    """Copy the entries of ``source`` into ``stage`` (hard links for files, symlinks as symlinks), except the replaced files."""
    for entry in os.scandir(source):
        relative = f"{prefix}{entry.name}"
        if not prefix and entry.name.startswith(INNER_STAGE_PREFIX):
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


def _pause_seconds() -> float:
    """The test hook's pause (GRADPROOF_WRITER_PAUSE), read before any work; 0 when unset."""
    text = os.environ.get(PAUSE_ENV, "").strip()
    if not text:
        return 0.0
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds >= 0):
        raise ConfigError(PAUSE_ENV, text, "a number of seconds, 0 or more")
    return seconds


def _pause(seconds: float) -> None:
    if seconds:
        time.sleep(seconds)


def _commit(stage: Path, place: Path, names: list[str], pause: float = 0.0) -> None:
    """Swap the staged directory in: one atomic exchange, a rename when ``place`` does not exist yet, else one move per file."""
    if not place.exists():
        os.rename(stage, place)
        return
    if stage.parent != place and _exchange(stage, place):
        return  # the old tree is now at ``stage`` and is removed by the caller
    for index, name in enumerate(names):  # the fallback: whole files, one rename each
        if index:
            _pause(pause)
        (place / name).parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage / name, place / name)


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
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
    if code in UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(second))


def _clean_leftovers(place: Path, where: Path) -> None:
    """Remove staging directories of ``place`` left by runs whose process is gone (a kill, a power cut)."""
    if not where.is_dir():
        return
    prefix = INNER_STAGE_PREFIX if where == place else _stage_base(place)
    for entry in where.iterdir():
        if not entry.name.startswith(prefix) or entry.is_symlink() or not entry.is_dir():
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
    except OverflowError:
        return False
    return True
