"""A hostile portal and a hostile local process against `shellsso login`.

The portal chooses the verification URL that the device-code login opens:
shellsso hands a browser command only an https URL (http on loopback),
never text a browser would read as an option. Any local process can reach
the PKCE loopback: only the callback that carries this login's `state`
ends the wait, whatever else arrives first.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import SSO_REGION, START_URL, AwsEnv
from tests.creds.test_console_attacks import WaitingBrowser, wait_for_file
from tests.sso.test_login import Cli, read_token


def recording_browser(folder: Path) -> tuple[str, Path]:
    """A BROWSER that appends each URL it is given to a log, and does nothing else."""
    log = folder / "opened"
    script = folder / "recording-browser.py"
    script.write_text(f"import sys\nopen({str(log)!r}, 'a').write(sys.argv[1] + '\\n')\n")
    return f"{sys.executable} {script} %s", log


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


# --- the PKCE loopback --------------------------------------------------------------------


def test_forged_callbacks_do_not_end_a_pkce_login(aws_env: AwsEnv, tmp_path: Path) -> None:
    browser = WaitingBrowser(tmp_path)
    cli = Cli("login", "--profile", "dev", env=dict(os.environ, BROWSER=browser.command))
    query = parse_qs(urlsplit(browser.url()).query)
    redirect, state = query["redirect_uri"][0], query["state"][0]
    base = redirect.rsplit("/", 2)[0]
    # Another local process finds the port and answers first, in every way it can.
    forged = {
        redirect + "?error=access_denied&state=forged": 400,
        redirect + "?error=access_denied": 400,
        redirect + "?code=stolen&state=": 400,
        redirect + f"?state={state}": 400,  # the right state, but neither code nor error
        f"{base}/?error=access_denied&state={state}": 404,
        f"{base}/oauth/callback/?error=access_denied&state={state}": 404,
    }
    for url, status in forged.items():
        assert http_status(url) == status, url
    assert cli.proc.poll() is None, cli.stderr  # still waiting for the real answer
    browser.go()
    assert browser.status() == 200
    assert cli.finish() == 0, cli.stderr
    assert "Logged in to SSO session 'corp'" in cli.stderr
    assert "refreshToken" in read_token(aws_env.home)


# --- the device code's verification URL ----------------------------------------------------


def scripted_device_code(env: AwsEnv, **fields: str) -> Dict[str, Any]:
    """The portal's answer to StartDeviceAuthorization, with `fields` replaced.

    The client and the device code are real ones of the emulator's, so the
    login still completes once the test approves the code.
    """
    import boto3

    client = boto3.session.Session().client("sso-oidc", region_name=SSO_REGION)
    registration = client.register_client(clientName="botocore-client-corp",
                                          clientType="public", scopes=["sso:account:access"])
    registration.pop("ResponseMetadata")
    auth = client.start_device_authorization(
        clientId=registration["clientId"], clientSecret=registration["clientSecret"],
        startUrl=START_URL)
    auth.pop("ResponseMetadata")
    emulator: Any = env.emulator
    emulator.script("RegisterClient", registration)
    emulator.script("StartDeviceAuthorization", {**auth, **fields})
    return dict(auth)


def test_verification_url_that_is_an_option_is_never_opened(
    aws_env: AwsEnv, tmp_path: Path
) -> None:
    auth = scripted_device_code(aws_env, verificationUriComplete="--remote-debugging-port=9222")
    command, log = recording_browser(tmp_path)
    cli = Cli("login", "--profile", "dev", "--use-device-code",
              env=dict(os.environ, BROWSER=command))
    opened = wait_for_file(log)
    assert aws_env.emulator.approve(auth["userCode"])
    assert cli.finish() == 0, cli.stderr
    # The page without the code is opened instead; the user types the code shown.
    assert opened == auth["verificationUri"] + "\n"
    assert (
        "shellsso: warning: not opening the URL that fills in the code: it starts with '-', "
        "which a browser reads as an option; enter the code at the URL above\n") in cli.stderr
    assert "Logged in to SSO session 'corp'" in cli.stderr


def test_hostile_verification_urls_are_shown_safely_and_not_opened(
    aws_env: AwsEnv, tmp_path: Path
) -> None:
    auth = scripted_device_code(
        aws_env, verificationUri="http://evil.example/device\x1b]2;owned\x07",
        verificationUriComplete="javascript:alert(1)\n  rm -rf ~")
    command, log = recording_browser(tmp_path)
    cli = Cli("login", "--profile", "dev", "--use-device-code",
              env=dict(os.environ, BROWSER=command))
    cli.wait_for(r"^Waiting for approval")
    assert aws_env.emulator.approve(auth["userCode"])
    assert cli.finish() == 0, cli.stderr
    text = cli.stderr
    assert "\x1b" not in text and "\x07" not in text
    assert "\n  http://evil.example/device?]2;owned?\n" in text
    assert "\n  javascript:alert(1)?  rm -rf ~\n" in text
    assert "Attempting to open" not in text
    assert (
        "shellsso: warning: not opening a browser: the SSO service's verification URL holds "
        "spaces, control or non-ASCII characters; open it by hand if you trust it\n") in text
    assert not log.exists()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("--remote-debugging-port=9222", "starts with '-', which a browser reads as an option"),
        ("-https://portal.example/", "starts with '-', which a browser reads as an option"),
        ("javascript:alert(1)", "is not an https URL (or http on 127.0.0.1)"),
        ("file:///etc/passwd", "is not an https URL (or http on 127.0.0.1)"),
        ("http://device.example/", "is not an https URL (or http on 127.0.0.1)"),
        ("https:///no-host", "is not an https URL (or http on 127.0.0.1)"),
        ("https://a.example/ x", "holds spaces, control or non-ASCII characters"),
        ("https://a.example/\x1b[2J", "holds spaces, control or non-ASCII characters"),
        ("https://a.example/\u202e", "holds spaces, control or non-ASCII characters"),
        ("https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH", None),
        ("http://127.0.0.1:8080/device", None),
        ("http://localhost:8080/device", None),
        ("http://[::1]:8080/device", None),
    ],
)
def test_every_opened_url_passes_one_check(url: str, problem: str) -> None:
    from shellsso.sso.browser import url_problem

    assert url_problem(url) == problem
