"""Yes/no questions: one rule for what an answer means, whoever asks.

Enter takes the default that the question shows (`[Y/n]` or `[y/N]`); y or
yes, n or no say so in any case; anything else, and the end of input
(Ctrl-D, a closed terminal), is no: nobody said yes. A command that asks while
its stdout is eval'd or piped asks on stderr and reads the terminal.
"""

from __future__ import annotations

import sys

from shellsso.core.output import terminal_at

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional


def yes_or_no(answer: str, default: bool) -> Optional[bool]:
    """What an answer says: `default` for Enter, None when it is neither yes nor no."""
    word = answer.strip().lower()
    if not word:
        return default
    if word in ("y", "yes"):
        return True
    if word in ("n", "no"):
        return False
    return None


def hint(default: bool) -> str:
    """`Y/n` when Enter means yes, `y/N` when it means no."""
    return "Y/n" if default else "y/N"


def ask_yes(question: str, default: bool) -> bool:
    """Ask `question [Y/n] ` on stderr and read one line from the terminal.

    The line comes from stdin when it is a terminal, else from /dev/tty.
    What was printed on stdout so far is flushed first, so that the question
    follows it on the screen.
    """
    sys.stdout.flush()
    sys.stderr.write(f"{question} [{hint(default)}] ")
    sys.stderr.flush()
    try:
        if terminal_at(sys.stdin):
            answer = sys.stdin.readline()
        else:
            with open("/dev/tty", encoding="utf-8", errors="replace") as tty:
                answer = tty.readline()
    except OSError:
        answer = ""
    if not answer:  # the end of input: nobody there to say yes
        sys.stderr.write("\n")
        return False
    return yes_or_no(answer, default) is True
