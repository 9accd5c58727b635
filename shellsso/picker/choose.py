"""Choosing a profile interactively: `awsuse -i` and `shellsso pick`.

The rows come from the config (the packed index, no network) and the recency
history; the drawing is shellsso's own picker (picker.tui), or fzf when
SHELLSSO_PICKER=fzf and fzf is on PATH. Either way the result is a profile
name, which then goes through exactly the code `awsuse NAME` runs.

Leaving without a choice (Esc, Ctrl-G) exits 1 and prints nothing; Ctrl-C
exits 130. The shell is untouched in both cases.
"""

from __future__ import annotations

import sys

from shellsso.core.errors import ExitStatus, ShellssoError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from shellsso.picker.rows import Entry


def load_entries(env: Mapping[str, str]) -> list[Entry]:
    """Every profile, most recently used first; an error when there are none."""
    from shellsso.awsconfig.model import active_profile_name
    from shellsso.core import history
    from shellsso.picker.row_cache import load_rows
    from shellsso.picker.rows import arranged

    rows, source = load_rows()
    if not rows:
        from shellsso.awsconfig.first_run import require_config

        require_config("no profiles")  # no config at all: said as every command says it
        raise ShellssoError(f"no profiles in {source}")
    return arranged(rows, active_profile_name(env), history.ranks())


def use_fzf(env: Mapping[str, str]) -> str | None:
    """fzf's path when SHELLSSO_PICKER=fzf and it is on PATH, else None."""
    if env.get("SHELLSSO_PICKER", "").strip().lower() != "fzf":
        return None
    import shutil

    return shutil.which("fzf")


def choose(env: Mapping[str, str], query: str = "") -> str:
    """The profile name picked on the terminal; Cancelled when none was."""
    rows = load_entries(env)
    fzf = use_fzf(env)
    if fzf:
        from shellsso.picker.fzf import run as run_fzf

        return run_fzf(fzf, rows, query)
    from shellsso.core.output import use_color
    from shellsso.picker.tui import CANCEL, Cancelled, run

    color = use_color(sys.stderr) and not env.get("NO_COLOR")
    outcome, entry = run(rows, query, color=color)
    if entry is None:
        raise Cancelled(ExitStatus.ERROR if outcome == CANCEL else ExitStatus.INTERRUPTED)
    return entry.name
