"""The writer: a set is written whole or not at all, the user's other files survive, bad targets are refused up front.

The kill test runs a child process that writes a new set over an old one and kills it (SIGKILL) at 60 seeded points
spread over its whole life; the child announces each phase on its stdout, so after every kill the test knows where it
landed and checks the directory against what that phase allows: the old set before the commit, the new one after it,
one of the two (never a mix) during it; with the per-file fallback (20 kills) a mix of whole files during its commit.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from derive import writer
from derive.errors import ConfigError, PathError
from derive.writer import ensure_writable, stale, write

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("gradproof.tex", "gradproof-fragment.tex", "gradproof.md", "figures/chain-tanh.svg", "figures/chain-tanh.pdf")
OLD = {name: f"old {name}\n".encode() for name in NAMES}
NEW = {name: f"new {name}, longer\n".encode() for name in NAMES}
NOTES = {"notes.txt": b"the lecturer's own file\n", "drafts/week1.tex": b"a draft\n", "gradproof.html": b"<p>an older format</p>\n"}

# The child imports the writer without the derive package (no SymPy), so it lives a fraction of a second; it announces
# each phase on fd 1 (unbuffered), so the parent knows the last phase the child reached before the kill.
CHILD = """
import os, sys, types
package = types.ModuleType("derive")
package.__path__ = [sys.argv[1]]
sys.modules["derive"] = package
from derive import writer
def mark(word):
    os.write(1, (word + "\\n").encode())
if sys.argv[3] == "fallback":
    writer._libc = lambda: None
fill, commit = writer._fill, writer._commit
def staged_fill(*args, **kwargs):
    mark("staging"); fill(*args, **kwargs); mark("staged")
def marked_commit(*args, **kwargs):
    mark("committing"); commit(*args, **kwargs); mark("committed")
writer._fill, writer._commit = staged_fill, marked_commit
mark("start")
writer.write(sys.argv[2], {name: ("new " + name + ", longer\\n").encode() for name in sys.argv[4:]})
mark("done")
"""

CHILD_IMPORT = f"import sys, types\npackage = types.ModuleType('derive')\npackage.__path__ = [{str(ROOT / 'derive')!r}]\nsys.modules['derive'] = package\n"
# Tries to write to each target and prints the refusal (one line each).
REFUSALS = CHILD_IMPORT + (
    "import ctypes, errno, math, os, shutil, tempfile, time\nfrom derive import writer\n"
    "def report(*outs):\n    for out in outs:\n        try:\n            writer.write(out, {'a': b'x'})\n        except Exception as error:\n"
    "            print(error)\n"
)


def tree(directory: Path) -> dict[str, bytes]:
    """Every entry under ``directory``: files as their bytes, links as 'link -> target', directories as '<dir>'."""
    out: dict[str, bytes] = {}
    for path in sorted(directory.rglob("*")):
        name = str(path.relative_to(directory))
        if path.is_symlink():
            out[name] = f"link -> {os.readlink(path)}".encode()
        elif path.is_dir():
            out[name] = b"<dir>"
        else:
            out[name] = path.read_bytes()
    return out


def with_dirs(files: dict[str, bytes]) -> dict[str, bytes]:
    """``files`` plus the directories they sit in, as ``tree`` lists them."""
    dirs = {str(parent): b"<dir>" for name in files for parent in list(Path(name).parents)[:-1]}
    return {**dirs, **files}


def populate(directory: Path, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(content)


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if writer.STAGE_MARK in p.name)


# -- writing ---------------------------------------------------------------------------------------------------------


def test_a_new_directory_gets_the_set_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "out"
    umask = os.umask(0o022)
    try:
        paths = write(out, NEW)
    finally:
        os.umask(umask)
    assert tree(out) == with_dirs(NEW) and paths == [out / name for name in NEW]
    assert tree(tmp_path) == {"deep": b"<dir>", "deep/out": b"<dir>", **{f"deep/out/{k}": v for k, v in with_dirs(NEW).items()}}
    assert out.stat().st_mode & 0o777 == 0o755 and (out / "gradproof.md").stat().st_mode & 0o777 == 0o644
    assert stale(out, NEW) == [] and stale(out, {**NEW, "gradproof.md": b"other"}) == ["gradproof.md"]


def test_the_users_files_survive_and_replaced_files_are_not_written_through(tmp_path: Path) -> None:
    """Files, subdirectories (with their modes) and links that are not part of the set are kept, hard-linked; the old
    gradproof.tex, hard-linked from elsewhere, keeps its bytes."""
    out = tmp_path / "out"
    populate(out, {**OLD, **NOTES})
    (out / "link").symlink_to("notes.txt")
    (out / "drafts-link").symlink_to("drafts", target_is_directory=True)
    os.chmod(out / "drafts", 0o711)
    os.link(out / "gradproof.tex", tmp_path / "outside")
    write(out, NEW)
    assert tree(out) == with_dirs({**NEW, **NOTES, "link": b"link -> notes.txt", "drafts-link": b"link -> drafts"})
    assert (tmp_path / "outside").read_bytes() == OLD["gradproof.tex"]
    assert (out / "notes.txt").stat().st_nlink == 1 and (out / "drafts").stat().st_mode & 0o777 == 0o711
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "outside"]  # no staging directory left


def test_a_link_at_a_name_of_the_set_is_replaced_not_written_through(tmp_path: Path) -> None:
    """out/gradproof.md a link to a file elsewhere: the new set gets a file of its own there; the file elsewhere keeps its bytes."""
    out = tmp_path / "out"
    populate(out, OLD)
    (tmp_path / "theirs.md").write_bytes(b"theirs\n")
    (out / "gradproof.md").unlink()
    (out / "gradproof.md").symlink_to(tmp_path / "theirs.md")
    write(out, NEW)
    assert tree(out) == with_dirs(NEW) and (tmp_path / "theirs.md").read_bytes() == b"theirs\n"


def test_permission_bits_and_owner_of_the_directory_are_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    populate(out, OLD)
    os.chmod(out, 0o2750)
    owner = (65534, 65534) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    os.chown(out, *owner)
    write(out, NEW)
    assert (out.stat().st_mode & 0o7777) == 0o2750 and (out.stat().st_uid, out.stat().st_gid) == owner and tree(out) == with_dirs(NEW)


def test_a_symbolic_link_to_a_directory_is_followed_and_kept(tmp_path: Path) -> None:
    real, link = tmp_path / "real", tmp_path / "link"
    populate(real, {**OLD, **NOTES})
    link.symlink_to(real)
    write(link, NEW)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert tree(real) == with_dirs({**NEW, **NOTES}) and stale(link, NEW) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "made")
    write(dangling / "sub", NEW)  # a link to a directory not there yet: the directory is made where it points
    assert tree(tmp_path / "made" / "sub") == with_dirs(NEW)


def test_leftovers_of_killed_runs_are_removed_and_never_counted(tmp_path: Path) -> None:
    """A staging directory whose process is gone is removed by the next write; one of a live process is left alone."""
    out = tmp_path / "out"
    populate(out, OLD)
    dead = tmp_path / f".out{writer.STAGE_MARK}999999999-abc"
    alive = tmp_path / f".out{writer.STAGE_MARK}1-abc"  # pid 1 is always running
    other = tmp_path / f".other{writer.STAGE_MARK}999999999-abc"  # another target's: not ours to remove
    for leftover in (dead, alive, other):
        populate(leftover, NEW)
    assert stale(out, OLD) == [] and stale(out, NEW) == sorted(NEW)  # leftovers are never compared
    write(out, NEW)
    assert not dead.exists() and alive.exists() and other.exists() and tree(out) == with_dirs(NEW)


def test_a_long_name_gets_a_shortened_staging_name(tmp_path: Path) -> None:
    """A 250-byte name is a legal target, though '.<name>.gradproof-<pid>-<random>' would pass NAME_MAX: the staging
    name is shortened, and a shortened leftover of a dead run is still found."""
    out = tmp_path / ("n" * 250)
    populate(out, OLD)
    dead = tmp_path / f"{writer._stage_base(out)}999999999-abc"
    dead.mkdir()
    assert len(dead.name) < 255
    write(out, NEW)
    assert tree(out) == with_dirs(NEW) and sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_the_exchange_swaps_two_directories(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    populate(first, {"x": b"1"})
    populate(second, {"y": b"2"})
    assert writer._exchange(first, second)
    assert tree(first) == {"y": b"2"} and tree(second) == {"x": b"1"}


class _NoExchange:
    """A C library whose renameat2 answers EINVAL, as on a file system without RENAME_EXCHANGE."""

    calls = 0

    def renameat2(self, *args: object) -> int:
        _NoExchange.calls += 1
        ctypes.set_errno(errno.EINVAL)
        return -1


@pytest.mark.parametrize("how", ["EINVAL", "no renameat2"])
def test_the_fallback_moves_whole_files_one_by_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """Without RENAME_EXCHANGE every file of the set is replaced whole, one rename each (not at once: see the kill test),
    the user's files are untouched in place (same inode), and nothing is left behind."""
    out = tmp_path / "out"
    populate(out, {**OLD, **NOTES})
    inode = (out / "notes.txt").stat().st_ino
    _NoExchange.calls = 0
    monkeypatch.setattr(writer, "_libc", (lambda: _NoExchange()) if how == "EINVAL" else (lambda: None))
    moves: list[str] = []
    replace = os.replace

    def move(source: Path, destination: Path) -> None:
        moves.append(Path(destination).name)
        replace(source, destination)

    monkeypatch.setattr(writer.os, "replace", move)
    write(out, NEW)
    assert tree(out) == with_dirs({**NEW, **NOTES}) and (out / "notes.txt").stat().st_ino == inode
    assert sorted(moves) == sorted(Path(name).name for name in NEW) and _NoExchange.calls == (how == "EINVAL")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_mount_point_is_staged_inside_and_written_file_by_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing beside a mount point is on its file system, so its staging directory goes inside it (the fallback's moves);
    a dead run's inner leftover is removed and never kept."""
    out = tmp_path / "out"
    populate(out, {**OLD, **NOTES})
    dead = out / f"{writer.INNER_STAGE_PREFIX}999999999-abc"
    populate(dead, NEW)
    monkeypatch.setattr(writer, "_stage_parent", lambda place: place)
    monkeypatch.setattr(writer, "_exchange", lambda first, second: pytest.fail("no exchange inside a mount point"))
    write(out, NEW)
    assert tree(out) == with_dirs({**NEW, **NOTES}) and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def _private_mount(tmp_path: Path, options: str, script: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (Python) with a tmpfs mounted at tmp_path/mnt in a private mount namespace, gone when it ends."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode:
        reason = "no private mount namespace here (needs unshare and CAP_SYS_ADMIN)"
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI must run this test")
        pytest.skip(reason)
    (tmp_path / "mnt").mkdir(exist_ok=True)
    shell = f'mount -t tmpfs -o {options} none "$1" && cd "$2" && exec "$3" -S -c "$4"'
    args = ["unshare", "-m", "--propagation", "private", "sh", "-c", shell, "sh", str(tmp_path / "mnt"), str(ROOT), sys.executable, script]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def test_a_real_mount_point_and_a_real_read_only_mount(tmp_path: Path) -> None:
    """On a real tmpfs mount point the set is written (staged inside) with the user's files kept; on a read-only one
    the target is refused up front, naming the cause."""
    script = (
        CHILD_IMPORT
        + f"""
import json, os
from pathlib import Path
from derive.writer import write
out = Path({str(tmp_path / "mnt")!r})
for name, content in {dict(OLD, **NOTES)!r}.items():
    os.makedirs((out / name).parent, exist_ok=True)
    (out / name).write_bytes(content)
write(out, {NEW!r})
print(json.dumps(sorted((str(p.relative_to(out)), p.read_text() if p.is_file() else "<dir>") for p in out.rglob("*"))))
"""
    )
    result = _private_mount(tmp_path, "rw", script)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == sorted([name, content.decode()] for name, content in with_dirs({**NEW, **NOTES}).items())
    result = _private_mount(tmp_path, "ro", REFUSALS + f"report({str(tmp_path / 'mnt')!r}, {str(tmp_path / 'mnt' / 'out')!r})")
    lines = result.stdout.splitlines()
    assert result.returncode == 0 and len(lines) == 2, result.stderr
    assert all("Read-only file system" in line and line.startswith("--out: ") for line in lines)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnt"] and list((tmp_path / "mnt").iterdir()) == []


def test_no_permission_is_refused_for_a_user_that_is_not_root(tmp_path: Path) -> None:
    """Root passes os.access everywhere, so the refusal is shown for a plain user: one who may not create beside the
    target, and one who may not even look into its parent."""
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        result = subprocess.run([sys.executable, "-S", "-c", REFUSALS + f"report({str(locked / 'out')!r})"], capture_output=True, text=True)
        assert "Permission denied" in result.stdout, result.stderr
        return
    base = Path(tempfile.mkdtemp(prefix="gradproof-perm-"))
    try:
        os.chmod(base, 0o755)
        (base / "locked").mkdir(mode=0o755)
        (base / "closed").mkdir(mode=0o700)
        outs = (str(base / "locked" / "out"), str(base / "closed" / "out"))
        drop = "import os\nos.setgroups([])\nos.setgid(65534)\nos.setuid(65534)\n"  # after the imports: nobody cannot read root's Python
        result = subprocess.run([sys.executable, "-S", "-c", REFUSALS + drop + f"report(*{outs!r})"], capture_output=True, text=True)
        lines = result.stdout.splitlines()
        assert len(lines) == 2, result.stderr
        assert "nothing can be created in" in lines[0] and "(Permission denied)" in lines[0]
        assert "cannot be looked up (Permission denied)" in lines[1]
        assert sorted(p.name for p in base.iterdir()) == ["closed", "locked"] and list((base / "locked").iterdir()) == []
    finally:
        shutil.rmtree(base)


# -- failures leave the old set and create nothing -------------------------------------------------------------------


@pytest.mark.parametrize("error", [OSError(28, "No space left on device", "gradproof.tex"), KeyboardInterrupt()])
def test_a_failure_while_staging_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """A full disk or Ctrl-C while staging: the old set as it was, no staging directory, no parent directory created."""
    out = tmp_path / "out"
    populate(out, OLD)

    def fail(stage: Path, place: Path, files: object, keep: bool = True) -> None:
        (stage / "half").write_bytes(b"x")
        raise error

    monkeypatch.setattr(writer, "_fill", fail)
    with pytest.raises(PathError if isinstance(error, OSError) else KeyboardInterrupt) as caught:
        write(out, NEW)
    if isinstance(error, OSError):
        assert "No space left on device: gradproof.tex" in str(caught.value)
    monkeypatch.setattr(writer, "_fill", lambda *args, **kwargs: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    with pytest.raises(PathError, match="No space left on device"):
        write(tmp_path / "new" / "deeper" / "out", NEW)  # the parents it made for the commit are removed again
    assert tree(out) == with_dirs(OLD)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_failed_exchange_changes_nothing_and_names_the_cause(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    populate(out, OLD)

    class Busy:
        def renameat2(self, *args: object) -> int:
            ctypes.set_errno(errno.EBUSY)
            return -1

    monkeypatch.setattr(writer, "_libc", lambda: Busy())
    with pytest.raises(PathError, match=f"Device or resource busy: {out}"):
        write(out, NEW)
    assert tree(out) == with_dirs(OLD) and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize(
    ("where", "cause"),
    [
        (lambda tmp: "", "the path is empty"),
        (lambda tmp: "   ", "the path is empty"),
        (lambda tmp: str(tmp / "a\0b"), "NUL"),
        (lambda tmp: str(tmp / ("n" * 300)), "longer than 255 bytes (name too long)"),
        (lambda tmp: str(tmp / "/".join(["d" * 200] * 21)), "4096 bytes or longer (name too long"),
        (lambda tmp: str(tmp / "loop" / "sub"), "symbolic link loop"),
        (lambda tmp: str(tmp / "loop"), "symbolic link loop"),
        (lambda tmp: str(tmp / "file"), "is not a directory"),
        (lambda tmp: str(tmp / "file" / "sub"), "is not a directory"),
        (lambda tmp: str(tmp / "old" / "gradproof.tex"), "is not a directory"),
        (lambda tmp: ".", "the current directory"),
        (lambda tmp: "..", "the current directory or one above it"),
        (lambda tmp: str(tmp), "the current directory"),
        (lambda tmp: "/", "/, the home directory"),
        (lambda tmp: str(Path.home()), "the home directory"),
        (lambda tmp: "/proc/gradproof-out", "nothing can be created in /proc"),
        (lambda tmp: "/proc/self/gradproof-out", "nothing can be created in /proc/"),
        (lambda tmp: "/sys/gradproof-out", "nothing can be created in /sys"),
        (lambda tmp: "/sys/kernel/gradproof-out/deeper", "nothing can be created in /sys/kernel"),
    ],
)
def test_an_unusable_target_is_refused_with_its_cause_and_nothing_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: object, cause: str
) -> None:
    (tmp_path / "file").write_text("")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    populate(tmp_path / "old", OLD)
    monkeypatch.chdir(tmp_path)
    before = tree(tmp_path)
    out = where(tmp_path)  # type: ignore[operator]
    for attempt in (lambda: ensure_writable(out), lambda: write(out, NEW)):
        with pytest.raises(PathError, match=re.escape(cause)) as caught:
            attempt()
        assert str(caught.value).startswith(f"--out: {out!r} cannot be used: ") and "\n" not in str(caught.value)
        assert "File exists" not in str(caught.value)
    assert tree(tmp_path) == before


@pytest.mark.parametrize(
    ("errno_code", "cause"), [(errno.EROFS, "(Read-only file system)"), (errno.EACCES, "(Permission denied)"), (errno.ENAMETOOLONG, "(name too long)")]
)
def test_the_probe_names_what_the_file_system_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, errno_code: int, cause: str) -> None:
    def refuse(**kwargs: object) -> str:
        raise OSError(errno_code, os.strerror(errno_code), str(kwargs["dir"]))

    monkeypatch.setattr(writer.tempfile, "mkdtemp", refuse)
    with pytest.raises(PathError, match=f"nothing can be created in {tmp_path} " + cause.replace("(", r"\(").replace(")", r"\)")):
        ensure_writable(tmp_path / "out", "--dir")
    assert list(tmp_path.iterdir()) == []


def test_a_bad_pause_is_refused_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for value in ("soon", "-1", "nan", "inf"):
        monkeypatch.setenv(writer.PAUSE_ENV, value)
        with pytest.raises(ConfigError, match=f"{writer.PAUSE_ENV}: '{value}' is not allowed"):
            write(tmp_path / "out", NEW)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("blocker", "cause"),
    [
        ("gradproof.md", "gradproof.md is a directory where a file of the set goes"),
        ("figures", "figures is a file where a directory of the set goes"),
        ("figures-link", "figures is a symbolic link where a directory of the set goes"),
    ],
)
def test_a_name_of_the_set_taken_by_the_wrong_kind_is_refused_before_anything_changes(tmp_path: Path, blocker: str, cause: str) -> None:
    """``mkdir -p out/gradproof.md``: refused naming that path, before gradproof.tex or anything else changes."""
    out = tmp_path / "out"
    populate(out, {name: OLD[name] for name in NAMES[:3]})
    if blocker == "figures":
        (out / "figures").write_bytes(b"a file")
    elif blocker == "figures-link":
        populate(tmp_path / "elsewhere", {"chain-tanh.svg": b"theirs"})
        (out / "figures").symlink_to(tmp_path / "elsewhere")
    else:
        (out / blocker).unlink()
        (out / blocker).mkdir()
    before = tree(tmp_path)
    for attempt in (lambda: ensure_writable(out, names=NEW), lambda: write(out, NEW)):
        with pytest.raises(PathError, match=f"{out}/{cause}"):
            attempt()
    ensure_writable(out)  # without the names: nothing to see yet
    assert tree(tmp_path) == before


def test_a_file_name_outside_the_directory_is_refused(tmp_path: Path) -> None:
    for name in ("../escape", "/etc/passwd", ""):
        with pytest.raises(PathError, match="relative name"):
            write(tmp_path / "out", {name: b"x"})
    assert list(tmp_path.iterdir()) == []


# -- the kill test -----------------------------------------------------------------------------------------------------

PAUSE = 0.04  # seconds the child sleeps before the swap and after it (and between two moves of the fallback)
MARKS = ("start", "staging", "staged", "committing", "committed", "done")
PHASE = {None: "boot", "start": "before staging", "staging": "staging", "staged": "pause", "committing": "commit", "committed": "after commit", "done": "done"}
ANCHORS = (None, "start", "staging", "staged", "committing", "committed")  # a kill point: after one of these, by a seeded fraction of its phase


def _spawn(out: Path, mode: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, writer.PAUSE_ENV: str(PAUSE)}
    command = [sys.executable, "-S", "-c", CHILD, str(ROOT / "derive"), str(out), mode, *NAMES]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _phase_lengths(out: Path, mode: str) -> dict[str | None, float]:
    """One run to the end: how long the child spends after each mark (after its start, for None), to spread the kills."""
    populate(out, {**OLD, **NOTES})
    started = time.monotonic()
    child = _spawn(out, mode)
    assert child.stdout is not None
    seen: dict[str | None, float] = {None: started}
    while line := child.stdout.readline():
        seen[line.decode().strip()] = time.monotonic()
    assert child.wait() == 0 and list(seen)[1:] == list(MARKS), child.stderr.read() if child.stderr else ""
    times = [seen[mark] for mark in ANCHORS] + [seen["done"]]
    shutil.rmtree(out)
    return {mark: times[i + 1] - times[i] for i, mark in enumerate(ANCHORS)}


def _kill_once(out: Path, mode: str, anchor: str | None, delay: float) -> tuple[str, str]:
    """Restore the old set, start the child, kill it ``delay`` after ``anchor``; (the phase it was in, the state left)."""
    if out.exists():
        shutil.rmtree(out)  # leftovers of earlier kills stay: the children's writes must remove them
    populate(out, {**OLD, **NOTES})
    child = _spawn(out, mode)
    assert child.stdout is not None and child.stderr is not None
    if anchor is not None:
        while (line := child.stdout.readline()) and line.decode().strip() != anchor:
            pass
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait()
    rest = child.stdout.read().decode().split()
    marks = [anchor, *rest] if anchor is not None else rest
    assert child.returncode in (0, -signal.SIGKILL), child.stderr.read().decode()
    phase = PHASE[marks[-1] if marks else None]
    old_state, new_state = with_dirs({**OLD, **NOTES}), with_dirs({**NEW, **NOTES})
    state = tree(out)
    mine = [name for name in leftovers(out.parent) if f"{writer.STAGE_MARK}{child.pid}-" in name]
    if phase in ("staging", "pause", "commit"):  # after the commit it may have removed it already
        assert mine, f"killed in {phase}: its staging directory should be there"
    if state == old_state:
        assert phase not in ("after commit", "done"), f"the old set after the commit ({phase})"
        assert stale(out, OLD) == [] and stale(out, NEW) == sorted(NEW)
        return phase, "old"
    if state == new_state:
        assert phase in ("commit", "after commit", "done"), f"the new set before the commit ({phase})"
        assert stale(out, NEW) == []
        return phase, "new"
    assert mode == "fallback" and phase == "commit", f"a mixed set after a kill in {phase}: {state}"
    assert set(state) == set(old_state) and all(state[name] in (old_state[name], new_state[name]) for name in state)  # each file whole
    return phase, "mixed"


@pytest.mark.parametrize(("mode", "kills"), [("exchange", 60), ("fallback", 20)])
def test_a_killed_write_leaves_the_old_set_or_the_new_one(tmp_path: Path, mode: str, kills: int) -> None:
    """SIGKILL at seeded points over the child's whole life (start-up, before staging, staging, the pause, the commit,
    after it): with the exchange every kill leaves exactly the complete old set or the complete new one, as the phase
    allows. With the per-file fallback a kill during the commit may leave a mix of whole files (old ones and new ones);
    the next write repairs it. One more write removes every leftover of the killed runs."""
    rng = random.Random(0)
    lengths = _phase_lengths(tmp_path / "calibrate" / "out", mode)
    plan = [(anchor, rng.random() * lengths[anchor] * 1.2) for anchor in (rng.choice(ANCHORS) for _ in range(kills))]
    workers = 2

    def run(worker: int) -> list[tuple[str, str]]:
        out = tmp_path / f"w{worker}" / "out"
        return [_kill_once(out, mode, anchor, delay) for anchor, delay in plan[worker::workers]]

    with ThreadPoolExecutor(workers) as pool:
        results = [result for batch in pool.map(run, range(workers)) for result in batch]
    seen = Counter(f"{phase}: {state}" for phase, state in results)
    print(mode, dict(sorted(seen.items())))
    assert sum(seen.values()) == kills
    assert {state for _, state in results} >= {"old", "new"}  # kills landed on both sides of the commit
    for worker in range(workers):
        out = tmp_path / f"w{worker}" / "out"
        write(out, NEW)
        assert tree(out) == with_dirs({**NEW, **NOTES})
        assert sorted(p.name for p in out.parent.iterdir()) == ["out"]  # every leftover of the kills is gone
