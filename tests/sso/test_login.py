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
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from tests.conftest import START_URL, AwsEnv, run_shellsso, sha1, write_token

TOKEN_FIELDS = ["startUrl", "region", "accessToken", "expiresAt", "clientId", "clientSecret",
                "registrationExpiresAt", "refreshToken"]
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
USER_CODE = re.compile(r"^  ([A-Z]{4}-[A-Z]{4})$", re.M)


# --- helpers shared by the login, session, status and logout tests ---------------------------


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
        r"token valid until \d\d:\d\d( on \d{4}-\d\d-\d\d)?$", result.stderr, re.M)
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


def test_ssh_session_prints_the_device_code_and_opens_no_browser(aws_env: AwsEnv) -> None:
    # BROWSER stays set (to the stand-in that would approve): over SSH it must not be used.
    env = dict(os.environ, SSH_CONNECTION="10.0.0.1 50000 10.0.0.2 22")
    cli = Cli("login", "--profile", "dev", env=env)
    code = cli.wait_for(r"^  ([A-Z]{4}-[A-Z]{4})$").group(1)
    url = cli.wait_for(r"^  (http\S+/device\?user_code=\S+)$").group(1)
    cli.wait_for(r"^Waiting for approval")
    assert code in url and "VerifyDevice" not in aws_env.counters()
    assert visit(url) == 200
    assert cli.finish() == 0, cli.stderr
    assert "Attempting to open" not in cli.stderr
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


def test_answer_without_this_logins_state_is_ignored(aws_env: AwsEnv, tmp_path: Path) -> None:
    """A redirect that does not carry this login's state neither ends nor completes it."""
    script = tmp_path / "forged-first-browser"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys, urllib.error, urllib.parse, urllib.request\n"
        "query = urllib.parse.parse_qs(urllib.parse.urlsplit(sys.argv[1]).query)\n"
        "try:\n"
        "    urllib.request.urlopen(query['redirect_uri'][0] + '?code=x&state=forged')\n"
        "except urllib.error.HTTPError as err:\n"
        "    assert err.code == 400\n"
        "else:\n"
        "    raise SystemExit('the forged answer was taken')\n"
        "from shellsso.emulator.browser import visit\n"
        "visit(sys.argv[1])\n")
    script.chmod(0o755)
    result = run_shellsso("login", "--profile", "dev", env=dict(os.environ, BROWSER=f"{script} %s"))
    assert result.returncode == 0, result.stderr
    assert "refreshToken" in read_token(aws_env.home)


def test_countdown_is_one_updating_line_on_a_terminal(aws_env: AwsEnv) -> None:
    import pexpect

    child = pexpect.spawn(sys.executable, ["-m", "shellsso", "login", "--profile", "dev",
                                           "--use-device-code", "--no-browser"],
                          env=dict(os.environ), encoding="utf-8", timeout=20)
    child.expect(r"(http\S+/device\?user_code=\S+)")
    url = child.match.group(1)
    child.expect_exact("\r\x1b[KWaiting for approval... the code expires in 9:5")
    child.expect_exact("\r\x1b[KWaiting for approval... the code expires in 9:5")
    assert visit(url) == 200
    child.expect_exact("\r\x1b[KLogged in to SSO session 'corp'")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_no_profile_selected(home: Path) -> None:
    from tests.conftest import write_config

    write_config(home, "[profile a]\nregion = x\n")
    result = run_shellsso("login")
    assert one_error_line(result.stderr) == (
        f"shellsso: error: no profile selected and no [default] profile in "
        f"{home / '.aws' / 'config'}; use --profile PROFILE or --sso-session NAME")


# --- pure pieces --------------------------------------------------------------------------


def test_pkce_verifier_and_challenge() -> None:
    import base64
    import hashlib

    from shellsso.emulator.oidc import pkce_challenge
    from shellsso.sso import pkce

    verifiers = {pkce.make_verifier() for _ in range(50)}
    assert len(verifiers) == 50
    for verifier in verifiers:
        assert re.fullmatch(r"[A-Za-z0-9\-._~]{64}", verifier)
        challenge = pkce.make_challenge(verifier)
        expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        assert challenge == expected.decode().rstrip("=") == pkce_challenge(verifier)
        assert "=" not in challenge and len(challenge) == 43


def test_authorize_url_matches_the_cli() -> None:
    from shellsso.sso import pkce
    url = pkce.authorize_url("https://oidc.us-east-1.amazonaws.com/", "cid",
                             "http://127.0.0.1:34535/oauth/callback", "s-1",
                             ["sso:account:access", "codewhisperer:completions"], "ch_al-lenge")
    assert url == (
        "https://oidc.us-east-1.amazonaws.com/authorize?response_type=code&client_id=cid"
        "&redirect_uri=http%3A%2F%2F127.0.0.1%3A34535%2Foauth%2Fcallback&state=s-1"
        "&code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess+codewhisperer%3Acompletions"
        "&code_challenge=ch_al-lenge")


def test_loopback_takes_only_this_logins_answer() -> None:
    from shellsso.sso import pkce
    def status(url: str) -> int:
        try:
            with urllib.request.urlopen(url) as page:
                assert b"close this tab" in page.read()
                return int(page.status)
        except urllib.error.HTTPError as err:
            return int(err.code)

    with pkce.Loopback("s1") as loopback:
        base = loopback.redirect_uri.rsplit("/oauth/callback", 1)[0]
        assert base.startswith("http://127.0.0.1:")
        assert status(base + "/favicon.ico") == 404
        assert status(loopback.redirect_uri + "?code=c0&state=s2") == 400
        assert status(loopback.redirect_uri + "?error=access_denied") == 400
        assert loopback.wait(timeout=0.3) is None  # nothing recorded yet: times out
        assert status(loopback.redirect_uri + "?code=c1&state=s1") == 200
        result = loopback.wait(timeout=5)
        assert result is not None and (result.code, result.error) == ("c1", None)
        assert status(loopback.redirect_uri + "?error=access_denied&state=s1") == 200
        assert (result.code, result.error) == ("c1", None)  # the first answer counts


@pytest.mark.parametrize(
    ("env", "platform", "headless"),
    [
        ({"SSH_CONNECTION": "1 2 3 4", "DISPLAY": ":0"}, "linux", True),
        ({"SSH_TTY": "/dev/pts/1"}, "darwin", True),
        ({}, "linux", True),
        ({"DISPLAY": ":0"}, "linux", False),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({"BROWSER": "lynx"}, "linux", False),
        ({}, "darwin", False),
        ({}, "win32", False),
    ],
)
def test_headless_detection(env: Dict[str, str], platform: str, headless: bool) -> None:
    from shellsso.sso.browser import is_headless

    assert is_headless(env, platform) is headless


def test_registration_parameters() -> None:
    from shellsso.awsconfig.model import SsoTarget
    from shellsso.sso import oidc

    scoped = SsoTarget("dev", "corp", START_URL, "us-east-1", ("a:b", "c:d"), None, None)
    unscoped = SsoTarget("dev", "corp", START_URL, "us-east-1", None, None, None)
    legacy = SsoTarget("legacy", None, START_URL, "us-east-1", None, None, None)
    assert oidc.registration_scopes(scoped, auth_code=False) == ["a:b", "c:d"]
    assert oidc.registration_scopes(unscoped, auth_code=False) == ["sso:account:access"]
    assert oidc.registration_scopes(unscoped, auth_code=True) == ["sso:account:access"]
    assert oidc.registration_scopes(legacy, auth_code=False) is None
    assert oidc.client_name(scoped) == "botocore-client-corp"
    assert oidc.client_name(legacy, now=1700000000.5) == "botocore-client-1700000000"


def test_browser_chatter_never_reaches_stdout(aws_env: AwsEnv, tmp_path: Path) -> None:
    """Callers may eval our stdout: what a browser command prints must not land there."""
    script = tmp_path / "chatty-browser"
    script.write_text("#!/bin/sh\necho 'Opening in existing browser session.'\n"
                      "echo 'rm -rf ~' >&2\n"
                      f'exec "{sys.executable}" -m shellsso.emulator.browser "$1"\n')
    script.chmod(0o755)
    result = run_shellsso("login", "--profile", "dev",
                          env=dict(os.environ, BROWSER=f"{script} %s"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "Opening in existing" not in result.stderr and "rm -rf" not in result.stderr
