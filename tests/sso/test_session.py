"""session.py: token states, silent refresh like botocore, ensure_token's rules.

Refreshes go over HTTP to the emulator with real boto3; the refresh tokens
come from a real device-code login, done here the way the AWS CLI does it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict

import pytest

from shellsso.awsconfig.model import SsoTarget, load_config
from shellsso.core.errors import LoginRequired, NetworkError
from shellsso.sso import session
from tests.conftest import START_URL, AwsEnv, run_shellsso, sha1, write_token
from tests.sso.test_login import TOKEN_FIELDS, control, read_token, token_path

BOTOCORE_FIELDS = TOKEN_FIELDS  # botocore's write-back has the same eight, in this order


def target(name: str = "dev") -> SsoTarget:
    found = load_config().sso_target(name)
    assert found is not None
    return found


def cli_style_login(env: AwsEnv, scopes: bool = True) -> Dict[str, Any]:
    """A device-code login done directly with boto3, as the AWS CLI does it."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    client = boto3.session.Session().client(
        "sso-oidc", region_name="us-east-1", endpoint_url=env.url,
        config=Config(signature_version=UNSIGNED))
    extra = {"scopes": ["sso:account:access"]} if scopes else {}
    reg = client.register_client(clientName="botocore-client-corp", clientType="public", **extra)
    auth = client.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=START_URL)
    assert env.emulator.approve(auth["userCode"])
    token = client.create_token(
        grantType="urn:ietf:params:oauth:grant-type:device_code", clientId=reg["clientId"],
        clientSecret=reg["clientSecret"], deviceCode=auth["deviceCode"])
    return {"client_id": reg["clientId"], "client_secret": reg["clientSecret"],
            "access_token": token["accessToken"], "refresh_token": token.get("refreshToken")}


# --- token_state --------------------------------------------------------------------------


def test_token_state_none(aws_env: AwsEnv) -> None:
    assert session.token_state(target()) == ("none", None)


@pytest.mark.parametrize(
    ("expires_in", "refresh", "expected"),
    [
        (3600, None, "valid"),
        (3600, "r", "valid"),
        (300, None, "expiring"),
        (300, "r", "refreshable"),
        (-60, "r", "refreshable"),
        (-60, None, "expired"),
    ],
)
def test_token_states(aws_env: AwsEnv, expires_in: float, refresh: Any, expected: str) -> None:
    write_token(aws_env.home, "corp", expires_in, refresh_token=refresh)
    state, token = session.token_state(target())
    assert state == expected and token is not None


def test_expired_registration_is_not_refreshable(aws_env: AwsEnv) -> None:
    write_token(aws_env.home, "corp", -60, refresh_token="r", registration_expires_in=-1)
    assert session.token_state(target())[0] == "expired"


def test_legacy_tokens_are_never_refreshable(aws_env: AwsEnv) -> None:
    write_token(aws_env.home, START_URL, 300, refresh_token="r")
    assert session.token_state(target("legacy"))[0] == "expiring"


@pytest.mark.parametrize("content", ["", "{not json", "[1, 2]", '{"accessToken": 5}',
                                     '{"accessToken": "a", "expiresAt": "tomorrow"}'])
def test_corrupt_token_file_counts_as_none_with_one_warning(
    aws_env: AwsEnv, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    path = token_path(aws_env.home)
    path.parent.mkdir(parents=True)
    path.write_text(content)
    assert session.token_state(target()) == ("none", None)
    assert session.get_token(target()) is None
    warnings = capsys.readouterr().err.splitlines()
    assert warnings and all(w.startswith("shellsso: warning: ") for w in warnings)
    assert len(set(warnings)) == 1 and str(path) in warnings[0]
    assert aws_env.counters() == {}


def test_old_utc_timestamps_are_read(aws_env: AwsEnv) -> None:
    path = write_token(aws_env.home, "corp", 3600)
    data = json.loads(path.read_text())
    data["expiresAt"] = data["expiresAt"].replace("Z", "UTC")
    path.write_text(json.dumps(data))
    assert session.token_state(target())[0] == "valid"


# --- get_token ------------------------------------------------------------------------------


def test_valid_token_needs_no_network_and_no_boto3(aws_env: AwsEnv) -> None:
    write_token(aws_env.home, "corp", 3600)
    code = ("import sys; from shellsso.sso import session;"
            "from shellsso.awsconfig.model import load_config;"
            "t = session.get_token(load_config().sso_target('dev'));"
            "print(t.access_token, sorted({m.split('.')[0] for m in sys.modules}"
            " & {'boto3', 'botocore', 'urllib3'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ), check=True)
    assert out.stdout.strip() == "test-access-token []"
    assert aws_env.counters() == {}


def test_refresh_rewrites_the_file_like_botocore(aws_env: AwsEnv) -> None:
    real = cli_style_login(aws_env)
    path = write_token(aws_env.home, "corp", 300, **real)
    data = json.loads(path.read_text())
    data["extra"] = "dropped on write-back, as botocore does"
    path.write_text(json.dumps(data))
    token = session.get_token(target())
    assert token is not None and token.access_token != real["access_token"]
    assert token.remaining() > 3000
    new = read_token(aws_env.home)
    assert list(new) == BOTOCORE_FIELDS
    assert new["accessToken"] == token.access_token
    assert new["refreshToken"] not in (None, real["refresh_token"])
    assert new["clientId"] == real["client_id"]
    assert new["registrationExpiresAt"] == data["registrationExpiresAt"]
    assert aws_env.counters()["CreateToken"] == 2  # the login's and the refresh
    # the next call finds the fresh token: no second refresh
    assert session.get_token(target()) == token
    assert aws_env.counters()["CreateToken"] == 2


def test_expired_token_is_refreshed(aws_env: AwsEnv) -> None:
    real = cli_style_login(aws_env)
    write_token(aws_env.home, "corp", -600, **real)
    token = session.get_token(target("staging"))
    assert token is not None and token.is_valid(margin=3000)


def test_invalid_grant_means_login_required(
    aws_env: AwsEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = cli_style_login(aws_env)
    real["refresh_token"] = "revoked-refresh-token"
    write_token(aws_env.home, "corp", -60, **real)
    assert session.get_token(target()) is None
    # the dead refresh token is dropped, so nothing tries it again
    assert "refreshToken" not in read_token(aws_env.home)
    assert session.token_state(target())[0] == "expired"
    monkeypatch.setenv("SHELLSSO_AUTO_LOGIN", "never")
    with pytest.raises(LoginRequired) as caught:
        session.ensure_token(target())
    assert caught.value.message == (
        "SSO session 'corp' has expired; run: shellsso login --profile dev")
    assert caught.value.status == 3


def test_network_error_keeps_the_old_token_with_a_warning(
    aws_env: AwsEnv, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", "http://127.0.0.1:1")
    path = write_token(aws_env.home, "corp", 300, refresh_token="r")
    before = path.read_bytes()
    token = session.get_token(target())
    assert token is not None and token.access_token == "test-access-token"
    [warning] = capsys.readouterr().err.splitlines()
    assert warning == ("shellsso: warning: cannot refresh SSO session 'corp': cannot reach the "
                       "SSO OIDC endpoint http://127.0.0.1:1: Connection refused")
    assert path.read_bytes() == before
    # once it has expired, there is nothing left to use: the network is the reason given
    write_token(aws_env.home, "corp", -5, refresh_token="r")
    with pytest.raises(NetworkError) as caught:
        session.get_token(target())
    assert caught.value.message == warning.removeprefix("shellsso: warning: ")


# --- ensure_token ----------------------------------------------------------------------------


def test_ensure_token_not_on_a_terminal_names_the_command(aws_env: AwsEnv) -> None:
    with pytest.raises(LoginRequired) as caught:
        session.ensure_token(target("prod"), interactive=False)
    assert caught.value.message == (
        "no token for SSO session 'corp'; run: shellsso login --profile prod")


def test_ensure_token_always_logs_in(
    aws_env: AwsEnv, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHELLSSO_AUTO_LOGIN", "always")
    token = session.ensure_token(target(), interactive=False)
    assert token.is_valid(margin=3000)
    assert read_token(aws_env.home)["accessToken"] == token.access_token
    assert "Logged in to SSO session 'corp'" in capsys.readouterr().err


def test_ensure_token_asks_on_a_terminal(aws_env: AwsEnv) -> None:
    import pexpect

    code = ("from shellsso.sso import session; from shellsso.awsconfig.model import load_config;"
            "t = session.ensure_token(load_config().sso_target('dev'));"
            "print('GOT', len(t.access_token) > 0)")
    child = pexpect.spawn(sys.executable, ["-c", code], env=dict(os.environ), encoding="utf-8",
                          timeout=20)
    child.expect_exact("Log in to SSO session 'corp' now? [Y/n] ")
    child.sendline("")
    child.expect("GOT True")
    child.expect(pexpect.EOF)
    assert "refreshToken" in read_token(aws_env.home)


def test_ensure_token_answer_no(aws_env: AwsEnv) -> None:
    import pexpect

    code = ("from shellsso.cli import main; from shellsso.sso import session;"
            "from shellsso.awsconfig.model import load_config;"
            "session.ensure_token(load_config().sso_target('dev'))")
    child = pexpect.spawn(sys.executable, ["-c", code], env=dict(os.environ), encoding="utf-8",
                          timeout=20)
    child.expect_exact("[Y/n] ")
    child.sendline("n")
    child.expect("LoginRequired")
    child.expect(pexpect.EOF)
    assert aws_env.counters() == {}


def test_login_cli_locks_in_its_own_cache_not_the_aws_folder(aws_env: AwsEnv) -> None:
    assert run_shellsso("login", "--profile", "dev").returncode == 0
    lock = aws_env.home / ".cache" / "shellsso" / "locks" / f"sso-{sha1('corp')}.lock"
    assert lock.exists() and (lock.stat().st_mode & 0o077) == 0
    assert not Path(str(token_path(aws_env.home)) + ".lock").exists()


def test_slow_refresh_failure_is_a_warning_not_an_error(aws_env: AwsEnv) -> None:
    real = cli_style_login(aws_env)
    write_token(aws_env.home, "corp", 300, **real)
    control(aws_env, "fail", {"operation": "CreateToken", "status": 500, "count": 5})
    started = time.monotonic()
    result = run_shellsso("status", "--profile", "dev")  # no refresh in status: file only
    assert result.returncode == 0 and "refreshed silently" in result.stdout
    code = ("from shellsso.sso import session; from shellsso.awsconfig.model import load_config;"
            "print(session.get_token(load_config().sso_target('dev')).access_token)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ))
    assert out.returncode == 0 and out.stdout.strip() == real["access_token"]
    assert out.stderr.startswith("shellsso: warning: cannot refresh SSO session 'corp': "
                                 "the SSO service answered HTTP 500")
    assert time.monotonic() - started < 10
