"""Messages to the user on stderr: warnings, errors, colour rules; listings in columns."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Callable, Optional

PROG = "shellsso"
"""The name messages start with: `awsuse` while the awsuse back end runs."""


def terminal_at(*streams: object) -> bool:
    """True when each stream is a terminal (a closed or missing one is none)."""
    try:
        return all(bool(getattr(stream, "isatty", bool)()) for stream in streams)
    except ValueError:  # a closed file
        return False


def use_color(stream: object = None) -> bool:
    """Colour only on a terminal and never when NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    return terminal_at(stream if stream is not None else sys.stderr)


def columns(rows: list[list[str]], limit: Optional[int] = 40) -> list[str]:
    """Rows as aligned columns, two spaces apart: every listing of profiles prints so.

    A column empty in every row is left out; an empty cell elsewhere shows as
    `-`. A cell longer than `limit` overflows its own line only, so that one
    long name does not push every other line to the right.
    """
    kept = [i for i in range(len(rows[0])) if any(row[i] for row in rows)] if rows else []
    table = [[row[i] or "-" for i in kept] for row in rows]
    widest = [max(len(row[i]) for row in table) for i in range(len(kept))]
    widths = widest if limit is None else [min(width, limit) for width in widest]
    return ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
            for row in table]


def close_names(word: str, names: Iterable[str]) -> list[str]:
    """Up to three of `names` that `word` may be a typo of, closest first."""
    import difflib

    return difflib.get_close_matches(word, list(names), n=3, cutoff=0.6)


def did_you_mean(word: str, names: Iterable[str]) -> str:
    """` (did you mean: a, b?)` after a name that is not there, or nothing."""
    close = close_names(word, names)
    return f" (did you mean: {', '.join(close)}?)" if close else ""


def counted(count: int, word: str) -> str:
    """`1 warning`, `2 warnings`: a count and its noun, plural when it is not one."""
    return f"{count} {word}" + ("" if count == 1 else "s")


_warned: set[str] = set()


def _line(message: str) -> str:
    """A message as one line a terminal shows as text: names from files and answers from
    endpoints may hold escapes, and an endpoint may quote a secret it was sent."""
    from shellsso.core.safety import shown

    return shown(message)


def warn(message: str) -> None:
    """One warning line on stderr, once per process however often the cause is met.

    A corrupt cache file is read by several layers in one command; the user
    needs to hear about it once.
    """
    if message in _warned:
        return
    _warned.add(message)
    sys.stderr.write(f"{PROG}: warning: {_line(message)}\n")
    sys.stderr.flush()


def error(message: str) -> None:
    """One error line on stderr."""
    sys.stderr.write(f"{PROG}: error: {_line(message)}\n")
    sys.stderr.flush()


def info(message: str) -> None:
    """Progress text for people; on stderr so that stdout stays machine-readable.

    Line breaks are kept; other control characters (from config names or a
    portal's answer) are shown as `?`, and secrets as `<hidden>`.
    """
    sys.stderr.write("\n".join(_line(line) for line in message.split("\n")) + "\n")
    sys.stderr.flush()


def guarded(command: Callable[[], int], debug: bool, details_hint: str) -> int:
    """Run a command the way users must meet failures: one line, never a traceback.

    A ShellssoError prints its message and exits with its status; Ctrl-C exits
    130; anything unexpected is one line naming it and `details_hint` (how to
    see the traceback). With `debug`, errors propagate with their traceback.
    """
    from shellsso.core.errors import ExitStatus, ShellssoError

    try:
        return command()
    except ShellssoError as exc:
        if not exc.message:  # a quiet exit, such as a picker left with Esc
            return exc.status
        if debug:
            raise
        error(exc.message)
        return exc.status
    except KeyboardInterrupt:
        if debug:
            raise
        sys.stderr.write(f"\n{PROG}: interrupted\n")
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        return ExitStatus.ERROR
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if debug:
            raise
        error(f"unexpected {type(exc).__name__}: {exc} ({details_hint})")
        return ExitStatus.ERROR
