"""`shellsso exec --server`: the command gets an endpoint instead of keys, for its lifetime.

The command is shellsso's own process after exec (same pid, status, terminal); the
endpoint is a detached process that ends with it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Dict

import psutil
import pytest

from tests.conftest import DEMO_CONFIG, AwsEnv, run_shellsso, write_config
from tests.creds.test_exec import SHOW_ENV
from tests.creds.test_rolecreds import emulator_login
from tests.endpoint.helpers import port_open, wait_until

URI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
TOKEN = "AWS_CONTAINER_AUTHORIZATION_TOKEN"

SHOW_MORE = SHOW_ENV.replace(
    '"_SHELLSSO_EXEC_KEY", "KEEP_ME"]',
    '"_SHELLSSO_EXEC_KEY", "KEEP_ME", "AWS_CONTAINER_CREDENTIALS_FULL_URI", '
    '"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", '
    '"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_ROLE_ARN", '
    '"AWS_WEB_IDENTITY_TOKEN_FILE"]',
)

WHOAMI = textwrap.dedent(
    """
    import sys, boto3
    session = boto3.session.Session()
    creds = session.get_credentials()
    account = session.client("sts").get_caller_identity()["Account"]
    print(creds.method, account, session.region_name, flush=True)
    sys.exit(int(sys.argv[1]) if sys.argv[1:] else 0)
    """
)


def test_the_command_gets_the_endpoint_and_no_keys(
    aws_env: AwsEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator_login(aws_env)
    for name, value in (("AWS_ACCESS_KEY_ID", "AKIAOLDOLDOLDOLD0000"),
                        ("AWS_SECRET_ACCESS_KEY", "old-secret"), ("AWS_SESSION_TOKEN", "old"),
                        ("AWS_PROFILE", "staging"), ("AWS_DEFAULT_PROFILE", "prod"),
                        ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x"),
                        ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/nowhere"),
                        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/old"),
                        ("AWS_ROLE_ARN", "arn:aws:iam::1:role/x"),
                        ("AWS_WEB_IDENTITY_TOKEN_FILE", "/nowhere"),
                        ("_SHELLSSO_EXEC_EXPIRES", "1"), ("KEEP_ME", "kept")):
        monkeypatch.setenv(name, value)
    result = run_shellsso("exec", "--server", "--profile", "dev", "--", sys.executable, "-c",
                          SHOW_MORE)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    child: Dict[str, str] = json.loads(result.stdout)
    assert child[URI].startswith("http://127.0.0.1:") and child[URI].endswith("/credentials")
    assert len(child[TOKEN]) == 43
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_CREDENTIAL_EXPIRATION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                 "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "_SHELLSSO_EXEC_EXPIRES"):
        assert child[name] is None, name
    # The prompt's state: the mode holds while the URI is the one exec set; no expiry.
    assert child["_SHELLSSO_EXEC_KEY"] == child[URI]
    assert child["SHELLSSO_EXEC_PROFILE"] == "dev"
    assert child["AWS_REGION"] == child["AWS_DEFAULT_REGION"] == "us-west-2"
    assert child["KEEP_ME"] == "kept"


def test_botocore_in_the_command_uses_the_endpoint_and_the_status_is_the_commands(
    aws_env: AwsEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator_login(aws_env)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", aws_env.url)
    monkeypatch.setenv("AWS_PROFILE", "prod")  # would name another account if it leaked
    result = run_shellsso("exec", "--server", "--profile", "dev", "--", sys.executable, "-c",
                          WHOAMI, "7")
    assert result.returncode == 7, result.stderr
    assert result.stdout.split() == ["container-role", "111111111111", "us-west-2"]
    assert aws_env.counters()["GetCallerIdentity"] == 1


def test_the_endpoint_ends_with_the_command_and_holds_no_pipe(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    script = "import os; print(os.environ['AWS_CONTAINER_CREDENTIALS_FULL_URI'], flush=True)"
    start = time.monotonic()
    result = run_shellsso("exec", "--server", "--profile", "dev", "--", sys.executable, "-c",
                          script, timeout=30)
    took = time.monotonic() - start
    assert result.returncode == 0, result.stderr
    port = int(result.stdout.split(":")[2].split("/")[0])
    wait_until(lambda: not port_open(port), 5, "the endpoint's port closed")
    assert took < 10  # the pipes of stdout and stderr were closed soon after the command


def test_the_endpoint_lives_while_the_command_runs_and_survives_its_ctrl_c(
    aws_env: AwsEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """^C typed for the command reaches its process group; the endpoint is not in it."""
    emulator_login(aws_env)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", aws_env.url)
    script = textwrap.dedent(
        """
        import signal, sys, time, boto3
        print("ready", flush=True)
        try:
            time.sleep(60)
        except KeyboardInterrupt:
            pass
        sts = boto3.session.Session().client("sts")
        print("after", sts.get_caller_identity()["Account"], flush=True)
        """
    )
    process = subprocess.Popen([sys.executable, "-m", "shellsso", "exec", "--server",
                                "--profile", "dev", "--", sys.executable, "-c", script],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    assert process.stdout is not None
    try:
        assert process.stdout.readline() == "ready\n"
        servers = [p for p in psutil.process_iter(["cmdline", "ppid"])  # forked: same argv
                   if p.pid != process.pid and p.info["cmdline"] == process.args]
        assert len(servers) == 1  # the detached endpoint: not a child of the command
        assert servers[0].info["ppid"] != process.pid
        os.killpg(process.pid, signal.SIGINT)  # what the terminal does on ^C
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert out == "after 111111111111\n", err
    assert process.returncode == 0
    servers[0].wait(timeout=5)  # and it ended with the command


def test_a_default_profile_with_credentials_is_warned_about(
    aws_env: AwsEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/protocol.md §8.4: [default]'s own credentials come before the endpoint."""
    emulator_login(aws_env)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", aws_env.url)
    write_config(aws_env.home, DEMO_CONFIG.replace(
        "[default]\nregion = us-east-1\n",
        "[default]\nregion = us-east-1\nsso_session = corp\nsso_account_id = 333333333333\n"
        "sso_role_name = ReadOnlyAccess\n"))
    result = run_shellsso("exec", "--server", "--profile", "dev", "--", sys.executable, "-c",
                          WHOAMI)
    assert result.returncode == 0, result.stderr
    # What the warning is about: botocore in the command took [default]'s SSO, not dev's.
    assert result.stdout.split()[:2] == ["sso", "333333333333"]
    assert result.stderr == (
        "shellsso: warning: profile 'default' has credentials of its own (sso_session, "
        "sso_account_id, sso_role_name): AWS SDKs and the AWS CLI on this machine use them, "
        "not the endpoint (profile 'dev'), when no profile is selected; to use the endpoint "
        "here, move those settings from [default] to a named profile\n")


def test_a_command_not_found_leaves_no_endpoint_behind(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    before = {p.pid for p in psutil.process_iter()}
    result = run_shellsso("exec", "--server", "--profile", "dev", "--", "no-such-command-x")
    assert result.returncode == 127
    assert result.stderr == "shellsso: error: command not found: no-such-command-x\n"

    def left() -> list[int]:
        return [p.pid for p in psutil.process_iter(["cmdline"])
                if p.pid not in before and "no-such-command-x" in (p.info["cmdline"] or [])
                and p.status() != psutil.STATUS_ZOMBIE]

    wait_until(lambda: not left(), 5, "the endpoint ended")
