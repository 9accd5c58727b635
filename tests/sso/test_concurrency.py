"""Many terminals, one login: the session lock makes one flow and one refresh."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from shellsso.sso import token_cache
from shellsso.sso.token_cache import Token
from tests.conftest import START_URL, AwsEnv, write_token
from tests.sso.test_login import Cli, read_token
from tests.sso.test_session import cli_style_login, target


def gated_browser(tmp_path: Path) -> tuple[str, Path]:
    """A BROWSER that visits only once the test opens the gate (all logins started)."""
    gate = tmp_path / "gate"
    script = tmp_path / "gated-browser"
    script.write_text(f'#!/bin/sh\nwhile [ ! -e "{gate}" ]; do sleep 0.1; done\n'
                      f'exec "{sys.executable}" -m shellsso.emulator.browser "$1"\n')
    script.chmod(0o755)
    return f"{script} %s", gate


def test_twenty_terminals_make_one_login(aws_env: AwsEnv, tmp_path: Path) -> None:
    browser, gate = gated_browser(tmp_path)
    env = dict(os.environ, BROWSER=browser)
    started = time.monotonic()
    clis = [Cli("login", "--profile", "dev", env=env) for _ in range(20)]
    waiting = "^Waiting for the login to SSO session 'corp' running in another terminal"
    deadline = time.monotonic() + 15
    while sum(bool(re.search(waiting, c.stderr, re.M)) for c in clis) < 19:
        assert time.monotonic() < deadline, [c.stderr for c in clis]
        time.sleep(0.1)
    gate.touch()  # now the one flow that runs may complete
    codes = [c.finish(timeout=30) for c in clis]
    assert codes == [0] * 20, [c.stderr for c in clis]
    assert time.monotonic() - started < 20
    counters = aws_env.counters()
    assert counters.get("Authorize") == 1 and counters.get("RegisterClient") == 1
    assert "StartDeviceAuthorization" not in counters
    reused = [c.stderr for c in clis if "Another terminal just logged in" in c.stderr]
    assert len(reused) == 19
    assert "refreshToken" in read_token(aws_env.home)


def test_a_waiting_login_uses_the_token_another_terminal_wrote(aws_env: AwsEnv) -> None:
    t = target()
    with token_cache.login_lock(t):
        cli = Cli("login", "--profile", "prod")
        cli.wait_for(r"^Waiting for the login to SSO session 'corp' running in another "
                     r"terminal\.\.\.$")
        token_cache.save_token(t, Token(START_URL, "us-east-1", "from-the-other-terminal",
                                       time.time() + 3600))
    assert cli.finish() == 0, cli.stderr
    assert cli.stderr.splitlines()[-1].startswith(
        f"Another terminal just logged in to SSO session 'corp' ({START_URL}); "
        "token valid until ")
    assert aws_env.counters() == {}  # no flow, not even a registration
    assert read_token(aws_env.home)["accessToken"] == "from-the-other-terminal"


def test_force_logs_in_even_after_waiting(aws_env: AwsEnv) -> None:
    t = target()
    with token_cache.login_lock(t):
        cli = Cli("login", "--profile", "prod", "--force")
        cli.wait_for(r"^Waiting for the login")
        token_cache.save_token(t, Token(START_URL, "us-east-1", "from-the-other-terminal",
                                       time.time() + 3600))
    assert cli.finish() == 0, cli.stderr
    assert "Logged in to SSO session 'corp'" in cli.stderr
    assert read_token(aws_env.home)["accessToken"] != "from-the-other-terminal"
    assert aws_env.counters()["Authorize"] == 1


def test_a_login_with_a_valid_token_still_logs_in(aws_env: AwsEnv) -> None:
    """Like `aws sso login`: an explicit login is never skipped (the server may have
    revoked the token); only a login that waited for another terminal reuses."""
    write_token(aws_env.home, "corp", 3600)
    cli = Cli("login", "--profile", "dev")
    assert cli.finish() == 0, cli.stderr
    assert aws_env.counters()["Authorize"] == 1
    assert read_token(aws_env.home)["accessToken"] != "test-access-token"


def test_ten_processes_refresh_once(aws_env: AwsEnv) -> None:
    real = cli_style_login(aws_env)
    write_token(aws_env.home, "corp", 120, **real)
    code = ("from shellsso.sso import session; from shellsso.awsconfig.model import load_config;"
            "print(session.get_token(load_config().sso_target('dev')).access_token)")
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=dict(os.environ))
             for _ in range(10)]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 10, outputs
    tokens = {out.strip() for out, _ in outputs}
    assert tokens == {read_token(aws_env.home)["accessToken"]}
    assert aws_env.counters()["CreateToken"] == 2  # the login's, then exactly one refresh



def test_a_login_while_the_user_was_asked_is_used(aws_env: AwsEnv) -> None:
    """ensure_token asks; meanwhile another terminal logs in; 'yes' then starts no flow."""
    import pexpect

    code = ("from shellsso.sso import session; from shellsso.awsconfig.model import load_config;"
            "print('TOKEN', session.ensure_token(load_config().sso_target('dev')).access_token)")
    child = pexpect.spawn(sys.executable, ["-c", code], env=dict(os.environ), encoding="utf-8",
                          timeout=20)
    child.expect_exact("Log in to SSO session 'corp' now? [Y/n] ")
    token_cache.save_token(target(), Token(START_URL, "us-east-1", "written-meanwhile",
                                          time.time() + 3600))
    child.sendline("y")
    child.expect_exact("Another terminal just logged in to SSO session 'corp'")
    child.expect_exact("TOKEN written-meanwhile")
    child.expect(pexpect.EOF)
    assert aws_env.counters() == {}
