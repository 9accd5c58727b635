"""Safe file primitives: atomic JSON writes, tolerant reads, advisory locks.

Cache folders are 0700 and files 0600. A write goes to a temp file in the same
folder, is fsync'ed and renamed over the target, so a reader (shellsso, the
AWS CLI or botocore) sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import os

from shellsso.output import warn

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional


def ensure_private_dir(path: str) -> None:
    """A folder only the user controls: created 0700, or checked (trust.private_folder)."""
    from shellsso.trust import private_folder

    private_folder(path)


def write_atomic(path: str, data: bytes) -> None:
    """Replace `path` with `data` atomically; the file ends up 0600."""
    import tempfile

    folder = os.path.dirname(path) or "."
    ensure_private_dir(folder)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".shellsso-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        remove(tmp)
        raise


def write_json(path: str, obj: Any, dumps: Optional[Callable[[Any], str]] = None) -> None:
    """Write JSON atomically, serialised as the AWS CLI does (default separators)."""
    if dumps is None:
        import json

        dumps = json.dumps
    write_atomic(path, dumps(obj).encode("utf-8"))


def read_json(path: str, what: str = "cache file") -> Optional[dict[str, Any]]:
    """The JSON object in `path`; None when absent, and None with a warning when corrupt.

    A truncated, empty or non-object file must never crash a command: it counts
    as missing, and the next write replaces it; so does a FIFO, a device, a file
    over 1 MB or JSON nested too deep. A file or folder that someone else
    controls is refused (trust.UntrustedPath, one line naming it and the fix).
    """
    from shellsso.trust import read_cache_file

    raw, problem = read_cache_file(path, what)  # refuses a file or folder others control
    if raw is None:
        if problem:
            warn(f"ignoring {what} {path}: it {problem}")
        return None
    from shellsso.fastpath import json_loads

    try:
        data = json_loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        warn(f"ignoring corrupt {what} {path} (not valid JSON)")
        return None
    if not isinstance(data, dict):
        warn(f"ignoring corrupt {what} {path} (not a JSON object)")
        return None
    return data


def remove(path: str) -> bool:
    """Delete a file if it exists; True when something was removed."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


class locked:  # noqa: N801 - used like a function: `with locked(path):`
    """Hold an exclusive advisory lock on `path` (created 0600) for the block.

    Serialises writers across processes: twenty shells refreshing the same
    session take turns, and the later ones find the first one's result.
    `waiting` is said (on stderr) only when another process holds the lock.
    """

    def __init__(self, path: str, waiting: Optional[str] = None) -> None:
        self.path = path
        self.waiting = waiting
        self.fd = -1

    def __enter__(self) -> None:
        import fcntl

        ensure_private_dir(os.path.dirname(self.path) or ".")
        # O_NOFOLLOW: a symlink planted in place of a lock file is never followed.
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                              0o600)
        except OSError as exc:
            from shellsso.trust import refuse_link

            raise refuse_link("lock file", self.path, exc) from None
        try:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if self.waiting:
                    from shellsso.output import info

                    info(self.waiting)
                fcntl.flock(self.fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(self.fd)
            raise

    def __exit__(self, *exc: object) -> None:
        import fcntl

        try:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        except OSError:
            pass
        os.close(self.fd)
