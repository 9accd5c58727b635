"""`shellsso login` end to end: the CLI in a subprocess against the emulator.

What a user sees (the URL, the code, one clear line on failure) and what the
AWS CLI would find afterwards (the token file, byte for byte in its format).
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from tests.conftest import START_URL, AwsEnv, run_shellsso, sha1, write_token

TOKEN_FIELDS = ["startUrl", "region", "accessToken", "expiresAt", "clientId", "clientSecret",
                "registrationExpiresAt", "refreshToken"]
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
USER_CODE = re.compile(r"^  ([A-Z]{4}-[A-Z]{4})$", re.M)


# --- helpers shared by the login engineer's test files -----------------------------------


class Cli:
    """A `shellsso` subprocess whose stderr is read while it runs."""

    def __init__(self, *args: str, env: Optional[Dict[str, str]] = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "shellsso", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=env if env is not None else dict(os.environ),
        )
        self.lines: List[str] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()

    @property
    def stderr(self) -> str:
        with self._cond:
            return "".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 15) -> re.Match[str]:
        """Block until stderr matches `pattern` (a regex); fail after `timeout`."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern, re.M)
        with self._cond:
            while True:
                match = regex.search("".join(self.lines))
                if match:
                    return match
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(f"no {pattern!r} in stderr:\n{''.join(self.lines)}")
                self._cond.wait(min(left, 0.2))

    def finish(self, timeout: float = 30) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code


def visit(url: str) -> int:
    """What a user's browser does with a printed URL."""
    from shellsso.emulator.browser import visit as browser_visit

    return browser_visit(url)


def control(env: AwsEnv, action: str, body: Optional[Dict[str, Any]] = None) -> Any:
    """POST to the emulator's /_emulator/ control endpoints."""
    request = urllib.request.Request(
        f"{env.url}/_emulator/{action}", data=json.dumps(body or {}).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def token_path(home: Path, source: str = "corp") -> Path:
    return home / ".aws" / "sso" / "cache" / f"{sha1(source)}.json"


def read_token(home: Path, source: str = "corp") -> Dict[str, Any]:
    data: Dict[str, Any] = json.loads(token_path(home, source).read_text())
    return data


def registration_files(home: Path) -> List[Dict[str, Any]]:
    cache = home / ".aws" / "sso" / "cache"
    found = []
    for path in cache.glob("*.json"):
        data = json.loads(path.read_text())
        if "accessToken" not in data:
            found.append(data)
    return found


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert lines[0].startswith("shellsso: error: ")
    return lines[0]


# --- PKCE ---------------------------------------------------------------------------------


def test_pkce_login_writes_the_aws_cli_token_file(aws_env: AwsEnv) -> None:
    result = run_shellsso("login", "--profile", "dev")
    assert result.returncode == 0, result.stderr
    assert re.search(
        rf"^Logged in to SSO session 'corp' \({re.escape(START_URL)}\), "
        r"token valid until \d\d:\d\d$", result.stderr, re.M)
    assert result.stdout == ""
    path = token_path(aws_env.home)
    data = json.loads(path.read_text())
    assert list(data) == TOKEN_FIELDS
    assert data["startUrl"] == START_URL and data["region"] == "us-east-1"
    assert STAMP.match(data["expiresAt"]) and STAMP.match(data["registrationExpiresAt"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_text() == json.dumps(data)  # CLI serialisation: default separators
    counters = aws_env.counters()
    assert counters.get("Authorize") == 1 and "StartDeviceAuthorization" not in counters
    # The authorize URL goes to the overridden endpoint, parameters in the CLI's order.
    url = re.search(r"^  (http\S+/authorize\?\S+)$", result.stderr, re.M)
    assert url and url.group(1).startswith(aws_env.url + "/authorize?response_type=code&")
    names = [p.split("=")[0] for p in url.group(1).split("?", 1)[1].split("&")]
    assert names == ["response_type", "client_id", "redirect_uri", "state",
                     "code_challenge_method", "scopes", "code_challenge"]
    [registration] = registration_files(aws_env.home)
    assert registration["grantTypes"] == ["authorization_code", "refresh_token"]
    assert registration["scopes"] == ["sso:account:access"]


def test_pkce_with_no_browser_only_prints_the_url(aws_env: AwsEnv, tmp_path: Path) -> None:
    marker = tmp_path / "opened"
    env = dict(os.environ, BROWSER=f"touch {marker} %s")
    cli = Cli("login", "--profile", "dev", "--no-browser", env=env)
    url = cli.wait_for(r"^  (http\S+/authorize\?\S+)$").group(1)
    assert visit(url) == 200
    assert cli.finish() == 0, cli.stderr
    assert not marker.exists()
    assert "refreshToken" in read_token(aws_env.home)


def test_pkce_denied_in_the_browser(aws_env: AwsEnv) -> None:
    control(aws_env, "deny", {"deny": True})
    result = run_shellsso("login", "--profile", "dev")
    assert result.returncode == 1
    assert "denied in the browser" in result.stderr.splitlines()[-1]
    assert not token_path(aws_env.home).exists()


def test_sso_session_option(aws_env: AwsEnv) -> None:
    result = run_shellsso("login", "--sso-session", "corp")
    assert result.returncode == 0, result.stderr
    assert "Logged in to SSO session 'corp'" in result.stderr
    assert token_path(aws_env.home).exists()


# --- device code --------------------------------------------------------------------------


def test_device_code_flag(aws_env: AwsEnv) -> None:
    result = run_shellsso("login", "--profile", "dev", "--use-device-code")
    assert result.returncode == 0, result.stderr
    assert f"  {aws_env.url}/device\n" in result.stderr
    assert USER_CODE.search(result.stderr)
    counters = aws_env.counters()
    assert counters.get("StartDeviceAuthorization") == 1 and "Authorize" not in counters
    data = read_token(aws_env.home)
    assert list(data) == TOKEN_FIELDS  # configured scopes: refreshable


def test_ssh_session_uses_the_device_code(aws_env: AwsEnv) -> None:
    env = dict(os.environ, SSH_CONNECTION="10.0.0.1 50000 10.0.0.2 22")
    result = run_shellsso("login", "--profile", "dev", env=env)
    assert result.returncode == 0, result.stderr
    assert USER_CODE.search(result.stderr) and f"{aws_env.url}/device" in result.stderr
    assert aws_env.counters().get("StartDeviceAuthorization") == 1


def test_headless_no_browser_device_flow_approved_from_elsewhere(aws_env: AwsEnv) -> None:
    env = dict(os.environ)
    env.pop("BROWSER")  # Linux, no DISPLAY, no BROWSER: headless
    cli = Cli("login", "--profile", "staging", "--no-browser", env=env)
    code = cli.wait_for(r"^  ([A-Z]{4}-[A-Z]{4})$").group(1)
    url = cli.wait_for(r"^  (http\S+/device\?user_code=\S+)$").group(1)
    assert code in url
    cli.wait_for(r"^Waiting for approval\.\.\. the code expires in \d+:\d\d$")
    assert visit(url) == 200
    assert cli.finish() == 0, cli.stderr
    assert "Logged in to SSO session 'corp'" in cli.stderr
    assert aws_env.counters().get("StartDeviceAuthorization") == 1


def test_legacy_profile_gets_a_token_without_refresh(aws_env: AwsEnv) -> None:
    result = run_shellsso("login", "--profile", "legacy")
    assert result.returncode == 0, result.stderr
    assert f"Logged in to {START_URL}, token valid until" in result.stderr
    data = read_token(aws_env.home, START_URL)
    assert list(data) == TOKEN_FIELDS[:-1]  # no refreshToken
    [registration] = registration_files(aws_env.home)
    assert "scopes" not in registration and "grantTypes" not in registration


def test_device_code_denied(aws_env: AwsEnv) -> None:
    control(aws_env, "deny", {"deny": True})
    result = run_shellsso("login", "--profile", "dev", "--use-device-code")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "shellsso: error: the login request was denied in the browser; "
        "to try again: shellsso login --profile dev")


def test_device_code_expires(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from shellsso.emulator import Emulator
    from tests.conftest import write_config

    write_config(home)
    with Emulator(device_code_ttl=2, interval=1) as emu:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", emu.url)
        result = run_shellsso("login", "--profile", "dev", "--use-device-code", "--no-browser")
    assert result.returncode == 1
    last = result.stderr.splitlines()[-1]
    assert re.fullmatch(r"shellsso: error: the code [A-Z]{4}-[A-Z]{4} expired before it was "
                        r"approved; start again: shellsso login --profile dev", last)


def test_slow_down_adds_five_seconds(aws_env: AwsEnv) -> None:
    control(aws_env, "fail", {"operation": "CreateToken", "status": 400, "count": 1,
                              "error": "SlowDownException"})
    env = dict(os.environ, BROWSER="true")  # nobody approves until the test does
    started = time.monotonic()
    cli = Cli("login", "--profile", "dev", "--use-device-code", env=env)
    url = cli.wait_for(r"^  (http\S+/device\?user_code=\S+)$").group(1)
    assert visit(url) == 200
    assert cli.finish() == 0, cli.stderr
    # interval 1 s + 5 s after SlowDown: the second poll comes about six seconds later
    assert time.monotonic() - started >= 6
    assert aws_env.counters()["CreateToken"] == 2


# --- registrations ----------------------------------------------------------------------


def test_cached_registration_is_reused(aws_env: AwsEnv) -> None:
    for _ in range(2):
        assert run_shellsso("login", "--profile", "dev").returncode == 0
    assert aws_env.counters()["RegisterClient"] == 1
    assert aws_env.counters()["Authorize"] == 2


def _break_registration(home: Path) -> None:
    cache = home / ".aws" / "sso" / "cache"
    for path in cache.glob("*.json"):
        data = json.loads(path.read_text())
        if "accessToken" not in data:
            data["clientId"] = "forgotten-by-the-service"
            path.write_text(json.dumps(data))


@pytest.mark.parametrize("flow", [[], ["--use-device-code"]], ids=["pkce", "device"])
def test_invalid_client_registers_again(aws_env: AwsEnv, flow: List[str]) -> None:
    assert run_shellsso("login", "--profile", "dev", *flow).returncode == 0
    _break_registration(aws_env.home)
    result = run_shellsso("login", "--profile", "dev", *flow)
    assert result.returncode == 0, result.stderr
    assert aws_env.counters()["RegisterClient"] == 2
    [registration] = registration_files(aws_env.home)
    assert registration["clientId"] != "forgotten-by-the-service"
    assert read_token(aws_env.home)["clientId"] == registration["clientId"]


# --- failures -----------------------------------------------------------------------------


def test_unreachable_endpoint_is_one_line(aws_env: AwsEnv) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, AWS_ENDPOINT_URL_SSO_OIDC=f"http://127.0.0.1:{port}")
    result = run_shellsso("login", "--profile", "dev", env=env)
    assert result.returncode == 1
    assert one_error_line(result.stderr) == (
        f"shellsso: error: cannot reach the SSO OIDC endpoint http://127.0.0.1:{port}: "
        "Connection refused")


def test_service_error_is_one_line(aws_env: AwsEnv) -> None:
    control(aws_env, "fail", {"operation": "RegisterClient", "status": 500, "count": 10})
    result = run_shellsso("login", "--profile", "dev")
    assert result.returncode == 1
    assert one_error_line(result.stderr) == (
        "shellsso: error: the SSO service answered HTTP 500 (InternalServerException) to "
        "RegisterClient; try again in a moment")


def test_one_transient_500_is_retried(aws_env: AwsEnv) -> None:
    control(aws_env, "fail", {"operation": "RegisterClient", "status": 500, "count": 1})
    result = run_shellsso("login", "--profile", "dev")
    assert result.returncode == 0, result.stderr


def test_profile_without_sso(aws_env: AwsEnv) -> None:
    result = run_shellsso("login", "--profile", "default")
    assert result.returncode == 1
    assert one_error_line(result.stderr) == (
        "shellsso: error: profile 'default' does not use IAM Identity Center (SSO)")
    result = run_shellsso("login", "--profile", "dve")
    assert one_error_line(result.stderr).endswith("(did you mean: dev?)")


def test_ctrl_c_leaves_the_cache_as_it_was(aws_env: AwsEnv) -> None:
    path = write_token(aws_env.home, "corp", expires_in=-60, refresh_token="old-refresh")
    before = path.read_bytes()
    cli = Cli("login", "--profile", "dev", "--use-device-code", "--no-browser")
    cli.wait_for(r"^Waiting for approval")
    cli.proc.send_signal(signal.SIGINT)
    assert cli.finish() == 130
    assert path.read_bytes() == before
    tail = cli.stderr.split("Waiting for approval")[-1].splitlines()[1:]
    assert [line for line in tail if line.strip()] == [
        "shellsso: login cancelled; the token cache is unchanged"]
    assert "Traceback" not in cli.stderr


def test_corrupt_token_file_is_replaced_by_login(aws_env: AwsEnv) -> None:
    path = token_path(aws_env.home)
    path.parent.mkdir(parents=True)
    path.write_text('{"accessToken": ')
    result = run_shellsso("login", "--profile", "dev")
    assert result.returncode == 0, result.stderr
    assert list(read_token(aws_env.home)) == TOKEN_FIELDS
