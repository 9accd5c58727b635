"""Which profiles were switched to lately, for the picker's order.

`awsuse` appends one line per switch to `history` in shellsso's cache: one
open and one write of a few bytes, cheap enough for the valid-token hot path,
and an O_APPEND write of one short line is never interleaved with another
shell's. Once the file passes HISTORY_LIMIT bytes it is rewritten atomically
with each name once, most recent last. Names are escaped (`\\` and newlines)
so that every name, however odd, is exactly one line. Losing the file only
loses the order.
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
    from shellsso.paths import own_cache_dir

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


def record(name: str) -> None:
    """Note a switch to `name` (best effort: a read-only cache only loses the order)."""
    path = history_path()
    data = _encode([name])
    try:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except FileNotFoundError:
            from shellsso.files import ensure_private_dir

            ensure_private_dir(os.path.dirname(path))
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if size > HISTORY_LIMIT:
            compact(path)
    except OSError:
        pass


def read(path: str | None = None) -> list[str]:
    """Names from the oldest switch to the latest, each once (at its latest place)."""
    try:
        with open(path or history_path(), "rb") as handle:
            text = handle.read().decode("utf-8", "surrogateescape")
    except OSError:
        return []
    lines = text.split("\n")
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
    from shellsso.files import write_atomic

    target = path or history_path()
    write_atomic(target, _encode(read(target)[-KEEP:]))
