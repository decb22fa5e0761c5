"""Safe output folders: build beside the destination, swap in, never touch what is not ours.

A council's data must never be lost (developers' guide, "Bad input"). Every folder driftflag
writes as a whole (a case store, a worklist, a monitoring or fairness pack, a synthetic LA) is:

* **marked**: it holds a marker file (``.driftflag-store`` for a store, ``.driftflag-output``
  otherwise) naming its kind, the driftflag version and the top-level entries driftflag wrote.
  driftflag replaces only a missing folder, an empty one, or one carrying the marker of the same
  kind (or, for folders written before markers existed, one holding only what that kind
  wrote). A file, a symbolic link, another kind of output, an unmarked non-empty folder or a
  path equal to, inside or containing one of the run's inputs is refused with one line, before
  any work is done;
* **built beside the destination** in ``.NAME.tmp-PID_START-XXXX`` and swapped in. Entries of the old
  folder that driftflag did not write (not listed in its marker) and the ``keep`` entries (a
  store's ``records/``) are moved into the new folder first, so the swap never deletes them;
* **recoverable**: on Linux the swap is one atomic exchange (``renameat2``); elsewhere it is two
  renames through ``.NAME.old-PID``. A run killed at any point leaves the old or the new folder
  under its own name, or (two renames) the old one under ``.NAME.old-PID``; the next run
  writing the same destination (:func:`recover`) puts it back, returns moved entries to the
  folder they came from, removes staging folders of dead processes, and logs what it did.

Files get their permissions from the user's umask, like any ``open()``: nothing is forced
world-readable and staging folders are not left private (``mkdtemp`` makes 0700).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from driftflag.errors import DriftflagError

logger = logging.getLogger(__name__)

STORE_MARKER = ".driftflag-store"
OUTPUT_MARKER = ".driftflag-output"
MARKERS = (STORE_MARKER, OUTPUT_MARKER)

__all__ = [
    "DestinationError",
    "MARKERS",
    "OUTPUT_MARKER",
    "STORE_MARKER",
    "check_destination",
    "marker_of",
    "recover",
    "replace_dir",
    "staged_dir",
    "write_bytes_atomic",
    "write_marker",
    "write_new_file",
]


class DestinationError(DriftflagError):
    """driftflag will not write at this path: it would replace something it did not create."""


# --- permissions --------------------------------------------------------------------------
def current_umask() -> int:
    """The process umask (read from /proc where possible, so it is never changed, even briefly)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode(base: int) -> int:
    return base & ~current_umask()


# --- markers ------------------------------------------------------------------------------
def _marker_name(kind: str) -> str:
    return STORE_MARKER if kind == "store" else OUTPUT_MARKER


def marker_of(folder: Path) -> dict[str, Any] | None:
    """The marker of ``folder`` (``kind``, ``driftflag_version``, ``contents`` ...), or None."""
    for name in MARKERS:
        p = Path(folder) / name
        if p.is_file():
            try:
                data = json.loads(p.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return {"kind": "unreadable marker"}
            return data if isinstance(data, dict) else {"kind": "unreadable marker"}
    return None


def write_marker(folder: Path, kind: str, *, contents: Iterable[str] | None = None,
                 created: datetime | str | None = None, **extra: Any) -> Path:
    """Write the marker of ``folder``. ``contents`` (default: what the folder holds now) names
    the top-level entries driftflag wrote; anything else found there later is the user's."""
    from driftflag import __version__

    folder = Path(folder)
    names = sorted(set(contents) if contents is not None else
                   {p.name for p in folder.iterdir() if p.name not in MARKERS})
    data: dict[str, Any] = {"kind": kind, "written_by": "driftflag", "driftflag_version": __version__,
                            "contents": names, **extra}
    if created is not None:
        data["created"] = created.isoformat() if isinstance(created, datetime) else str(created)
    path = folder / _marker_name(kind)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def _is_ours(folder: Path, kind: str, legacy: Iterable[str] | None) -> bool:
    m = marker_of(folder)
    if m is not None:
        return m.get("kind") == kind
    return _unexpected(folder, legacy) == []


def _unexpected(folder: Path, legacy: Iterable[str] | None) -> list[str] | None:
    """For an unmarked folder: None if it is not an older driftflag output at all (no signature,
    the first ``legacy`` name); else the entries an older driftflag would not have written."""
    names = (legacy,) if isinstance(legacy, str) else tuple(legacy or ())
    if not names or not (folder / names[0]).exists():
        return None
    return sorted(p.name for p in folder.iterdir() if p.name not in set(names))


def _listed(folder: Path) -> set[str] | None:
    """Entries the marker says driftflag wrote (None: unmarked, so every entry is driftflag's)."""
    m = marker_of(folder)
    if m is None or not isinstance(m.get("contents"), list):
        return None
    return {str(x) for x in m["contents"]} | set(MARKERS)


# --- checks -------------------------------------------------------------------------------
def _describe(path: Path) -> str:
    m = marker_of(path)
    if m is not None:
        return f"a driftflag {m.get('kind', 'output')}"
    return "a folder driftflag did not create"


def check_destination(dest: Path, kind: str, *, inputs: Iterable[Path] = (),
                      legacy: Iterable[str] | None = None) -> None:
    """Raise :class:`DestinationError` unless driftflag may replace ``dest`` with a ``kind``."""
    dest = Path(dest)
    what = "store" if kind == "store" else "output folder"
    real = Path(os.path.realpath(dest))
    for inp in inputs:
        ri = Path(os.path.realpath(inp))
        if real == ri or real in ri.parents:
            raise DestinationError(f"{dest}: the {what} would replace the input {inp}; "
                                   "choose another folder")
        if ri in real.parents:
            raise DestinationError(f"{dest}: the {what} would sit inside the input {inp} and be read "
                                   "as input next time; choose a folder outside it")
    if dest.is_symlink():
        raise DestinationError(f"{dest}: is a symbolic link; give the folder itself")
    if not dest.exists():
        return
    if not dest.is_dir():
        raise DestinationError(f"{dest}: is a file, not a driftflag {what}; nothing was written "
                               "(choose a new folder)")
    if _is_ours(dest, kind, legacy):
        return
    if not any(dest.iterdir()):
        return
    extra = _unexpected(dest, legacy) if marker_of(dest) is None else None
    if extra:
        raise DestinationError(f"{dest}: looks like a {kind} of an older driftflag but also holds "
                               f"{', '.join(extra[:5])}{' ...' if len(extra) > 5 else ''}; move those "
                               "away first (nothing was written)")
    raise DestinationError(f"{dest}: is {_describe(dest)} and not empty; driftflag writes a {kind} "
                           f"only to a new or empty folder or over its own {kind} (nothing was written)")


# --- one writer at a time -----------------------------------------------------------------
_held: dict[tuple[str, int], list[int]] = {}
_held_guard = threading.Lock()


@contextlib.contextmanager
def folder_lock(dest: Path) -> Iterator[None]:
    """Hold an exclusive lock for changing ``dest`` (a ``flock`` on its parent folder, which is
    never swapped). A swap of a store and an append to its ledger never interleave: an import
    running during an ingest waits, then writes into the new store. Re-entrant within a thread;
    where the filesystem cannot lock (some network shares) it goes on unlocked.
    """
    try:
        import fcntl
    except ImportError:  # not a POSIX system: no locking
        yield
        return
    parent = os.path.realpath(Path(dest).parent)
    key = (parent, threading.get_ident())
    with _held_guard:
        if key in _held:
            _held[key][1] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield
        finally:
            with _held_guard:
                _held[key][1] -= 1
        return
    os.makedirs(parent, exist_ok=True)
    fd = os.open(parent, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            logger.debug("cannot lock %s; going on without a lock", parent)
        with _held_guard:
            _held[key] = [fd, 1]
        try:
            yield
        finally:
            with _held_guard:
                del _held[key]
    finally:
        os.close(fd)  # closing releases the lock


# --- process liveness -------------------------------------------------------------------
# Swap folders are named after their process: ``.NAME.tmp-OWNER-XXXX`` and ``.NAME.old-OWNER``,
# OWNER = ``PID_START`` (START: the process start time in clock ticks, from /proc, so a PID
# reused by another process is not mistaken for the writer) or ``PID`` where /proc is absent.
def _start_time(pid: int) -> str | None:
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat_line.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None  # field 22 of stat(5), after pid and comm


def _owner() -> str:
    start = _start_time(os.getpid())
    return f"{os.getpid()}_{start}" if start else str(os.getpid())


def _owner_of(name: str, tag: str) -> tuple[int, str | None] | None:
    """(pid, start time or None) from a swap folder's name; None if it names no process."""
    rest = name.split(tag, 1)[1] if tag in name else ""
    pid, _, start = rest.split("-", 1)[0].partition("_")
    return (int(pid), start or None) if pid.isdigit() else None


def _alive(owner: tuple[int, str | None]) -> bool:
    pid, start = owner
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but not ours to signal
        pass
    now = _start_time(pid)
    return start is None or now is None or now == start


# --- the swap -----------------------------------------------------------------------------
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _checkpoint(step: str) -> None:
    """A named point of the swap. Does nothing; the crash tests kill the process here."""


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EXDEV, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _carry(src: Path, dst: Path, keep: Iterable[str]) -> list[str]:
    """Move into ``dst`` the entries of ``src`` that must outlive it: ``keep`` names and anything
    ``src``'s marker does not list (the user's). A name clash stops the swap before any move."""
    listed = _listed(src)
    moving = [p for p in sorted(src.iterdir())
              if p.name in set(keep) or (listed is not None and p.name not in listed)]
    clash = [p.name for p in moving if (dst / p.name).exists() and p.name not in set(keep)]
    if clash:
        raise DestinationError(f"{src}: holds {', '.join(clash)}, which driftflag did not write and the "
                               "new output would replace; move them away (nothing was written)")
    moved = []
    for p in moving:
        if p.name in set(keep) and (dst / p.name).exists():
            shutil.rmtree(dst / p.name) if (dst / p.name).is_dir() else (dst / p.name).unlink()
        os.rename(p, dst / p.name)
        moved.append(p.name)
    return moved


def replace_dir(src: Path, dest: Path, *, keep: Iterable[str] = ()) -> None:
    """Swap folder ``src`` (built beside ``dest``) in as ``dest``.

    The old ``dest``'s ``keep`` entries and the entries its marker does not list are moved into
    ``src`` first; then one atomic exchange (or two renames), then the old folder is removed.
    """
    src, dest = Path(src), Path(dest)
    keep = tuple(keep)
    if not dest.exists() and not dest.is_symlink():
        os.rename(src, dest)
        return
    if dest.is_dir() and not dest.is_symlink() and marker_of(dest) is None and not any(dest.iterdir()):
        os.rmdir(dest)  # empty and not ours: removing it loses nothing
        os.rename(src, dest)
        return
    _carry(dest, src, keep)
    _checkpoint("carried")
    if _exchange(src, dest):
        try:
            _checkpoint("exchanged")
        finally:
            _remove_ours(src)  # now the old folder, emptied of everything not ours
        return
    old = dest.with_name(f".{dest.name}.old-{_owner()}")
    os.rename(dest, old)
    try:
        _checkpoint("moved-old")
        os.rename(src, dest)
    except BaseException:
        _return_moved(src, old)
        os.rename(old, dest)  # put the previous complete folder back
        raise
    try:
        _checkpoint("renamed-new")
    finally:
        _remove_ours(old)


def _remove_ours(folder: Path, *, ignore_errors: bool = False) -> None:
    """Remove a folder driftflag made, its marker last: a run killed half-way leaves a folder
    still marked as driftflag's, which the next run's :func:`recover` finishes removing."""
    try:
        for p in sorted(folder.iterdir()):
            if p.name not in MARKERS:
                shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
                _checkpoint("removing")
        for name in MARKERS:
            with contextlib.suppress(FileNotFoundError):
                (folder / name).unlink()
        folder.rmdir()
    except OSError:
        if not ignore_errors:
            raise


@contextlib.contextmanager
def staged_dir(dest: Path, *, kind: str = "output", inputs: Iterable[Path] = (),
               legacy: Iterable[str] | None = None, keep: Iterable[str] = (),
               created: datetime | str | None = None) -> Iterator[Path]:
    """Yield a fresh folder beside ``dest``; on success it replaces ``dest`` and is marked.

    ``kind`` names the output (``store``, ``worklist``, ``monitor`` ...); ``inputs`` are the
    run's input paths, never to be replaced; ``legacy`` names what a ``kind`` folder written
    before markers existed holds (the first name must be there, nothing else may be); ``keep``
    names entries of the old folder carried into the new one (a store's ``records/``). On any exception the staging folder is removed and
    ``dest`` is untouched. :class:`DestinationError` is raised before any work if ``dest`` is not
    driftflag's to replace.
    """
    dest = Path(dest)
    inputs = [Path(p) for p in inputs]
    keep = tuple(keep)
    for message in recover(dest):
        logger.warning("%s", message)
    check_destination(dest, kind, inputs=inputs, legacy=legacy)  # refuse before any work
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-{_owner()}-", dir=dest.parent))
    swapping = False
    try:
        os.chmod(tmp, _mode(0o777))
        write_marker(tmp, kind, contents=(), staging=True)
        yield tmp
        with folder_lock(dest):
            check_destination(dest, kind, inputs=inputs, legacy=legacy)  # nothing changed meanwhile
            if dest.is_dir() and marker_of(dest) is None and _unexpected(dest, legacy) == []:
                write_marker(dest, kind)  # an output of an older driftflag: mark it (all of it is ours)
            write_marker(tmp, kind, contents=[*(p.name for p in tmp.iterdir() if p.name not in MARKERS),
                                              *keep], created=created, **({"keep": list(keep)} if keep else {}))
            swapping = True
            replace_dir(tmp, dest, keep=keep)
    except BaseException:
        if tmp.exists():
            with folder_lock(dest):
                if swapping and dest.is_dir():
                    _return_moved(tmp, dest)
                if swapping and _holds_theirs(tmp):
                    logger.warning("left %s: it holds entries moved out of %s; move them back yourself",
                                   tmp, dest)
                else:
                    _remove_ours(tmp, ignore_errors=True)
        raise


# --- recovery -----------------------------------------------------------------------------
def _theirs(src: Path) -> list[Path]:
    """Entries of a swap folder that came from the destination: its ``keep`` names and anything
    its (final) marker does not list. A staging folder (marker ``staging``) holds none."""
    m = marker_of(src)
    if m is None or m.get("staging"):
        return []
    keep = {str(x) for x in m.get("keep", [])}
    listed = _listed(src) or set()
    return [p for p in sorted(src.iterdir())
            if p.name not in MARKERS and (p.name in keep or p.name not in listed)]


def _holds_theirs(src: Path) -> bool:
    return bool(_theirs(src))


def _return_moved(src: Path, dest: Path) -> list[str]:
    """Move back into ``dest`` the entries an interrupted swap had moved from it into ``src``."""
    back = []
    for p in _theirs(src):
        if not (dest / p.name).exists():
            os.rename(p, dest / p.name)
            back.append(p.name)
    return back


def _holds_unreturned(src: Path, dest: Path) -> list[str]:
    return [p.name for p in _theirs(src) if (dest / p.name).exists()]


def _is_empty(folder: Path) -> bool:
    return folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir())


def recover(dest: Path) -> list[str]:
    """Finish or undo interrupted swaps of ``dest``; return one line per thing done.

    * ``dest`` missing and ``.NAME.old-PID`` of a dead process there: the old folder is put back
      (with any entries the swap had moved into its staging folder);
    * ``.NAME.old-PID`` / ``.NAME.tmp-PID-*`` of a dead process carrying a driftflag marker: the
      entries moved out of ``dest`` are returned, then the leftover is removed;
    * anything else (a live process's folder, a folder without a marker) is left and named.
    """
    dest = Path(dest)
    parent = dest.parent
    if not parent.is_dir():
        return []
    prefixes = (f".{dest.name}.old-", f".{dest.name}.tmp-")
    with os.scandir(parent) as it:
        if not any(e.name.startswith(prefixes) for e in it):
            return []
    with folder_lock(dest):
        try:
            return _recover(dest)
        except OSError as e:  # another process changed the folder under us: say so, go on
            return [f"could not finish recovering {dest} ({e.strerror or e}); it will be retried next run"]


def _recover(dest: Path) -> list[str]:
    parent = dest.parent
    done: list[str] = []
    old_tag, tmp_tag = f".{dest.name}.old-", f".{dest.name}.tmp-"
    olds, tmps = [], []
    with os.scandir(parent) as it:
        for e in it:
            if e.name.startswith(old_tag):
                olds.append(Path(e.path))
            elif e.name.startswith(tmp_tag):
                tmps.append(Path(e.path))
    if not olds and not tmps:
        return []

    def dead(p: Path, tag: str) -> bool:
        owner = _owner_of(p.name, tag)
        return owner is not None and not _alive(owner)

    for old in sorted(olds, key=lambda p: p.stat().st_mtime, reverse=True):
        if not dead(old, old_tag):
            owner = _owner_of(old.name, old_tag)
            done.append(f"left {old.name}: process {owner[0] if owner else '?'} is still running")
            continue
        if _is_empty(old):
            old.rmdir()  # a leftover emptied by an interrupted clean-up: nothing to lose
            done.append(f"removed the empty {old.name}")
            continue
        if marker_of(old) is None and not (old / "manifest.json").exists():
            done.append(f"left {old}: it carries no driftflag marker; look at it and remove it yourself")
            continue
        owner = _owner_of(old.name, old_tag)
        if not dest.exists():
            for t in tmps:
                if _owner_of(t.name, tmp_tag) == owner and t.exists():
                    _return_moved(t, old)
            os.rename(old, dest)
            done.append(f"restored {dest} from {old.name} (a run was interrupted while swapping it in)")
            continue
        back = _return_moved(old, dest)
        stuck = _holds_unreturned(old, dest)
        if stuck:
            done.append(f"left {old}: it holds {', '.join(sorted(stuck))}, also in {dest}; compare and "
                        "remove it yourself")
            continue
        _remove_ours(old)
        done.append(f"removed {old.name} left by an interrupted run"
                    + (f" (moved {', '.join(back)} back into {dest.name})" if back else ""))
    for t in tmps:
        if not t.exists():
            continue
        if not dead(t, tmp_tag):
            if _owner_of(t.name, tmp_tag) is None:
                done.append(f"left {t}: a staging folder of an older driftflag without a process id; "
                            "remove it yourself if no run is writing there")
            continue
        if _is_empty(t):
            t.rmdir()
            done.append(f"removed the empty {t.name}")
            continue
        if marker_of(t) is None:
            done.append(f"left {t}: it carries no driftflag marker; remove it yourself")
            continue
        back = _return_moved(t, dest) if dest.is_dir() else []
        stuck = _holds_unreturned(t, dest) if dest.is_dir() else []
        if stuck or (not dest.is_dir() and _holds_theirs(t)):
            done.append(f"left {t}: it holds {', '.join(stuck) or 'entries'} moved out of {dest}; compare "
                        "and move them back yourself")
            continue
        _remove_ours(t)
        done.append(f"removed {t.name}, the unfinished folder of an interrupted run"
                    + (f" (moved {', '.join(back)} back into {dest.name})" if back else ""))
    return done


# --- single files -------------------------------------------------------------------------
def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write a file via a temporary sibling and ``os.replace``.

    The file gets the permissions an ordinary ``open()`` would give it: those of the file it
    replaces, else ``0666`` less the umask (``mkstemp`` alone would make it 0600).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = _mode(0o666)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_new_file(path: Path, data: bytes) -> bool:
    """Create ``path`` with ``data`` only if it does not exist yet (False if it does).

    Written to a temporary sibling, then hard-linked to its name, which fails rather than
    replaces: two runs appending at once can never overwrite each other's file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode(0o666))
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError:  # a filesystem without hard links
            if path.exists():
                return False
            os.rename(tmp, path)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
