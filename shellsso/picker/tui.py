"""The picker on the terminal: a query line and a few rows below it, never full-screen.

It reads keys from and draws on /dev/tty, so it works where stdout is a pipe,
as inside the awsuse function, whose output the shell captures for eval. On
exit the rows and the query line are erased and the terminal modes restored,
whatever happened.

Keys: text filters; Backspace, Ctrl-U (clear), Ctrl-W (word); Up/Down,
Ctrl-P/Ctrl-N, PgUp/PgDn move; Enter picks; Esc, Ctrl-C, Ctrl-G (or Ctrl-D on
an empty query) leave.
"""

from __future__ import annotations

import os

from shellsso.core.errors import ExitStatus, ShellssoError
from shellsso.core.safety import visible
from shellsso.picker.rows import Entry, Filter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

MAX_ROWS = 12
ESC_WAIT = 0.05  # seconds: an Esc followed by nothing within this is the Esc key
CANCEL = "cancel"
INTERRUPT = "interrupt"

_KEYS = {
    "\x1b[A": "up", "\x1bOA": "up", "\x10": "up",
    "\x1b[B": "down", "\x1bOB": "down", "\x0e": "down",
    "\x1b[5~": "pgup", "\x1b[6~": "pgdn",
    "\r": "enter", "\n": "enter",
    "\x1b": CANCEL, "\x07": CANCEL, "\x03": INTERRUPT,
    "\x7f": "backspace", "\x08": "backspace", "\x15": "clear", "\x17": "word",
    "\x04": "eof",
}


class Cancelled(ShellssoError):
    """No profile chosen: no message, and the shell stays as it was."""

    def __init__(self, status: int = ExitStatus.ERROR) -> None:
        super().__init__("", status)


def char_width(ch: str) -> int:
    """Columns a character takes (East Asian wide: 2, combining: 0)."""
    if ch < "\u0300":
        return 1
    import unicodedata

    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def fit(text: str, width: int) -> str:
    """`text` cut to `width` columns, so that no line wraps (wrapping breaks the redraw)."""
    if text.isascii():
        return text[:width]
    used = 0
    for i, ch in enumerate(text):
        used += char_width(ch)
        if used > width:
            return text[:i]
    return text


def pad(text: str, width: int) -> str:
    """`text` padded with spaces to `width` columns."""
    used = len(text) if text.isascii() else sum(char_width(ch) for ch in text)
    return text + " " * (width - used)


class Layout:
    """Column widths computed once over every row, so columns do not jump as the list narrows."""

    def __init__(self, rows: Sequence[Entry]) -> None:
        # Lengths of the raw fields: visible() keeps them, and this runs over every row.
        # No width limit, as `shellsso list`: a long name (populate's reach 45
        # characters) pushes the columns right on every line alike, and fit()
        # cuts the lines at the terminal's width.
        self.widths = [max(map(len, column), default=0) for column in (
            [row.name for row in rows], [row.account for row in rows],
            [row.account_name for row in rows], [row.role for row in rows],
            [row.region for row in rows])]

    def line(self, entry: Entry) -> str:
        """The row's text, columns two spaces apart; empty columns shown as `-`."""
        parts = []
        for width, cell in zip(self.widths, entry.cells()):
            if width:
                parts.append(pad(cell or "-", width))
        return "  ".join(parts).rstrip()


class Screen:
    """The state of one picker: query, filtered rows, selection, scroll offset."""

    def __init__(self, rows: Sequence[Entry], query: str = "", height: int = MAX_ROWS) -> None:
        self.rows = rows
        self.filter = Filter(rows)
        self.query = query
        self.height = height
        self.shown = self.filter(query)
        self.selected = 0
        self.offset = 0

    def set_query(self, query: str) -> None:
        self.query = query
        self.shown = self.filter(query)
        self.selected = 0
        self.offset = 0

    def move(self, delta: int) -> None:
        if not self.shown:
            return
        self.selected = max(0, min(len(self.shown) - 1, self.selected + delta))
        if self.selected < self.offset:
            self.offset = self.selected
        elif self.selected >= self.offset + self.height:
            self.offset = self.selected - self.height + 1

    def key(self, key: str) -> str | None:
        """Apply one key; returns `enter`, CANCEL or INTERRUPT when the picker ends."""
        if key == "up":
            self.move(-1)
        elif key == "down":
            self.move(1)
        elif key == "pgup":
            self.move(-self.height)
        elif key == "pgdn":
            self.move(self.height)
        elif key == "backspace":
            self.set_query(self.query[:-1])
        elif key == "clear":
            self.set_query("")
        elif key == "word":
            kept = self.query.rstrip()
            self.set_query(kept[:kept.rfind(" ") + 1])
        elif key == "eof":
            if not self.query:
                return CANCEL
        elif key == "enter":
            if self.shown:
                return "enter"
        elif key in (CANCEL, INTERRUPT):
            return key
        elif key.startswith("text:"):
            self.set_query(self.query + key[5:])
        return None

    def choice(self) -> Entry | None:
        return self.shown[self.selected] if self.shown else None

    def frame(self, width: int, layout: Layout, color: bool) -> tuple[str, int, int]:
        """(text, lines below the query line, cursor column): one redraw from the query line."""
        out = ["\x1b[?25l\r\x1b[J"]
        prompt = "> " + visible(self.query)
        out.append(fit(prompt, width - 1))
        info = f"  {len(self.shown)}/{len(self.rows)}"
        out.append("\r\n" + (f"\x1b[2m{info}\x1b[0m" if color else info))
        rows = self.shown[self.offset:self.offset + self.height]
        for i, entry in enumerate(rows, self.offset):
            mark = ("> " if i == self.selected else "  ") + ("* " if entry.active else "  ")
            text = fit(mark + layout.line(entry), width - 1)
            if color and i == self.selected:
                text = f"\x1b[7m{text}\x1b[0m"
            out.append("\r\n" + text)
        below = 1 + len(rows)
        column = min(len(prompt) if prompt.isascii() else sum(map(char_width, prompt)), width - 1)
        out.append(f"\x1b[{below}A\r" + (f"\x1b[{column}C" if column else "") + "\x1b[?25h")
        return "".join(out), below, column


class Terminal:
    """/dev/tty in raw mode for the duration of a `with` block."""

    def __init__(self) -> None:
        from shellsso.core.errors import ShellssoError

        try:
            self.fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
        except OSError:
            raise ShellssoError("the picker needs a terminal (no /dev/tty)") from None
        self.saved: list[Any] | None = None
        import codecs

        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.pending = ""

    def __enter__(self) -> Terminal:
        import termios

        try:
            self.saved = termios.tcgetattr(self.fd)
        except termios.error:
            os.close(self.fd)
            from shellsso.core.errors import ShellssoError

            raise ShellssoError("the picker needs a terminal (/dev/tty is not one)") from None
        mode = termios.tcgetattr(self.fd)
        mode[0] &= ~(termios.IXON | termios.ICRNL | termios.INLCR | termios.ISTRIP)
        mode[3] &= ~(termios.ICANON | termios.ECHO | termios.ISIG | termios.IEXTEN)
        mode[6][termios.VMIN] = 1
        mode[6][termios.VTIME] = 0
        termios.tcsetattr(self.fd, termios.TCSANOW, mode)
        return self

    def __exit__(self, *exc: object) -> None:
        import termios

        try:
            if self.saved is not None:
                termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
        finally:
            os.close(self.fd)

    def size(self) -> tuple[int, int]:
        """(columns, lines), 80x24 when the terminal does not say."""
        try:
            size = os.get_terminal_size(self.fd)
            return size.columns or 80, size.lines or 24
        except OSError:
            return 80, 24

    def write(self, text: str) -> None:
        data = text.encode("utf-8", "replace")
        while data:
            data = data[os.write(self.fd, data):]

    def _more(self, timeout: float | None) -> str | None:
        """Text typed within `timeout` ("" if none); None once the terminal has gone."""
        import select

        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return ""
        try:
            data = os.read(self.fd, 4096)
        except OSError:  # EIO: the terminal hung up
            return None
        return self.decoder.decode(data) if data else None

    def read_keys(self) -> list[str]:
        """The next keys typed: names from _KEYS, or `text:...` for printable text."""
        while not self.pending:
            more = self._more(None)
            if more is None:
                return [CANCEL]
            self.pending = more
        if self.pending == "\x1b":
            # A lone Esc, or the start of a sequence whose rest is on its way.
            self.pending += self._more(ESC_WAIT) or ""
        text = self.pending
        self.pending = ""
        return parse_keys(text)


def parse_keys(text: str) -> list[str]:
    """Keys in typed text: names from _KEYS, `text:C` for a printable character.

    A sequence this picker does not use (F-keys, Home, modifiers) is skipped
    whole; an Esc that starts no sequence is the Esc key.
    """
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\x1b":
            for length in (4, 3):
                if text[i:i + length] in _KEYS:
                    out.append(_KEYS[text[i:i + length]])
                    i += length
                    break
            else:
                if text[i + 1:i + 2] in ("[", "O"):
                    j = i + 2
                    while j < len(text) and not ("@" <= text[j] <= "~"):
                        j += 1
                    i = j + 1
                else:
                    out.append(CANCEL)
                    i += 1
            continue
        if ch in _KEYS:
            out.append(_KEYS[ch])
        elif ch.isprintable():
            out.append("text:" + ch)
        i += 1
    return out


def run(rows: Sequence[Entry], query: str = "", color: bool = True) -> tuple[str, Entry | None]:
    """Show the picker until Enter (`enter`, the entry), Esc (CANCEL) or Ctrl-C (INTERRUPT)."""
    with Terminal() as term:
        width, lines = term.size()
        height = max(1, min(MAX_ROWS, len(rows), lines - 3))
        screen = Screen(rows, query, height)
        layout = Layout(rows)
        # Room below the cursor for the rows (the terminal scrolls if needed), then back up.
        term.write("\r" + "\n" * (height + 1) + f"\x1b[{height + 1}A")
        outcome: str | None = None
        try:
            while outcome is None:
                text, _, _ = screen.frame(width, layout, color)
                term.write(text)
                for key in term.read_keys():
                    outcome = screen.key(key)
                    if outcome is not None:
                        break
        finally:
            try:
                term.write("\r\x1b[J")  # the picker leaves nothing on the screen
            except OSError:
                pass
        return outcome, screen.choice() if outcome == "enter" else None
