"""Safe file primitives: atomic JSON writes, tolerant reads, advisory locks.

Cache folders are 0700 and files 0600. A write goes to a temp file in the same
folder, is fsync'ed and renamed over the target, so a reader (shellsso, the
AWS CLI or botocore) sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import os

from shellsso.core.output import warn

# Temp files are `.shellsso-<pid>-<random>.tmp`: never `<key>.json`, the only name
# botocore and the AWS CLI look up or sweep, and the pid tells a killed writer's
# leftover from a write in progress.
TEMP_PREFIX = ".shellsso-"
TEMP_SUFFIX = ".tmp"
STALE_TEMP_AGE = 60  # seconds: no write takes this long, whatever its pid says

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional


def ensure_private_dir(path: str) -> None:
    """A folder only the user controls: created 0700, or checked (trust.private_folder)."""
    from shellsso.core.trust import private_folder

    private_folder(path)


def write_atomic(path: str, data: bytes) -> None:
    """Replace `path` with `data` atomically; the file ends up 0600."""
    folder = os.path.dirname(path) or "."
    ensure_private_dir(folder)
    from shellsso.core import paths
    # A kill may have hit a write in the other AWS cache folder: sweep both.
    aws = (paths.sso_cache_dir(), paths.cli_cache_dir())
    for swept in aws if folder in aws else (folder,):
        sweep_temp_files(swept)
    replace_file(path, data, 0o600)


def replace_file(path: str, data: bytes, mode: int) -> None:
    """Put `data` at `path` through a temp file in its folder: fsync, chmod, rename.

    The temp file is created with O_EXCL and O_NOFOLLOW (a planted link is
    never written through) and named for `sweep_temp_files`; the rename
    replaces whatever `path` is, a symlink included, without following it.
    The caller has checked the folder.
    """
    import tempfile

    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f"{TEMP_PREFIX}{os.getpid()}-",
                               suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), mode)
        os.replace(tmp, path)
    except BaseException:
        remove(tmp)
        raise


def _writer_alive(name: str) -> bool:
    """Might the process that named this temp file still be writing it?"""
    pid_text = name[len(TEMP_PREFIX):].split("-", 1)[0]
    if not (pid_text.isascii() and pid_text.isdigit()):
        return True  # a name from before the pid was part of it: age alone decides
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists (EPERM)
    return True


def sweep_temp_files(folder: str) -> int:
    """Remove the temp files a killed write left in `folder`; how many were removed.

    A kill -9 between the temp file and the rename leaves a copy of a token or
    of credentials behind. The next write (or logout) removes it: at once when
    its writer is gone, after a minute in any case (a pid reused, another host).
    """
    import time

    try:
        names = [n for n in os.listdir(folder)
                 if n.startswith(TEMP_PREFIX) and n.endswith(TEMP_SUFFIX)]
    except OSError:
        return 0
    removed = 0
    now = time.time()
    for name in names:
        path = os.path.join(folder, name)
        try:
            age = now - os.lstat(path).st_mtime
        except OSError:
            continue
        if age > STALE_TEMP_AGE or not _writer_alive(name):
            try:
                removed += remove(path)
            except OSError:
                pass
    return removed


def write_json(path: str, obj: Any, dumps: Optional[Callable[[Any], str]] = None) -> None:
    """Write JSON atomically, serialised as the AWS CLI does (default separators)."""
    if dumps is None:
        import json

        dumps = json.dumps
    write_atomic(path, dumps(obj).encode("utf-8"))


NOT_JSON = "is not valid JSON"
NOT_OBJECT = "is not a JSON object"


def read_json_object(path: str, what: str) -> tuple[Optional[dict[str, Any]], Optional[str]]:
    """(object, None); (None, None) when absent; (None, why) when it is no JSON object.

    `why` completes `the file ...`: NOT_JSON, NOT_OBJECT, or what
    trust.read_cache_file says of a FIFO, a device or a file over 1 MB. The
    text is UTF-8, as botocore reads it: a BOM or UTF-16 is no cache entry for
    it either. A file or folder that someone else controls is refused
    (trust.UntrustedPath, one line naming it and the fix).
    """
    from shellsso.core.trust import read_cache_file

    raw, problem = read_cache_file(path, what)
    if raw is None:
        return None, problem
    from shellsso.core.fast_stdlib import json_loads

    try:
        data = json_loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, NOT_JSON
    if not isinstance(data, dict):
        return None, NOT_OBJECT
    return data, None


def read_json(path: str, what: str = "cache file") -> Optional[dict[str, Any]]:
    """The JSON object in `path`; None when absent, and None with a warning when corrupt.

    A truncated, empty or non-object file must never crash a command: it counts
    as missing, and the next write replaces it; so does a FIFO, a device, a file
    over 1 MB or JSON nested too deep (read_json_object).
    """
    data, problem = read_json_object(path, what)
    if problem in (NOT_JSON, NOT_OBJECT):
        warn(f"ignoring corrupt {what} {path} ({problem[len('is '):]})")
    elif problem is not None:
        warn(f"ignoring {what} {path}: it {problem}")
    return data


def remove(path: str) -> bool:
    """Delete a file if it exists; True when something was removed."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True
