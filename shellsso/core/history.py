"""Which profiles were switched to lately, for the picker's order.

`awsuse` appends one line per switch to `history` in shellsso's cache: one
open and one write of a few bytes, cheap enough for the valid-token hot path,
and an O_APPEND write of one short line is never interleaved with another
shell's. Once the file passes HISTORY_LIMIT bytes it is rewritten atomically
with each name once, most recent last. Names are escaped (`\\` and newlines)
so that every name, however odd, is exactly one line. Losing the file only
loses the order. It lives in shellsso's cache folder and is written and read
only while that folder is the user's alone (cache_folder.own_cache), never through a
symlink, and read only when it is the user's regular file.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

HISTORY_LIMIT = 32 * 1024
KEEP = 500


def history_path() -> str:
    """`$XDG_CACHE_HOME/shellsso/history`."""
    from shellsso.core.paths import own_cache_dir

    return os.path.join(own_cache_dir(), "history")


def _escape(name: str) -> str:
    return name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def _unescape(line: str) -> str:
    if "\\" not in line:
        return line
    out: list[str] = []
    items = iter(line)
    for char in items:
        if char == "\\":
            char = {"n": "\n", "r": "\r"}.get(following := next(items, ""), following)
        out.append(char)
    return "".join(out)


def _encode(names: Iterable[str]) -> bytes:
    return "".join(_escape(name) + "\n" for name in names).encode("utf-8", "surrogateescape")


WHAT = "picker history"
# O_NOFOLLOW: a symlink in place of the file is refused, never appended to;
# O_NONBLOCK: a FIFO there fails at once instead of hanging awsuse.
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def record(name: str) -> None:
    """Note a switch to `name` (best effort: a read-only or refused cache only loses the order)."""
    from shellsso.core.cache_folder import own_cache

    if own_cache(create=True) is None:
        return
    path = history_path()
    try:
        fd = os.open(path, _APPEND, 0o600)
    except OSError as exc:
        _refuse(path, exc)
        return
    try:
        if _writable(fd, path):
            os.write(fd, _encode([name]))
            if os.fstat(fd).st_size > HISTORY_LIMIT:
                compact(path)
    except OSError:
        pass
    finally:
        os.close(fd)


def _refuse(path: str, exc: OSError) -> None:
    """Warn about a symlink in place of the file; other failures only lose the order."""
    from shellsso.core.trust import UntrustedPath, refuse_link

    refused = refuse_link(WHAT, path, exc)
    if isinstance(refused, UntrustedPath):
        from shellsso.core.output import warn

        warn(refused.message)


def _writable(fd: int, path: str) -> bool:
    """The opened file is a regular file of the user's alone (warned otherwise)."""
    import stat

    from shellsso.core.output import warn
    from shellsso.core.trust import problem, refusal

    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        warn(f"ignoring {WHAT} {path}: it is not a regular file")
        return False
    why = problem(info)
    if why is not None:
        warn(refusal(WHAT, path, why, folder=False).message)
        return False
    return True


def read(path: str | None = None) -> list[str]:
    """Names from the oldest switch to the latest, each once (at its latest place)."""
    from shellsso.core.cache_folder import read_own_cache

    data = read_own_cache(path or history_path(), WHAT)
    if data is None:
        return []
    lines = data.decode("utf-8", "surrogateescape").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    # dict keeps insertion order: pop and re-insert moves a name to its latest place.
    latest: dict[str, None] = {}
    for line in lines:
        name = _unescape(line)
        if name:
            latest.pop(name, None)
            latest[name] = None
    return list(latest)


def ranks(path: str | None = None) -> dict[str, int]:
    """name -> 0 for the latest switch, 1 for the one before, and so on."""
    names = read(path)
    return {name: len(names) - 1 - i for i, name in enumerate(names)}


def compact(path: str | None = None) -> None:
    """Rewrite the file with each name once, the KEEP most recent, atomically."""
    from shellsso.core.cache_folder import write_own_cache

    target = path or history_path()
    write_own_cache(target, _encode(read(target)[-KEEP:]))
