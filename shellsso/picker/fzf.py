"""The picker drawn by fzf (SHELLSSO_PICKER=fzf).

fzf gets one line per row, `INDEX<TAB>columns`, shows and matches only the
columns (`--with-nth 2..`), and prints the chosen line back; the index, not
the text, says which profile it was, so a name that is odd to display still
comes back exactly. The order is ours (`--no-sort`); `--exact -i` makes each
space-separated word a case-insensitive substring, as in shellsso's picker.
"""

from __future__ import annotations

from shellsso.core.errors import ExitStatus, ShellssoError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from shellsso.picker.rows import Entry

HEIGHT = 15


def lines(rows: Sequence[Entry]) -> str:
    """fzf's input: `INDEX<TAB>* name  account  ...` per row, control characters shown as `?`."""
    from shellsso.picker.tui import Layout

    layout = Layout(rows)
    return "".join(f"{i}\t{'*' if row.active else ' '} {layout.line(row)}\n"
                   for i, row in enumerate(rows))


def run(fzf: str, rows: Sequence[Entry], query: str = "") -> str:
    """The name chosen in fzf; Cancelled on Esc or Ctrl-C (fzf 130) or no match (fzf 1)."""
    import subprocess

    from shellsso.picker.tui import Cancelled

    argv = [fzf, f"--height={HEIGHT}", "--layout=reverse", "--no-sort", "--exact", "-i",
            "--delimiter=\t", "--with-nth=2..", "--prompt=> ", f"--query={query}"]
    try:
        done = subprocess.run(argv, input=lines(rows).encode("utf-8", "replace"),
                              stdout=subprocess.PIPE, check=False)
    except OSError as exc:
        raise ShellssoError(f"cannot run {fzf}: {exc.strerror}") from None
    if done.returncode == 130:
        raise Cancelled(ExitStatus.INTERRUPTED)
    if done.returncode == 1:
        raise Cancelled()
    if done.returncode != 0:
        raise ShellssoError(f"fzf failed (exit status {done.returncode})")
    head = done.stdout.split(b"\t", 1)[0].strip()
    if not head.isdigit() or int(head) >= len(rows):
        raise ShellssoError("fzf printed no choice")
    return rows[int(head)].name
