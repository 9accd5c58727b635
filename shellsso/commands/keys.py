"""`shellsso keys` (being built)."""

from __future__ import annotations

import argparse

from shellsso.core.errors import ShellssoError


def run(args: argparse.Namespace) -> int:
    """`shellsso keys [--json]`, or `keys retire ...` when keys_command is "retire"."""
    raise ShellssoError("`shellsso keys` is not available yet")


def run_retire(args: argparse.Namespace) -> int:
    raise ShellssoError("`shellsso keys` is not available yet")
