"""Writing and reading files safely: every file autograd and nn write goes through here.

``write_atomically(path, data, fail)`` writes the way a careful editor saves:

* the bytes go to a short temporary file (``.gg-XXXXXXXX.tmp``) in the folder of the file
  being replaced, are flushed to disk, and only then renamed over it, so a crash, a full
  disk or Ctrl-C leaves either the old file or the new one, never a mix (the temporary
  file is removed on failure);
* a symlink is written through: its target is replaced, in the target's folder, and the
  link is left as it is;
* only a regular file is ever replaced: a folder, device (``/dev/null``), FIFO or socket
  is refused, and so is a read-only file (no write permission bit, even for root: a file
  made read-only says "do not overwrite"; make it writable or remove it first);
* a replaced file keeps its permissions (and owner, where the OS allows it); a new file
  gets what ``open`` would give it (rw-rw-rw- less the umask);
* every error is raised as ``fail(message)``, a message that names the caller's path and
  the reason (``autograd.errors.FileWriteError`` is the usual ``fail``);
* ``path`` is a str, bytes or os.PathLike: ``b"x.json"`` and ``"x.json"`` name one file.

``replace_together(moves, fail)`` moves several finished files over theirs as one step:
every target is checked first, and a failure or Ctrl-C part-way puts back every file it had
replaced, so the folder holds all the old files or all the new ones (``glassgrad demo``).

``read_regular(path, limit, fail)`` refuses anything but a regular file *before* reading
it (a FIFO would block forever, ``/dev/zero`` never ends) and reads at most ``limit`` bytes.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_atomically(folder / "a.txt", b"hello", ValueError)
    >>> read_regular(folder / "a.txt", 100, ValueError)
    b'hello'
    >>> try:
    ...     write_atomically(folder, b"x", ValueError)
    ... except ValueError as e:
    ...     print(str(e).replace(str(folder), "FOLDER"))
    cannot write 'FOLDER': it is a folder, not a file
"""

from __future__ import annotations

import os
import signal
import stat
import tempfile
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence

__all__ = ["write_atomically", "read_regular", "replace_together"]

Fail = Callable[[str], BaseException]


def write_atomically(path: str | os.PathLike, data: bytes, fail: Fail) -> None:
    """Replace the file at ``path`` (or its symlink's target) by ``data``, atomically."""
    shown = _file_name(path, "cannot write ", fail)
    if not shown:
        raise fail("cannot write '': the file name is empty")
    if shown.endswith(("/", os.sep)):
        raise fail(f"cannot write {shown!r}: it names a folder, not a file")
    target = os.path.realpath(shown)  # through symlinks: the link stays, its target is replaced
    link = f" (a link to {target!r})" if os.path.islink(shown) else ""
    old = _existing(target, shown, link, fail)
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise fail(f"cannot write {shown!r}{link}: the folder {directory!r} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".gg-", suffix=".tmp")  # short: any name fits
    except OSError as e:
        raise fail(f"cannot write {shown!r}{link}: cannot create a file in {directory!r} "
                   f"({e.strerror or e})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        _copy_owner_and_mode(tmp, old)
        os.replace(tmp, target)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise fail(f"cannot write {shown!r}{link}: {e.strerror or e}; "
                       f"{'the old file is unchanged' if old else 'nothing was written'}") from None
        raise
    _sync_directory(directory)


def _file_name(path, doing: str, fail: Fail) -> str:
    """``path`` (a str, bytes or os.PathLike) as a str, bytes decoded as the OS does (so
    ``b"model.json"`` names the same file as ``"model.json"``); anything else is refused, an
    int above all (``open(3, "wb")`` would write to file descriptor 3)."""
    try:
        return os.fsdecode(path)
    except TypeError:
        raise fail(f"{doing}{path!r:.60}: a file name must be a str, bytes or os.PathLike, "
                   f"got {type(path).__name__}") from None


def replace_together(moves: Sequence[tuple[str | os.PathLike, str | os.PathLike]], fail: Fail) -> None:
    """Rename each finished file ``source`` over its ``target``, all of them or none.

    The sources are files written in a folder on the targets' file system (a rename cannot
    cross file systems). Each target is checked as :func:`write_atomically` checks it (a
    folder, device, FIFO, socket or read-only file is refused) before anything moves; a
    symlink is replaced itself (a rename cannot write through it). Each replaced file is first
    moved aside next to its source, and a failure (or Ctrl-C, which waits for the renames in
    the main thread) part-way moves every one back: the targets end as they were, or all new.
    After a failure the sources' folder, with whatever is left in it, is the caller's to
    remove. A replaced file's permissions carry over to its new version.

        >>> import tempfile, pathlib
        >>> staging, out = pathlib.Path(tempfile.mkdtemp()), pathlib.Path(tempfile.mkdtemp())
        >>> (out / "a.txt").write_text("old a")
        5
        >>> for name in ("a.txt", "b.txt"):
        ...     write_atomically(staging / name, f"new {name}".encode(), ValueError)
        >>> replace_together([(staging / n, out / n) for n in ("a.txt", "b.txt")], ValueError)
        >>> sorted(p.read_text() for p in out.iterdir()), list(staging.iterdir())
        (['new a.txt', 'new b.txt'], [])
    """
    pairs = [(_file_name(src, "cannot move ", fail), _file_name(dst, "cannot write ", fail))
             for src, dst in moves]
    olds = []
    for src, dst in pairs:
        if not os.path.isfile(src):
            raise fail(f"cannot move {src!r} into place: it is not a file")
        directory = os.path.dirname(os.path.abspath(dst))
        if not os.path.isdir(directory):
            raise fail(f"cannot write {dst!r}: the folder {directory!r} does not exist")
        olds.append(_existing_file(dst, dst, "", fail))
    done: list[tuple[str, str, str | None]] = []  # (source, target, where the old file went)
    with _interrupt_after():
        dst = ""
        try:
            for (src, dst), old in zip(pairs, olds):
                aside = None
                if old is not None:
                    if not stat.S_ISLNK(old.st_mode):
                        os.chmod(src, stat.S_IMODE(old.st_mode))
                    aside = src + ".old"
                    os.replace(dst, aside)
                done.append((src, dst, aside))
                os.replace(src, dst)
        except BaseException as e:
            _put_back(done)
            if isinstance(e, OSError):
                raise fail(f"cannot write {dst!r}: {e.strerror or e}; every file is as it was "
                           "before") from None
            raise
    for _, _, aside in done:  # the old files, moved aside, are no longer needed
        if aside is not None:
            try:
                os.unlink(aside)
            except OSError:
                pass
    for directory in {os.path.dirname(os.path.abspath(dst)) for _, dst in pairs}:
        _sync_directory(directory)


def _put_back(done: list[tuple[str, str, str | None]]) -> None:
    """Undo the renames of :func:`replace_together`, last first (best effort: each step that
    fails is left, and the rest still go back)."""
    for src, dst, aside in reversed(done):
        try:
            if os.path.lexists(dst) and not os.path.lexists(src):
                os.replace(dst, src)  # the new file back where it came from
        except OSError:
            pass
        if aside is not None:
            try:
                os.replace(aside, dst)
            except OSError:
                pass


@contextmanager
def _interrupt_after() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) back until the block ends, then raise KeyboardInterrupt; only the
    main thread can set a handler, elsewhere the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    except (ValueError, OSError):  # e.g. an embedded interpreter without signals
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _existing_file(target: str, shown: str, link: str, fail: Fail) -> os.stat_result | None:
    """The status of the file a rename would replace (not through a symlink: the link itself
    is replaced), after refusing what must not be replaced."""
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise fail(f"cannot write {shown!r}: {e.strerror or e}") from None
    if stat.S_ISLNK(st.st_mode):
        return st
    return _existing(target, shown, link, fail)


def _existing(target: str, shown: str, link: str, fail: Fail) -> os.stat_result | None:
    """The status of the file to be replaced (None if there is none), after refusing what
    must not be replaced."""
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return None
    except OSError as e:  # a symlink loop, a name too long, a folder we may not look into
        raise fail(f"cannot write {shown!r}: {e.strerror or e}") from None
    if stat.S_ISDIR(st.st_mode):
        raise fail(f"cannot write {shown!r}{link}: it is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise fail(f"cannot write {shown!r}{link}: it is {_kind(st.st_mode)}, not a regular file; "
                   "only regular files are replaced")
    if not st.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise fail(f"cannot write {shown!r}{link}: the file is read-only; make it writable "
                   "(chmod u+w) or remove it first")
    return st


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _copy_owner_and_mode(tmp: str, old: os.stat_result | None) -> None:
    """Give the new file the old one's owner (best effort: only root may give files away)
    and permissions, or, for a new file, what ``open`` would give it."""
    if old is None:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes its file readable by the owner only
        return
    chown = getattr(os, "chown", None)
    if chown is not None and (old.st_uid, old.st_gid) != _owner(tmp):
        try:
            chown(tmp, old.st_uid, old.st_gid)
        except OSError:
            pass
    os.chmod(tmp, stat.S_IMODE(old.st_mode))


def _owner(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_uid, st.st_gid


def _umask() -> int:
    """The process's umask, read without setting it (``os.umask`` can only be read by changing
    it, which would race with other threads); 0o022, the usual one, where it cannot be read."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def _sync_directory(directory: str) -> None:
    """Make the rename itself durable where the OS allows it (POSIX); best effort."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_regular(path: str | os.PathLike, limit: int, fail: Fail) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Anything else is refused before it is read: a folder, a device, a FIFO (opened without
    blocking, and checked again once open, in case it was swapped in between), and a file
    larger than ``limit`` bytes.
    """
    shown = _file_name(path, "", fail)
    try:
        st = os.stat(shown)
    except FileNotFoundError:
        raise fail(f"{shown!r}: no such file") from None
    except OSError as e:
        raise fail(f"{shown!r}: cannot read the file ({e.strerror or e})") from None
    _check_regular(st, shown, limit, fail)
    try:
        fd = os.open(shown, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as e:
        raise fail(f"{shown!r}: cannot read the file ({e.strerror or e})") from None
    try:
        _check_regular(os.fstat(fd), shown, limit, fail)
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise fail(f"{shown!r}: cannot read the file ({e.strerror or e})") from None
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew while being read
        raise fail(f"{shown!r}: the file is larger than {limit:,} bytes")
    return data


def _check_regular(st: os.stat_result, shown: str, limit: int, fail: Fail) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise fail(f"{shown!r}: it is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise fail(f"{shown!r}: it is {_kind(st.st_mode)}, not a regular file")
    if st.st_size > limit:
        raise fail(f"{shown!r}: the file is {st.st_size:,} bytes, larger than the {limit:,} "
                   "this reads")
