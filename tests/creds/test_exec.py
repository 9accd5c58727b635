"""`shellsso exec`: a command with the profile's credentials in its environment.

The keys come from the emulator (GetRoleCredentials), and the emulator's STS
recognises them again when botocore in the child signs a request with them.
The shells' prompt in an exec shell is checked in bash, zsh and fish.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Dict

import pytest

from tests.conftest import AwsEnv, run_shellsso
from tests.creds.test_rolecreds import emulator_login, one_error_line

SHOW_ENV = textwrap.dedent(
    """
    import json, os
    names = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
             "AWS_CREDENTIAL_EXPIRATION", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE",
             "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN", "AWS_SDK_LOAD_CONFIG",
             "SHELLSSO_EXEC_PROFILE", "_SHELLSSO_PROFILE", "_SHELLSSO_EXEC_EXPIRES",
             "_SHELLSSO_EXEC_KEY", "KEEP_ME"]
    print(json.dumps({n: os.environ.get(n) for n in names}))
    """
)


def exec_env(*args: str, env: Dict[str, str] | None = None) -> Dict[str, str]:
    result = run_shellsso("exec", *args, "--", sys.executable, "-c", SHOW_ENV, env=env)
    assert result.returncode == 0, result.stderr
    data: Dict[str, str] = json.loads(result.stdout)
    return data


def test_child_gets_the_profiles_credentials_and_nothing_that_shadows_them(
    aws_env: AwsEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator_login(aws_env)
    for name, value in (("AWS_PROFILE", "staging"), ("AWS_DEFAULT_PROFILE", "prod"),
                        ("AWS_SECURITY_TOKEN", "old-token"), ("AWS_SDK_LOAD_CONFIG", "1"),
                        ("_SHELLSSO_PROFILE", "staging"), ("KEEP_ME", "kept")):
        monkeypatch.setenv(name, value)
    child = exec_env("--profile", "dev")
    key = child["AWS_ACCESS_KEY_ID"]
    assert key in aws_env.emulator.issued_access_key_ids
    assert child["AWS_SECRET_ACCESS_KEY"] and child["AWS_SESSION_TOKEN"]
    assert child["AWS_REGION"] == child["AWS_DEFAULT_REGION"] == "us-west-2"
    assert child["SHELLSSO_EXEC_PROFILE"] == "dev"
    assert child["KEEP_ME"] == "kept"
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN",
                 "AWS_SDK_LOAD_CONFIG", "_SHELLSSO_PROFILE"):
        assert child[name] is None, name
    expires = int(child["_SHELLSSO_EXEC_EXPIRES"])
    assert 3500 < expires - time.time() <= 3600
    assert child["AWS_CREDENTIAL_EXPIRATION"] == time.strftime(
        "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(expires))
    assert child["_SHELLSSO_EXEC_KEY"] == key

    # The active profile (AWS_PROFILE) is the default; the cache serves the second run.
    again = exec_env()
    assert again["SHELLSSO_EXEC_PROFILE"] == "staging"
    assert again["AWS_REGION"] == "eu-west-1"
    assert aws_env.counters()["GetRoleCredentials"] == 2
    assert exec_env("--profile", "dev")["AWS_ACCESS_KEY_ID"] == key
    assert aws_env.counters()["GetRoleCredentials"] == 2


def test_botocore_in_the_child_resolves_the_keys(
    aws_env: AwsEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator_login(aws_env)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", aws_env.url)
    monkeypatch.setenv("AWS_PROFILE", "prod")  # would name another account if it leaked
    script = textwrap.dedent(
        """
        import boto3
        session = boto3.session.Session()
        creds = session.get_credentials()
        identity = session.client("sts").get_caller_identity()
        print(creds.method, creds.access_key, session.region_name, identity["Account"])
        """
    )
    result = run_shellsso("exec", "--profile", "dev", "--", sys.executable, "-c", script)
    assert result.returncode == 0, result.stderr
    method, key, region, account = result.stdout.split()
    assert method == "env" and region == "us-west-2" and account == "111111111111"
    assert key in aws_env.emulator.issued_access_key_ids
    assert aws_env.counters()["GetCallerIdentity"] == 1


def test_long_term_keys_from_the_config_file_have_no_expiry(aws_env: AwsEnv) -> None:
    from tests.conftest import DEMO_CONFIG, write_config

    write_config(aws_env.home, DEMO_CONFIG + "\n[profile keys]\naws_access_key_id = "
                 "AKIALONGTERMKEY00001\naws_secret_access_key = long-term-secret\n")
    child = exec_env("--profile", "keys")
    assert child["AWS_ACCESS_KEY_ID"] == child["_SHELLSSO_EXEC_KEY"] == "AKIALONGTERMKEY00001"
    assert child["AWS_SECRET_ACCESS_KEY"] == "long-term-secret"
    for name in ("AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION", "_SHELLSSO_EXEC_EXPIRES",
                 "AWS_REGION"):
        assert child[name] is None, name


def test_exit_status_is_the_commands(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    result = run_shellsso("exec", "--profile", "dev", "sh", "-c", "echo out; echo err >&2; exit 7")
    assert (result.returncode, result.stdout, result.stderr) == (7, "out\n", "err\n")


def test_default_command_is_the_users_shell(
    aws_env: AwsEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator_login(aws_env)
    monkeypatch.setenv("SHELL", "/bin/sh")
    result = run_shellsso("exec", "--profile", "dev",
                          input='echo "$SHELLSSO_EXEC_PROFILE $AWS_REGION"; exit 3\n')
    assert (result.returncode, result.stdout) == (3, "dev us-west-2\n")


def test_signals_reach_the_command_which_is_this_process(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    script = textwrap.dedent(
        """
        import os, signal, sys, time
        def stop(number, frame):
            print("got", number, flush=True)
            sys.exit(42)
        signal.signal(signal.SIGTERM, stop)
        print(os.getpid(), flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "shellsso", "exec", "--profile", "dev", "--",
         sys.executable, "-c", script],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )
    try:
        assert proc.stdout is not None
        assert int(proc.stdout.readline()) == proc.pid  # shellsso became the command
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert (proc.returncode, out, err) == (42, "got 15\n", "")


def test_sigpipe_is_the_default_again(aws_env: AwsEnv) -> None:
    """Python ignores SIGPIPE; the command must not inherit that (`yes | head` ends quietly)."""
    emulator_login(aws_env)
    line = f"{sys.executable} -m shellsso exec --profile dev -- yes | head -n 1"
    result = subprocess.run(["sh", "-c", line], capture_output=True, text=True, timeout=30,
                            stdin=subprocess.DEVNULL)
    assert (result.stdout, result.stderr) == ("y\n", "")


def test_nesting_is_refused_unless_forced(
    aws_env: AwsEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator_login(aws_env)
    monkeypatch.setenv("SHELLSSO_EXEC_PROFILE", "staging")
    result = run_shellsso("exec", "--profile", "dev", "true")
    assert result.returncode == 1
    assert one_error_line(result) == (
        "shellsso: error: already inside `shellsso exec` for profile 'staging' "
        "(SHELLSSO_EXEC_PROFILE is set); leave that shell first, or add --force")
    assert "GetRoleCredentials" not in aws_env.counters()
    assert exec_env("--profile", "dev", "--force")["SHELLSSO_EXEC_PROFILE"] == "dev"


def test_missing_and_unrunnable_commands(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    result = run_shellsso("exec", "--profile", "dev", "--", "no-such-command-here", "x")
    assert result.returncode == 127
    assert one_error_line(result) == "shellsso: error: command not found: no-such-command-here"
    plain = aws_env.home / "not-executable"
    plain.write_text("echo hi\n")
    result = run_shellsso("exec", "--profile", "dev", "--", str(plain))
    assert result.returncode == 126
    assert one_error_line(result) == f"shellsso: error: permission denied: {plain}"


def test_no_secret_on_any_command_line(aws_env: AwsEnv) -> None:
    """The keys travel in the environment: the command's argv is exactly what was given."""
    emulator_login(aws_env)
    script = "import sys, os; print(sys.argv[1:], os.environ['AWS_SECRET_ACCESS_KEY'] != '')"
    result = run_shellsso("exec", "--profile", "dev", "--", sys.executable, "-c", script,
                          "a", "--debug")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "['a', '--debug'] True\n"


def test_options_after_the_command_are_the_commands(aws_env: AwsEnv) -> None:
    """`--debug` after the command word is the command's own; before it, shellsso's."""
    emulator_login(aws_env)
    script = "import sys; print(sys.argv[1:])"
    for debug_at in ([], ["--debug"]):
        result = run_shellsso("exec", *debug_at, "--profile", "dev", sys.executable, "-c",
                              script, "a", "--debug", "--profile", "x")
        assert result.returncode == 0, result.stderr
        assert result.stdout == "['a', '--debug', '--profile', 'x']\n"
    result = run_shellsso("--debug", "exec", "--profile", "dev", sys.executable, "-c", script)
    assert (result.returncode, result.stdout) == (0, "[]\n")


def test_an_empty_command_name_is_one_line(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    for args in (["--", ""], [""], ["--", "", "x"]):
        result = run_shellsso("exec", "--profile", "dev", *args)
        assert result.returncode == 127  # what a shell answers for a command it cannot find
        assert one_error_line(result) == "shellsso: error: command not found: '' (an empty name)"


def test_expired_session_and_unknown_profile_are_one_line(aws_env: AwsEnv) -> None:
    result = run_shellsso("exec", "--profile", "dev", "true")
    assert result.returncode == 3
    assert "run: shellsso login --profile dev" in one_error_line(result)
    result = run_shellsso("exec", "--profile", "dve", "true")
    assert one_error_line(result).endswith("(did you mean: dev?)")


# --- the prompt in a shell started by exec -----------------------------------------------


def _exec_environment(home: Path) -> Dict[str, str]:
    """The environment `shellsso exec --profile prod` gives its command, as it gave it."""
    script = "import json, os; print(json.dumps(dict(os.environ)))"
    result = run_shellsso("exec", "--profile", "prod", "--", sys.executable, "-c", script)
    assert result.returncode == 0, result.stderr
    env: Dict[str, str] = json.loads(result.stdout)
    return env


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_prompt_in_an_exec_shell(aws_env: AwsEnv, shell: str) -> None:
    from tests.shell.harness import ShellSession

    emulator_login(aws_env)
    env = _exec_environment(aws_env.home)
    with ShellSession(shell, aws_env.home, env=env, timeout=15) as sh:
        prompt = sh.prompt()
        assert prompt in ("aws:prod(creds 60m)", "aws:prod(creds 59m)"), prompt
        assert "\x1b[31m" in sh.raw_prompt()  # prod, in red
        assert sh.value("AWS_PROFILE") == ""
        set_var, unset_var = sh.dialect.set_var, sh.dialect.unset_var
        sh.run(set_var.format(name="_SHELLSSO_EXEC_EXPIRES", value=int(time.time()) + 600))
        assert sh.prompt() == "aws:prod(creds 10m)"
        sh.run(set_var.format(name="_SHELLSSO_EXEC_EXPIRES", value=int(time.time()) - 5))
        assert sh.prompt() == "aws:prod(creds expired)"
        # Not digits: never evaluated, no segment.
        sh.run(set_var.format(name="_SHELLSSO_EXEC_EXPIRES", value="a[$(touch pwned)]"))
        assert sh.prompt() == ""
        assert not (aws_env.home / "pwned").exists()
        # Keys changed by hand end the mode.
        sh.run(set_var.format(name="_SHELLSSO_EXEC_EXPIRES", value=int(time.time()) + 600))
        sh.run(set_var.format(name="AWS_ACCESS_KEY_ID", value="AKIAHANDMADE"))
        assert sh.prompt() == ""
        sh.run(set_var.format(name="AWS_ACCESS_KEY_ID", value=env["AWS_ACCESS_KEY_ID"]))
        assert sh.prompt() == "aws:prod(creds 10m)"
        if shell != "fish":  # bash and zsh draw it without starting a process
            assert sh.child_faults_per_prompt() == 0
        # Long-term keys have no expiry: the profile alone.
        sh.run(unset_var.format(name="_SHELLSSO_EXEC_EXPIRES"))
        assert sh.prompt() == "aws:prod"
        sh.run(unset_var.format(name="SHELLSSO_EXEC_PROFILE"))
        assert sh.prompt() == ""
        # A nested exec is refused, with its one line.
        sh.run(set_var.format(name="SHELLSSO_EXEC_PROFILE", value="prod"))
        out = sh.run(f"{sys.executable} -m shellsso exec --profile dev true")
        assert "already inside `shellsso exec` for profile 'prod'" in out
        # awsuse knows the mode: exec's keys would shadow the profile it sets.
        out = sh.run("awsuse dev")
        assert out == (
            "awsuse: error: this shell runs under `shellsso exec` for profile 'prod', whose "
            "credentials take precedence over AWS_PROFILE; exit it to switch (or run "
            "`shellsso exec --force --profile dev`)")
        assert sh.value("AWS_PROFILE") == "" and sh.prompt() == "aws:prod"
        assert sh.run("awsuse") != ""  # listing still works
