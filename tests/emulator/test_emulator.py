"""The local Identity Center emulator, driven by real boto3/botocore clients over HTTP.

No mocks: every test talks to an Emulator bound to 127.0.0.1, through the same
clients (and, at the end, the same credential provider) that users run.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import shlex
import signal
import stat
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
import webbrowser
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple
from urllib.parse import parse_qs, urlencode, urlsplit

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from shellsso.emulator import Emulator
from shellsso.emulator.oidc import pkce_challenge
from tests.conftest import REPO

START_URL = "https://d-1234567890.awsapps.com/start"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SCOPED = ["sso:account:access"]
FMT = "%Y-%m-%dT%H:%M:%SZ"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(autouse=True)
def _loopback_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never send loopback traffic to a proxy; let subprocesses import shellsso."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(REPO), path) if p))


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(interval=1) as emulator:
        yield emulator


SESSION = boto3.session.Session(region_name="us-east-1")  # shared: loads service models once


def client(emu: Emulator, service: str, **config: Any) -> Any:
    return SESSION.client(
        service, endpoint_url=emu.url, config=Config(signature_version=UNSIGNED, **config)
    )


def register(oidc: Any, scopes: Optional[List[str]] = None, **extra: Any) -> Dict[str, Any]:
    kwargs: Dict[str, Any] = {"clientName": "botocore-client-demo", "clientType": "public"}
    kwargs.update(extra)
    if scopes is not None:
        kwargs["scopes"] = scopes
    result: Dict[str, Any] = oidc.register_client(**kwargs)
    return result


def poll(oidc: Any, reg: Dict[str, Any], auth: Dict[str, Any]) -> Dict[str, Any]:
    result: Dict[str, Any] = oidc.create_token(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"],
        grantType=DEVICE_GRANT, deviceCode=auth["deviceCode"],
    )
    return result


def start_device(oidc: Any, reg: Dict[str, Any]) -> Dict[str, Any]:
    result: Dict[str, Any] = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=START_URL
    )
    return result


def get(url: str, headers: Optional[Dict[str, str]] = None) -> Tuple[int, Any, bytes]:
    """GET without following redirects: (status, headers, body)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def post(url: str, body: Any) -> Tuple[int, Any, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with NO_PROXY.open(request, timeout=10) as r:
            return r.status, r.headers, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, err.headers, json.loads(err.read() or b"null")


def device_login(
    emu: Emulator, scopes: Optional[List[str]] = SCOPED
) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Register, start a device authorization, approve it, return (registration, token)."""
    oidc = client(emu, "sso-oidc")
    reg = register(oidc, scopes)
    auth = start_device(oidc, reg)
    assert emu.approve(auth["userCode"])
    return reg, poll(oidc, reg, auth)


# --- sso-oidc: device code ------------------------------------------------------------


def test_device_flow_pending_then_approved_by_visiting_the_url(emu: Emulator) -> None:
    oidc = client(emu, "sso-oidc")
    reg = register(oidc, SCOPED)
    now = time.time()
    assert abs(reg["clientIdIssuedAt"] - now) < 5  # epoch seconds
    assert 89 * 86400 < reg["clientSecretExpiresAt"] - now <= 90 * 86400

    auth = start_device(oidc, reg)
    assert auth["verificationUri"] == f"{emu.url}/device"
    assert auth["verificationUriComplete"] == f"{emu.url}/device?user_code={auth['userCode']}"
    assert len(auth["userCode"]) == 9 and auth["userCode"][4] == "-"
    assert auth["userCode"].replace("-", "").isalpha() and auth["userCode"].isupper()
    assert (auth["expiresIn"], auth["interval"]) == (600, 1)

    with pytest.raises(oidc.exceptions.AuthorizationPendingException) as pending:
        poll(oidc, reg, auth)
    assert pending.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    status, _, page = get(auth["verificationUriComplete"])
    assert status == 200 and b"Request approved" in page

    token = poll(oidc, reg, auth)
    assert token["tokenType"] == "Bearer" and token["expiresIn"] == 3600
    assert token["accessToken"] and token["refreshToken"]
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        poll(oidc, reg, auth)  # a device code is single-use
    assert emu.counters == {"RegisterClient": 1, "StartDeviceAuthorization": 1,
                            "CreateToken": 3, "VerifyDevice": 1}


def test_device_page_without_code_is_a_form(emu: Emulator) -> None:
    status, headers, page = get(f"{emu.url}/device")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b"<form method='get' action='/device'>" in page and b"name='user_code'" in page
    assert get(f"{emu.url}/device?user_code=ZZZZ-ZZZZ")[0] == 404


def test_polling_like_the_cli_is_fine_hammering_slows_down(emu: Emulator) -> None:
    oidc = client(emu, "sso-oidc")
    reg = register(oidc, SCOPED)
    auth = start_device(oidc, reg)
    for _ in range(2):  # the CLI's pre-check and its immediate first poll
        with pytest.raises(oidc.exceptions.AuthorizationPendingException):
            poll(oidc, reg, auth)
    with pytest.raises(oidc.exceptions.SlowDownException) as slow:
        poll(oidc, reg, auth)
    assert slow.value.response["error"] == "slow_down"


def test_unscoped_registration_gets_no_refresh_token(emu: Emulator) -> None:
    _, token = device_login(emu, scopes=None)
    assert "refreshToken" not in token and token["accessToken"]


def test_expired_denied_and_auto_approved_device_codes() -> None:
    with Emulator(device_code_ttl=0) as emu:
        oidc = client(emu, "sso-oidc")
        reg = register(oidc, SCOPED)
        with pytest.raises(oidc.exceptions.ExpiredTokenException):
            poll(oidc, reg, start_device(oidc, reg))

    with Emulator() as emu:
        oidc = client(emu, "sso-oidc")
        reg = register(oidc, SCOPED)
        auth = start_device(oidc, reg)
        assert post(f"{emu.url}/_emulator/deny", {"deny": True})[2] == {"denyNext": True}
        assert b"Request denied" in get(auth["verificationUriComplete"])[2]
        with pytest.raises(oidc.exceptions.AccessDeniedException):
            poll(oidc, reg, auth)
        # approve-all approves what is pending, and only that
        pending = [start_device(oidc, reg) for _ in range(2)]
        assert post(f"{emu.url}/_emulator/approve-all", {})[2] == {"approved": 2}
        assert all(poll(oidc, reg, auth)["accessToken"] for auth in pending)

    with Emulator(auto_approve=True) as emu:
        oidc = client(emu, "sso-oidc")
        reg = register(oidc, SCOPED)
        assert poll(oidc, reg, start_device(oidc, reg))["refreshToken"]


def test_refresh_rotates_and_the_old_refresh_token_dies(emu: Emulator) -> None:
    oidc = client(emu, "sso-oidc")
    reg, first = device_login(emu)

    def refresh(token: str) -> Dict[str, Any]:
        result: Dict[str, Any] = oidc.create_token(
            clientId=reg["clientId"], clientSecret=reg["clientSecret"],
            grantType="refresh_token", refreshToken=token,
        )
        return result

    second = refresh(first["refreshToken"])
    assert second["refreshToken"] != first["refreshToken"]
    assert second["accessToken"] != first["accessToken"]
    with pytest.raises(oidc.exceptions.InvalidGrantException) as dead:
        refresh(first["refreshToken"])
    assert dead.value.response["error_description"] == "Invalid refresh token provided"
    assert refresh(second["refreshToken"])["accessToken"]


def test_unknown_client_is_invalid_client_with_401(emu: Emulator) -> None:
    oidc = client(emu, "sso-oidc")
    with pytest.raises(oidc.exceptions.InvalidClientException) as err:
        oidc.start_device_authorization(clientId="nope", clientSecret="nope", startUrl=START_URL)
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    assert err.value.response["error"] == "invalid_client"


def test_error_wire_format_matches_the_real_services(emu: Emulator) -> None:
    reg = register(client(emu, "sso-oidc"), SCOPED)
    status, headers, body = post(f"{emu.url}/token", {
        "clientId": reg["clientId"], "clientSecret": reg["clientSecret"],
        "grantType": "refresh_token", "refreshToken": "dead"})
    assert status == 400
    assert headers["x-amzn-ErrorType"] == (
        "InvalidGrantException:http://internal.amazon.com/coral/com.amazonaws.sso.oidc/")
    assert body == {"error": "invalid_grant", "error_description": "Invalid refresh token provided"}

    status, headers, raw = get(f"{emu.url}/federation/credentials?role_name=x&account_id=1",
                               {"x-amz-sso_bearer_token": "dead"})
    assert status == 401 and headers["x-amzn-ErrorType"] == "UnauthorizedException"
    assert json.loads(raw) == {
        "message": "Session token not found or invalid",
        "__type": "com.amazonaws.switchboard.portal#UnauthorizedException"}


# --- sso-oidc: PKCE authorization code ----------------------------------------------------


class Loopback(http.server.HTTPServer):
    """The login tool's callback server, answering every GET like the AWS CLI's."""

    def __init__(self) -> None:
        self.queries: List[Dict[str, List[str]]] = []
        loop = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                loop.queries.append(parse_qs(urlsplit(self.path).query))
                body = b"<html>done</html>"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.timeout = 10

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/oauth/callback"


def pkce_registration(oidc: Any) -> Dict[str, Any]:
    return register(oidc, SCOPED, grantTypes=["authorization_code", "refresh_token"],
                    redirectUris=["http://127.0.0.1/oauth/callback"], issuerUrl=START_URL)


def authorize_url(emu: Emulator, reg: Dict[str, Any], redirect_uri: str, verifier: str) -> str:
    query = urlencode({"response_type": "code", "client_id": reg["clientId"],
                       "redirect_uri": redirect_uri, "state": "st-1",
                       "code_challenge_method": "S256", "scopes": "sso:account:access"})
    return f"{emu.url}/authorize?{query}&code_challenge={pkce_challenge(verifier)}"


def test_pkce_flow_through_webbrowser_and_the_browser_stand_in(emu: Emulator) -> None:
    oidc = client(emu, "sso-oidc")
    reg = pkce_registration(oidc)
    verifier = "v" * 64
    with Loopback() as loopback:  # registered port-less, used with a port: must match
        url = authorize_url(emu, reg, loopback.redirect_uri, verifier)
        # The AWS CLI's order: open the browser first, then serve the callback.
        command = f"{shlex.quote(sys.executable)} -m shellsso.emulator.browser %s"
        started = time.monotonic()
        assert webbrowser.get(command).open(url)  # GenericBrowser: waits for the command
        assert time.monotonic() - started < 5  # ... which detached instead of blocking
        loopback.handle_request()
    [query] = loopback.queries
    assert query["state"] == ["st-1"] and "error" not in query
    code = query["code"][0]

    def exchange(redirect_uri: str, code_verifier: str) -> Dict[str, Any]:
        result: Dict[str, Any] = oidc.create_token(
            clientId=reg["clientId"], clientSecret=reg["clientSecret"],
            grantType="authorization_code", redirectUri=redirect_uri,
            codeVerifier=code_verifier, code=code)
        return result

    with pytest.raises(oidc.exceptions.InvalidGrantException):
        exchange(loopback.redirect_uri, "w" * 64)  # wrong PKCE verifier
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        exchange("http://127.0.0.1:1/oauth/callback", verifier)  # not the /authorize one
    token = exchange(loopback.redirect_uri, verifier)
    assert token["accessToken"] and token["refreshToken"]
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        exchange(loopback.redirect_uri, verifier)  # codes are single-use
    assert emu.counters["Authorize"] == 1


def test_authorize_rejects_foreign_redirects_and_honours_deny(emu: Emulator) -> None:
    oidc = client(emu, "sso-oidc")
    reg = pkce_registration(oidc)
    for bad in ("http://evil.example/oauth/callback", "http://127.0.0.1:5000/other"):
        status, headers, page = get(authorize_url(emu, reg, bad, "v" * 64))
        assert status == 400 and "Location" not in headers
        assert b"Invalid redirect URI" in page

    emu.deny_next()
    redirect = "http://127.0.0.1:43037/oauth/callback"
    status, headers, _ = get(authorize_url(emu, reg, redirect, "v" * 64))
    assert status == 302
    assert headers["Location"] == f"{redirect}?error=access_denied&state=st-1"
    status, headers, _ = get(authorize_url(emu, reg, redirect, "v" * 64))  # one-shot
    assert status == 302 and "code=" in headers["Location"]


def test_browser_stand_in_wait_mode_approves_a_device_code(emu: Emulator) -> None:
    oidc = client(emu, "sso-oidc")
    reg = register(oidc, SCOPED)
    auth = start_device(oidc, reg)
    done = subprocess.run(
        [sys.executable, "-m", "shellsso.emulator.browser", "--wait",
         auth["verificationUriComplete"]], capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stderr) == (0, "")
    assert poll(oidc, reg, auth)["accessToken"]
    missing = subprocess.run(
        [sys.executable, "-m", "shellsso.emulator.browser", "--wait",
         f"{emu.url}/device?user_code=ZZZZ-ZZZZ"], capture_output=True, text=True, timeout=30)
    assert missing.returncode == 1 and "user_code" not in missing.stderr  # no codes in logs


# --- sso portal ----------------------------------------------------------------------------


def test_list_accounts_paginates_with_botocore(emu: Emulator) -> None:
    _, token = device_login(emu)
    sso = client(emu, "sso")
    pages = list(sso.get_paginator("list_accounts").paginate(
        accessToken=token["accessToken"], PaginationConfig={"PageSize": 1}))
    accounts = [a for page in pages for a in page["accountList"]]
    assert [(a["accountId"], a["accountName"], a["emailAddress"]) for a in accounts] == [
        ("111111111111", "dev", "dev@example.com"),
        ("222222222222", "staging", "staging@example.com"),
        ("333333333333", "prod", "prod@example.com"),
        ("444444444444", "sandbox", "sandbox@example.com"),
    ]
    assert len(pages) == 4 and emu.counters["ListAccounts"] == 4
    assert "nextToken" not in sso.list_accounts(accessToken=token["accessToken"])

    roles = sso.list_account_roles(accessToken=token["accessToken"], accountId="333333333333")
    assert [r["roleName"] for r in roles["roleList"]] == ["ReadOnlyAccess", "AdministratorAccess"]
    with pytest.raises(sso.exceptions.ResourceNotFoundException) as missing:
        sso.list_account_roles(accessToken=token["accessToken"], accountId="999999999999")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_role_credentials_expire_in_milliseconds_an_hour_out(emu: Emulator) -> None:
    _, token = device_login(emu)
    sso = client(emu, "sso")
    before = time.time()
    creds = sso.get_role_credentials(accessToken=token["accessToken"],
                                     accountId="111111111111", roleName="AdministratorAccess")
    role = creds["roleCredentials"]
    assert role["accessKeyId"].startswith("ASIA") and len(role["accessKeyId"]) == 20
    assert role["secretAccessKey"] and role["sessionToken"]
    assert role["expiration"] >= (before + 3600) * 1000 - 1000  # ms, >= 1 h
    assert role["expiration"] <= (time.time() + 3600) * 1000
    assert emu.issued_access_key_ids == [role["accessKeyId"]]
    with pytest.raises(sso.exceptions.ResourceNotFoundException):
        sso.get_role_credentials(accessToken=token["accessToken"],
                                 accountId="444444444444", roleName="ReadOnlyAccess")


def test_rogue_portal_answers_with_chosen_credential_fields(emu: Emulator) -> None:
    _, token = device_login(emu)
    sso = client(emu, "sso")
    hostile = {"accessKeyId": "AKIA\u0000", "secretAccessKey": "; touch PWNED; echo "}
    assert post(f"{emu.url}/_emulator/credentials", {"credentials": hostile})[2] == {
        "credentials": ["accessKeyId", "secretAccessKey"]}
    role = sso.get_role_credentials(accessToken=token["accessToken"], accountId="111111111111",
                                    roleName="AdministratorAccess")["roleCredentials"]
    assert {k: role[k] for k in hostile} == hostile and role["sessionToken"]
    assert post(f"{emu.url}/_emulator/credentials", {"credentials": [1]})[0] == 400
    emu.serve_credentials(None)
    role = sso.get_role_credentials(accessToken=token["accessToken"], accountId="111111111111",
                                    roleName="AdministratorAccess")["roleCredentials"]
    assert role["accessKeyId"].startswith("ASIA")


def test_logout_kills_the_session(emu: Emulator) -> None:
    reg, token = device_login(emu)
    sso = client(emu, "sso")
    sso.logout(accessToken=token["accessToken"])
    with pytest.raises(sso.exceptions.UnauthorizedException) as err:
        sso.get_role_credentials(accessToken=token["accessToken"],
                                 accountId="111111111111", roleName="AdministratorAccess")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    oidc = client(emu, "sso-oidc")
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                          grantType="refresh_token", refreshToken=token["refreshToken"])


def test_expire_tokens_forces_a_refresh(emu: Emulator) -> None:
    reg, token = device_login(emu)
    sso = client(emu, "sso")
    assert post(f"{emu.url}/_emulator/expire-tokens", {})[2] == {"expired": 1}
    with pytest.raises(sso.exceptions.UnauthorizedException):
        sso.list_accounts(accessToken=token["accessToken"])
    fresh = client(emu, "sso-oidc").create_token(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"],
        grantType="refresh_token", refreshToken=token["refreshToken"])
    assert sso.list_accounts(accessToken=fresh["accessToken"])["accountList"]


# --- controls, failures, persistence -----------------------------------------------------------


def test_injected_500_surfaces_after_botocore_retries(emu: Emulator) -> None:
    reg = register(client(emu, "sso-oidc"), SCOPED)
    assert post(f"{emu.url}/_emulator/fail",
                {"operation": "StartDeviceAuthorization", "status": 500, "count": 1})[0] == 200
    once = client(emu, "sso-oidc", retries={"total_max_attempts": 1, "mode": "standard"})
    with pytest.raises(once.exceptions.InternalServerException) as err:
        start_device(once, reg)
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500

    emu.inject_failure("StartDeviceAuthorization", 500, count=1)
    twice = client(emu, "sso-oidc", retries={"total_max_attempts": 2, "mode": "standard"})
    assert start_device(twice, reg)["deviceCode"]  # retried through the failure
    status, _, stats = get(f"{emu.url}/_emulator/stats")
    assert status == 200 and json.loads(stats)["StartDeviceAuthorization"] == 3
    status, _, body = post(f"{emu.url}/_emulator/fail", {"operation": "CreateTokn"})
    assert status == 400 and "unknown operation" in body["message"]


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state_file = tmp_path / "state" / "emulator.json"
    with Emulator(state_file=str(state_file)) as emu:
        reg, token = device_login(emu)
        sso = client(emu, "sso")  # keeps a pooled keep-alive connection to this server
        assert sso.list_accounts(accessToken=token["accessToken"])["accountList"]
        port = emu.port
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    assert sorted(p.name for p in state_file.parent.iterdir()) == ["emulator.json"]

    with Emulator(port=port, state_file=str(state_file)) as emu:  # same port, same client
        assert sso.list_accounts(accessToken=token["accessToken"])["accountList"]
        assert emu.counters == {"ListAccounts": 1}  # served by the new emulator
        oidc = client(emu, "sso-oidc")
        fresh = oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                                  grantType="refresh_token", refreshToken=token["refreshToken"])
        assert fresh["refreshToken"]
        assert start_device(oidc, reg)["deviceCode"]  # the registration is still known

    with Emulator() as emu:  # without persistence the client is forgotten (docs/protocol.md §3.4)
        oidc = client(emu, "sso-oidc")
        with pytest.raises(oidc.exceptions.InvalidClientException):
            start_device(oidc, reg)


# --- botocore's own SSO credential provider -------------------------------------------------

BOTOCORE_SCRIPT = textwrap.dedent("""
    import json, os
    import boto3  # imported after HOME was set: botocore reads ~ at import time
    creds = boto3.Session(profile_name="dev").get_credentials()
    frozen = creds.get_frozen_credentials()
    print(json.dumps({"method": creds.method, "key": frozen.access_key,
                      "secret": frozen.secret_key, "token": frozen.token}))
""")


def test_botocore_sso_provider_refreshes_and_fetches_credentials(
    emu: Emulator, tmp_path: Path
) -> None:
    reg, token = device_login(emu)
    home = tmp_path / "home"
    cache = home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    config = home / ".aws" / "config"
    config.write_text(textwrap.dedent(f"""\
        [sso-session demo]
        sso_start_url = {START_URL}
        sso_region = us-east-1
        sso_registration_scopes = sso:account:access

        [profile dev]
        sso_session = demo
        sso_account_id = 111111111111
        sso_role_name = AdministratorAccess
        region = us-east-1
    """))
    token_file = cache / (hashlib.sha1(b"demo").hexdigest() + ".json")
    old_expiry = time.strftime(FMT, time.gmtime(time.time() + 300))  # inside the 15 min window
    token_file.write_text(json.dumps({
        "startUrl": START_URL, "region": "us-east-1", "accessToken": token["accessToken"],
        "expiresAt": old_expiry, "clientId": reg["clientId"],
        "clientSecret": reg["clientSecret"],
        "registrationExpiresAt": time.strftime(FMT, time.gmtime(reg["clientSecretExpiresAt"])),
        "refreshToken": token["refreshToken"],
    }))
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(home),
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
        "AWS_ENDPOINT_URL_SSO_OIDC": emu.url, "AWS_ENDPOINT_URL_SSO": emu.url,
        "AWS_EC2_METADATA_DISABLED": "true", "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
    }
    before = emu.counters
    done = subprocess.run([sys.executable, "-c", BOTOCORE_SCRIPT], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["method"] == "sso"
    assert emu.issued_access_key_ids == [result["key"]]
    after = emu.counters
    assert after["CreateToken"] == before["CreateToken"] + 1  # one refresh
    assert after["GetRoleCredentials"] == 1

    written = json.loads(token_file.read_text())
    assert written["accessToken"] != token["accessToken"]
    assert written["refreshToken"] != token["refreshToken"]
    assert written["expiresAt"] > old_expiry
    sso = client(emu, "sso")
    assert sso.list_accounts(accessToken=written["accessToken"])["accountList"]


# --- command line ------------------------------------------------------------------------------


def test_cli_prints_url_and_config_and_exits_cleanly(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "shellsso.emulator", "--quiet", "--state",
         str(tmp_path / "s.json")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        url = first.split(" listening on ")[1].split()[0]
        assert url.startswith("http://127.0.0.1:")
        status, _, stats = get(f"{url}/_emulator/stats")
        assert (status, json.loads(stats)) == (200, {})
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    assert proc.stdout is not None and proc.stderr is not None
    out, err = first + proc.stdout.read(), proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == 0 and "Traceback" not in err
    assert f"export AWS_ENDPOINT_URL_SSO_OIDC={url}" in out
    assert f"export AWS_ENDPOINT_URL_SSO={url}" in out
    assert "[sso-session demo]" in out and "sso_registration_scopes = sso:account:access" in out
    for name in ("dev", "staging", "prod", "sandbox"):
        assert f"[profile {name}]" in out


@pytest.mark.parametrize("port", ["99999", "65536", "-1", "http"])
def test_cli_rejects_a_bad_port_with_a_usage_error(port: str) -> None:
    for argv in (["-m", "shellsso", "emulator"], ["-m", "shellsso.emulator"]):
        result = subprocess.run(
            [sys.executable, *argv, "--port", port],
            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        assert result.returncode == 2, result.stderr
        assert "usage:" in result.stderr
        assert "error: argument --port: invalid port" in result.stderr
        assert "0-65535" in result.stderr or "not a number" in result.stderr
        assert "Traceback" not in result.stderr and "OverflowError" not in result.stderr
        assert result.stdout == ""


def test_cli_port_in_use_is_one_clear_line() -> None:
    with Emulator(interval=1) as busy:
        port = busy.port
        result = subprocess.run(
            [sys.executable, "-m", "shellsso", "emulator", "--quiet", "--port", str(port)],
            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"shellsso emulator: cannot listen on 127.0.0.1:{port}: Address already in use"]
    assert result.stdout == ""


def test_run_turns_any_bind_failure_into_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """`run` called with a Namespace that skipped the option check (an out-of-range port
    makes bind() raise OverflowError, not OSError) still fails in one line."""
    import argparse

    from shellsso.emulator.cli import run
    from shellsso.emulator.options import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--quiet"])
    args.port = 99999
    assert run(args) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "shellsso emulator: cannot listen on 127.0.0.1:99999: bind(): port must be 0-65535\n")
