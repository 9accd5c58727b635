"""fish (3.4+) under pexpect: what is particular to it.

The scenario all three shells share is in test_shells.py.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import AwsEnv, run_shellsso, write_config
from tests.shell.harness import (
    CREDS_PROMPT,
    ShellSession,
    check_export_creds,
    check_prompt,
)

SHELL = "fish"


def counted_date(home: Path) -> tuple[dict[str, str], Path]:
    """An environment whose `date` logs an x per run, and the log."""
    bin_dir = home / "bin"
    bin_dir.mkdir()
    log = home / "date.log"
    date = bin_dir / "date"
    date.write_text(f"#!/bin/sh\necho x >> '{log}'\nexec /bin/date \"$@\"\n")
    date.chmod(0o755)
    return dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}"), log


def test_prompt_and_one_date_per_prompt(home: Path) -> None:
    """fish has no clock builtin: one `date` per prompt while an SSO profile is active."""
    write_config(home)
    env, log = counted_date(home)
    with ShellSession(SHELL, home, env=env) as sh:
        assert sh.child_faults_per_prompt() == 0  # no profile: no process at all
        check_prompt(sh, home)
        log.write_text("")
        for _ in range(5):
            sh.run("true")
        assert log.read_text().count("x") == 5
        sh.run("awsuse --unset")
        assert sh.child_faults_per_prompt() == 0


def test_export_creds_prompt_and_reexport(aws_env: AwsEnv) -> None:
    env, log = counted_date(aws_env.home)
    with ShellSession(SHELL, aws_env.home, env=env, timeout=15) as sh:
        check_export_creds(sh, aws_env)
        assert run_shellsso("login", "--profile", "dev").returncode == 0
        sh.run("awsuse dev --export", timeout=30)
        assert CREDS_PROMPT.fullmatch(sh.prompt()), sh.prompt()
        log.write_text("")
        for _ in range(5):
            sh.run("true")
        assert log.read_text().count("x") == 5  # the creds form: still one date a prompt


def test_completion_from_complete_c(home: Path) -> None:
    write_config(home)
    with ShellSession(SHELL, home) as sh:
        assert sh.run("complete -C 'awsuse st'").split() == ["staging"]
        assert "ca-west-1" in sh.run("complete -C 'awsuse --region ca-w'")
        assert "login" in sh.run("complete -C 'shellsso lo'").split()
