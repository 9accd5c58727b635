"""`shellsso team` (being built)."""

from __future__ import annotations

import argparse

from shellsso.core.errors import ShellssoError


def run_add(args: argparse.Namespace) -> int:
    raise ShellssoError("`shellsso team` is not available yet")


def run_sync(args: argparse.Namespace) -> int:
    raise ShellssoError("`shellsso team` is not available yet")


def run_list(args: argparse.Namespace) -> int:
    raise ShellssoError("`shellsso team` is not available yet")


def run_remove(args: argparse.Namespace) -> int:
    raise ShellssoError("`shellsso team` is not available yet")
