"""The scenario every shell shares, run in real bash, zsh and fish under pexpect.

What differs between the shells (process counts per prompt, hook chaining,
fish's `complete -C`) lives in test_shell_bash.py, test_shell_zsh.py and
test_shell_fish.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import AwsEnv, require, run_shellsso, write_config, write_token
from tests.shell.harness import (
    CREDS_PROMPT,
    HOSTILE_CONFIG,
    QUOTING_CONFIG,
    ShellSession,
    check_completion,
    check_completion_after_a_profile,
    check_completion_quoting,
    check_export_creds,
    check_hostile_corpus,
    check_hostile_names,
    check_login_offer,
    check_minutes,
    check_preexec,
    check_preexec_command_word,
    check_prompt,
    check_refresh_rule,
    check_session_ends_elsewhere,
    check_statuses,
    check_switching,
    check_unset_keeps_foreign,
    corpus_config,
    hostile_corpus,
    waited_children_faults,
)

SHELLS = ["bash", "zsh", "fish"]


@pytest.mark.parametrize("shell", SHELLS)
def test_switch_list_unset_complete(shell: str, home: Path) -> None:
    write_config(home)
    write_token(home, "corp", 3600)
    with ShellSession(shell, home) as sh:
        check_switching(sh)
        check_statuses(sh)
        check_unset_keeps_foreign(sh)
        check_completion(sh)
        check_completion_after_a_profile(sh)
        check_minutes(sh, home)


@pytest.mark.parametrize("shell", SHELLS)
def test_hostile_names(shell: str, home: Path) -> None:
    write_config(home, HOSTILE_CONFIG)
    with ShellSession(shell, home) as sh:
        check_hostile_names(sh, home)


@pytest.mark.parametrize("shell", SHELLS)
def test_completion_of_names_that_need_quoting(shell: str, home: Path) -> None:
    write_config(home, QUOTING_CONFIG)
    with ShellSession(shell, home) as sh:
        check_completion_quoting(sh, home)


@pytest.mark.slow
@pytest.mark.parametrize("shell", SHELLS)
def test_hostile_name_corpus_completes_and_runs_nothing(shell: str, home: Path) -> None:
    names = hostile_corpus()
    write_config(home, corpus_config(names))
    with ShellSession(shell, home) as sh:
        check_hostile_corpus(sh, home, names)


@pytest.mark.parametrize("shell", SHELLS)
def test_login_offer_and_preexec(shell: str, aws_env: AwsEnv) -> None:
    with ShellSession(shell, aws_env.home, timeout=15) as sh:
        check_login_offer(sh, aws_env.home)
        check_preexec(sh, aws_env.home)
        check_preexec_command_word(sh, aws_env.home)


@pytest.mark.parametrize("shell", SHELLS)
def test_session_ended_elsewhere(shell: str, aws_env: AwsEnv) -> None:
    with ShellSession(shell, aws_env.home, timeout=15) as sh:
        check_session_ends_elsewhere(sh, aws_env.home)


@pytest.mark.parametrize("shell", SHELLS)
def test_prompt_applies_the_refresh_rule(shell: str, home: Path) -> None:
    write_config(home)
    with ShellSession(shell, home) as sh:
        check_refresh_rule(sh, home)


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_hostile_state_in_the_environment_runs_nothing(shell: str, home: Path) -> None:
    """Arithmetic in bash and zsh would run a[$(cmd)]: state that is not digits is dropped."""
    require(shell)
    write_config(home)
    marker = home / "pwned"
    hostile = f"a[$(touch {marker})]"
    hook = subprocess.run([sys.executable, "-m", "shellsso", "init", shell],
                          capture_output=True, text=True, check=True).stdout
    script = hook + "\n__shellsso_state; __shellsso_preexec 'aws s3 ls'; echo done\n"
    env = dict(os.environ, AWS_PROFILE="dev", _SHELLSSO_PROFILE="dev", _SHELLSSO_EXPIRES=hostile,
               _SHELLSSO_REFRESH=hostile, _SHELLSSO_CREDS_EXPIRES=hostile,
               _SHELLSSO_TOKEN=str(home / "none.json"), SHELLSSO_AUTO_LOGIN="never")
    argv = {"bash": ["bash", "--norc", "--noprofile", "-c"], "zsh": ["zsh", "-f", "-c"]}[shell]
    out = subprocess.run([*argv, script], capture_output=True, text=True, env=env, timeout=30)
    assert out.stdout.strip().endswith("done"), out.stderr
    assert not marker.exists()


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_prompt_and_no_process_per_prompt(shell: str, home: Path) -> None:
    """bash and zsh start no process for a prompt (fish runs one `date`: its own file)."""
    write_config(home)
    with ShellSession(shell, home) as sh:
        assert sh.child_faults_per_prompt() == 0
        check_prompt(sh, home)
        assert sh.child_faults_per_prompt() == 0
        token = write_token(home, "corp", 300)
        sh.run("awsuse prod")  # expiring
        assert sh.child_faults_per_prompt() == 0
        assert sh.prompt() in ("aws:prod(5m)", "aws:prod(4m)")
        # Changed or removed by another terminal: noticed and re-read, still no process.
        token.unlink()
        assert sh.child_faults_per_prompt() == 0
        assert sh.prompt() == "aws:prod(no session)"
        write_token(home, "corp", -60)
        assert sh.child_faults_per_prompt() == 0
        assert sh.prompt() == "aws:prod(expired)"
        write_token(home, "corp", 3600)
        # Finding the command word behind NAME=value and wrappers is builtins too.
        sh.run(sh.dialect.define_aws)
        before = waited_children_faults(sh.child.pid)
        for line in ("AWS_REGION=x aws s3 ls", "time aws s3 ls", "echo aws"):
            sh.run(line)
        assert waited_children_faults(sh.child.pid) == before
        sh.run("/bin/true")  # the counter does move when a process runs
        assert sh.child_faults_per_prompt(1) == 0


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_export_creds_prompt_and_reexport(shell: str, aws_env: AwsEnv) -> None:
    with ShellSession(shell, aws_env.home, timeout=15) as sh:
        check_export_creds(sh, aws_env)
        assert run_shellsso("login", "--profile", "dev").returncode == 0
        sh.run("awsuse dev --export", timeout=30)
        assert CREDS_PROMPT.fullmatch(sh.prompt()), sh.prompt()
        assert sh.child_faults_per_prompt() == 0  # the creds form starts no process either
