"""A dead network costs seconds, not minutes; locks are bounded and never held across a person.

The black hole is a listening socket that accepts connections and never
answers, as a firewall that drops replies or a hung proxy does.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

from shellsso.core import timeouts
from shellsso.sso import token_cache
from tests.conftest import AwsEnv, write_config, write_token
from tests.corpus import killtrials
from tests.sso.test_login import Cli
from tests.sso.test_session import target

TIMEOUT = 1.0  # SHELLSSO_HTTP_TIMEOUT in these tests
STARTUP = 3.0  # Python start-up and imports on a loaded machine
REFRESH_BOUND = TIMEOUT + 1  # README: a silent refresh gives up within T + 1 s
COMMAND_BOUND = 2 * TIMEOUT + 2  # README: any other command within 2 x T + 2 s


class BlackHole:
    """127.0.0.1:PORT accepts connections, reads nothing, answers nothing."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections: List[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def hole(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BlackHole]:
    black_hole = BlackHole()
    write_config(home)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", black_hole.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", black_hole.url)
    monkeypatch.setenv("SHELLSSO_HTTP_TIMEOUT", str(TIMEOUT))
    monkeypatch.setenv("BROWSER", "true %s")
    try:
        yield black_hole
    finally:
        black_hole.close()


def timed(argv: List[str], bound: float, env: Optional[Dict[str, str]] = None,
          ) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run a command; fails the test if it is still running well past `bound`."""
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=bound + STARTUP + 10, env=env)
    return done, time.monotonic() - started


def one_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_a_refresh_gives_up_within_its_bound(hole: BlackHole, home: Path) -> None:
    write_token(home, "corp", -60, refresh_token="r")
    done, took = timed(killtrials.awsuse_argv("dev"), REFRESH_BOUND)
    assert done.returncode == 0  # awsuse switches anyway
    assert one_line(done.stderr) == (
        "awsuse: warning: cannot refresh SSO session 'corp': cannot reach the SSO OIDC "
        f"endpoint {hole.url}: timed out")
    assert took < REFRESH_BOUND + STARTUP, took
    assert len(hole.connections) == 1  # a refresh is tried once


def test_a_login_gives_up_within_its_bound(hole: BlackHole) -> None:
    done, took = timed(killtrials.shellsso_argv("login", "--profile", "dev"), COMMAND_BOUND)
    assert done.returncode == 1
    assert one_line(done.stderr) == (
        f"shellsso: error: cannot reach the SSO OIDC endpoint {hole.url}: timed out")
    assert took < COMMAND_BOUND + STARTUP, took


def test_export_with_an_expired_token_gives_up_within_its_bound(
        hole: BlackHole, home: Path) -> None:
    write_token(home, "corp", -60, refresh_token="r")
    done, took = timed(killtrials.shellsso_argv("export", "--profile", "dev"), COMMAND_BOUND)
    assert done.returncode == 1
    assert one_line(done.stderr) == (
        "shellsso: error: cannot refresh SSO session 'corp': cannot reach the SSO OIDC endpoint "
        f"{hole.url}: timed out")
    assert took < REFRESH_BOUND + STARTUP, took


def test_credential_process_gives_up_within_its_bound(hole: BlackHole, home: Path) -> None:
    write_token(home, "corp", 3600)
    done, took = timed(killtrials.shellsso_argv("credential-process", "--profile", "dev"),
                       COMMAND_BOUND)
    assert done.returncode == 1 and done.stdout == ""
    assert one_line(done.stderr) == (
        "shellsso: error: cannot get credentials for account 111111111111 role AdministratorAccess "
        f"from the SSO portal {hole.url}: timed out")
    assert took < COMMAND_BOUND + STARTUP, took
    assert len(hole.connections) == 2  # one retry, no more


def test_ten_parallel_refreshes_fail_together(hole: BlackHole, home: Path) -> None:
    """The waiters fail at once with the holder's line instead of queueing on the network."""
    write_token(home, "corp", -60, refresh_token="r")
    started = time.monotonic()
    procs = [subprocess.Popen(killtrials.awsuse_argv("dev"), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(10)]
    outputs = [p.communicate(timeout=60) for p in procs]
    took = time.monotonic() - started
    assert [p.returncode for p in procs] == [0] * 10
    # A waiter may say what it waits for first when the machine is slow; then the holder's line.
    lines = {one_line("".join(line for line in err.splitlines(keepends=True)
                              if not line.startswith("Waiting for another shellsso process")))
             for _, err in outputs}
    assert lines == {"awsuse: warning: cannot refresh SSO session 'corp': cannot reach the "
                     f"SSO OIDC endpoint {hole.url}: timed out"}
    assert took < REFRESH_BOUND + STARTUP, took
    assert len(hole.connections) == 1


def test_a_bad_timeout_setting_is_one_line(hole: BlackHole, home: Path) -> None:
    write_token(home, "corp", 3600)
    env = dict(os.environ, SHELLSSO_HTTP_TIMEOUT="soon")
    done = subprocess.run(killtrials.shellsso_argv("credential-process", "--profile", "dev"),
                          capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    assert done.returncode == 1
    assert one_line(done.stderr) == ("shellsso: error: SHELLSSO_HTTP_TIMEOUT must be a number of "
                                     "seconds between 0 and 3600, not 'soon'")


# --- locks ---------------------------------------------------------------------------------


def test_a_waiter_says_what_it_waits_for_and_gives_up(aws_env: AwsEnv) -> None:
    write_token(aws_env.home, "corp", -60, refresh_token="r")
    env = dict(os.environ, SHELLSSO_HTTP_TIMEOUT="0.5")  # lock bound: 4 x 0.5 + 2 = 4 s
    with token_cache.session_lock(target()):
        done, took = timed(killtrials.awsuse_argv("dev"), 4, env)
    assert done.returncode == 0
    assert done.stderr.splitlines() == [
        "Waiting for another shellsso process to finish with SSO session 'corp'...",
        "awsuse: warning: gave up after 4 s waiting for another shellsso process to finish "
        "with SSO session 'corp'; try again in a moment"], done.stderr
    assert 4 <= took < 4 + STARTUP


def real_token(env: AwsEnv, expires_in: float) -> Dict[str, str]:
    login = killtrials.device_login(env.url, env.emulator.approve)
    killtrials.write_token(env.home, login, expires_in)
    return login


def test_no_lock_is_held_while_a_person_is_asked(aws_env: AwsEnv) -> None:
    import pexpect

    write_token(aws_env.home, "corp", -60)  # expired, no refresh token: a login is offered
    asking = pexpect.spawn(*killtrials.shellsso_argv("export", "--profile", "dev")[:1],
                           killtrials.shellsso_argv("export", "--profile", "dev")[1:],
                           env=dict(os.environ), encoding="utf-8", timeout=20)
    try:
        asking.expect_exact("Log in to SSO session 'corp' now? [Y/n] ")
        done, took = timed(killtrials.shellsso_argv("credential-process", "--profile", "dev"),
                           2)
        assert done.returncode == 3
        assert one_line(done.stderr) == (
            "shellsso: error: SSO session 'corp' has expired; run: shellsso login --profile dev")
        assert took < 2 + STARTUP
    finally:
        asking.terminate(force=True)


def test_no_lock_blocks_others_while_a_login_waits_for_the_browser(aws_env: AwsEnv) -> None:
    real_token(aws_env, -60)  # expired but refreshable
    login = Cli("login", "--profile", "dev", env=dict(os.environ, BROWSER="true %s"))
    try:
        login.wait_for("^Waiting for the browser to complete the login")
        done, took = timed(killtrials.shellsso_argv("credential-process", "--profile", "dev"),
                           3)
        assert done.returncode == 0, done.stderr
        assert '"AccessKeyId"' in done.stdout and took < 3 + STARTUP
        # a second login waits for the first, and says so
        second = Cli("login", "--profile", "dev")
        second.wait_for("^Waiting for the login to SSO session 'corp' running in another "
                        r"terminal\.\.\.$")
        second.proc.kill()
        second.finish()
    finally:
        login.proc.kill()
        login.finish()


@pytest.fixture
def short_lived(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsEnv]:
    """The emulator issuing 300-second access tokens (`--token-ttl 300`)."""
    from shellsso.emulator import Emulator

    emu = Emulator(interval=1, token_ttl=300)
    emu.start()
    try:
        config = write_config(home)
        monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", emu.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", emu.url)
        yield AwsEnv(home=home, config=config, emulator=emu)
    finally:
        emu.stop()


def test_thirty_shells_refresh_a_short_lived_token_once(short_lived: AwsEnv) -> None:
    real_token(short_lived, -60)
    procs = [subprocess.Popen(killtrials.awsuse_argv("dev"), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(30)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 30, outputs
    assert short_lived.counters()["CreateToken"] == 2  # the login's, then one refresh
    expiries = {re.search(r"_SHELLSSO_EXPIRES='?(\d+)", out).group(1)  # type: ignore[union-attr]
                for out, _ in outputs}
    assert len(expiries) == 1
    token = token_cache.load_token(target())
    assert token is not None and 200 < token.remaining() <= 300


def test_assume_role_gives_up_within_its_bound(hole: BlackHole, home: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import DEMO_CONFIG

    role = "arn:aws:iam::123456789012:role/Role1"
    write_config(home, DEMO_CONFIG + f"""
[profile selfie]
role_arn = {role}
source_profile = selfie
aws_access_key_id = AKIASELFIE0000000001
aws_secret_access_key = selfie-secret
""")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", hole.url)
    done, took = timed(killtrials.shellsso_argv("credential-process", "--profile", "selfie"),
                       COMMAND_BOUND)
    assert done.returncode == 1
    assert one_line(done.stderr) == (
        f"shellsso: error: AssumeRole {role} for profile 'selfie' failed: cannot reach "
        f"{hole.url}: timed out")
    assert took < COMMAND_BOUND + STARTUP, took
    assert len(hole.connections) == 2


def test_a_second_login_gives_up_after_its_bound(
        aws_env: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bound is 11 minutes (longer than any browser wait); shortened here."""
    from shellsso.core.errors import ShellssoError

    monkeypatch.setattr(timeouts, "LOGIN_WAIT", 0.3)
    with token_cache.login_lock(target()), pytest.raises(ShellssoError) as caught, \
            token_cache.login_lock(target()):
        pass
    assert caught.value.message == (
        "gave up after 0.3 s waiting for the login to SSO session 'corp' running in another "
        "terminal; try again in a moment")
