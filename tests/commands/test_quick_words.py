"""The quick reading of `export`, `credential-process` and `status` agrees with argparse.

cli.py skips argparse for the usual words of the commands other programs run
once per process; whatever words it takes, it must read them exactly as the
full parser does, and leave every other line (help, typos, bad values) to it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
from typing import List, Optional

from hypothesis import given, settings
from hypothesis import strategies as st

from shellsso.commands.arguments import build_parser
from shellsso.commands.quick import COMMANDS, namespace
from tests.conftest import run_shellsso

WORDS = ["--profile", "-p", "--format", "-f", "--json", "dev", "prod", "fish", "env", "json",
         "process", "bogus", "--profile=dev", "--format=fish", "--format=", "-p=dev", "-pdev",
         "-x", "--", "--help", "-h", "--jso", "--pro", "-", ""]


def argparse_reading(words: List[str]) -> Optional[argparse.Namespace]:
    """What the full parser makes of `words`, or None when it refuses them (or prints help)."""
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            return build_parser().parse_args(words)
        except SystemExit:
            return None


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(sorted(COMMANDS)), st.lists(st.sampled_from(WORDS), max_size=5))
def test_quick_reading_is_argparse_reading(command: str, rest: List[str]) -> None:
    words = [command, *rest]
    quick = namespace(words)
    if quick is None:
        return  # left to argparse, which reads it (or refuses it) itself
    full = argparse_reading(words)
    assert full is not None, words
    assert vars(quick) == {key: getattr(full, key) for key in vars(quick)}, words


def test_the_usual_lines_are_read_quickly() -> None:
    for words in (["export"], ["export", "--profile", "dev", "--format", "fish"],
                  ["credential-process", "--profile", "dev"], ["status", "--json"],
                  ["status", "-p", "prod"], ["export", "--format=json"]):
        assert namespace(words) is not None, words


def test_what_quick_leaves_argparse_still_answers() -> None:
    result = run_shellsso("export", "--format", "bogus")
    assert result.returncode == 2
    assert "invalid choice: 'bogus'" in result.stderr
    result = run_shellsso("credential-process")
    assert result.returncode == 2
    assert "--profile" in result.stderr
    result = run_shellsso("status", "--help")
    assert result.returncode == 0
    assert "--json" in result.stdout
