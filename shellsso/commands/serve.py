"""`shellsso serve` (being built)."""

from __future__ import annotations

import argparse

from shellsso.core.errors import ShellssoError


def run(args: argparse.Namespace) -> int:
    raise ShellssoError("`shellsso serve` is not available yet")
