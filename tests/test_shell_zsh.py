"""zsh (5.x) under pexpect: what is particular to it.

The scenario all three shells share is in test_shells.py.
"""

from __future__ import annotations

from pathlib import Path

from conftest import AwsEnv, run_shellsso, write_config, write_token
from shellharness import (
    CREDS_PROMPT,
    ShellSession,
    check_export_creds,
    check_prompt,
)

SHELL = "zsh"


def test_prompt_and_no_process_per_prompt(home: Path) -> None:
    write_config(home)
    with ShellSession(SHELL, home) as sh:
        assert sh.child_faults_per_prompt() == 0
        check_prompt(sh, home)
        assert sh.child_faults_per_prompt() == 0
        write_token(home, "corp", 300)
        sh.run("awsuse prod")  # expiring: the token file is re-read on every prompt
        assert sh.child_faults_per_prompt() == 0
        assert sh.prompt() in ("aws:prod(5m)", "aws:prod(4m)")
        sh.run("/bin/true")  # the counter does move when a process runs
        assert sh.child_faults_per_prompt(1) == 0


def test_export_creds_prompt_and_reexport(aws_env: AwsEnv) -> None:
    with ShellSession(SHELL, aws_env.home, timeout=15) as sh:
        check_export_creds(sh, aws_env)
        assert run_shellsso("login", "--profile", "dev").returncode == 0
        sh.run("awsuse dev --export", timeout=30)
        assert CREDS_PROMPT.fullmatch(sh.prompt()), sh.prompt()
        assert sh.child_faults_per_prompt() == 0  # the creds form starts no process either


def test_keeps_precmd_and_preexec_functions(home: Path) -> None:
    write_config(home)
    write_token(home, "corp", 3600)
    with ShellSession(SHELL, home, load=False) as sh:
        sh.run("mine() { (( count++ )); }; precmd_functions+=(mine); preexec_functions+=(mine)")
        sh.run("setopt prompt_subst; PROMPT='[$count] '$PROMPT")
        sh.run(sh.dialect.load)
        sh.run(sh.dialect.load)
        sh.run("awsuse dev")
        assert sh.prompt().startswith("aws:dev [")
        before = int(sh.value("count"))
        sh.run("true")
        assert int(sh.value("count")) >= before + 2
        assert sh.run("print -r -- $precmd_functions") == "mine __shellsso_prompt"
        assert sh.run("print -r -- $preexec_functions") == "mine __shellsso_preexec"
