"""`shellsso console`: the federation sign-in, end to end against the emulator.

The emulator issues the role credentials (GetRoleCredentials, and AssumeRole
for chains through its STS), checks them again in getSigninToken, and answers
the login URL with a page naming the account, the role and the destination:
each test fetches the printed URL as a browser would.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Tuple
from urllib.parse import parse_qsl, urlsplit

import pytest

from shellsso.creds import console_urls
from shellsso.emulator.browser import page_target
from tests.conftest import DEMO_CONFIG, START_URL, AwsEnv, run_shellsso, write_config
from tests.creds.test_rolecreds import emulator_login, one_error_line, write_cli_role_cache

CONSOLE_CONFIG = """
[profile chained]
role_arn = arn:aws:iam::222222222222:role/Deployer
source_profile = dev
region = eu-central-1

[profile keys]
aws_access_key_id = AKIALONGTERMKEY00001
aws_secret_access_key = long-term-secret-value
region = us-east-1
"""


@pytest.fixture
def console_env(aws_env: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> AwsEnv:
    """The demo config plus a chain and static keys; sign-in and STS at the emulator."""
    write_config(aws_env.home, DEMO_CONFIG + CONSOLE_CONFIG)
    monkeypatch.setenv("SHELLSSO_SIGNIN_URL", aws_env.url + "/federation")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", aws_env.url)
    return aws_env


def printed_url(*args: str) -> str:
    result = run_shellsso("console", "--print", *args)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    return lines[0]


def query(url: str) -> Dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def visit(url: str) -> Tuple[int, str]:
    """GET the URL as a browser would: status and page."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def cell(page: str, name: str) -> str:
    """A cell of the landing page's table (its id is the row name)."""
    start = page.index(f"<td id='{name}'>") + len(f"<td id='{name}'>")
    import html

    return html.unescape(page[start:page.index("</td>", start)])


def test_round_trip_signs_in_as_the_profile(console_env: AwsEnv) -> None:
    emulator_login(console_env)
    url = printed_url("--profile", "dev")
    assert url.startswith(console_env.url + "/federation?")
    params = query(url)
    assert list(params) == ["Action", "Issuer", "Destination", "SigninToken"]
    assert params["Action"] == "login" and params["Issuer"] == START_URL
    home = "https://us-west-2.console.aws.amazon.com/console/home?region=us-west-2"
    assert params["Destination"] == home
    assert console_env.counters()["GetSigninToken"] == 1

    status, page = visit(url)
    assert status == 200
    assert cell(page, "account") == "111111111111 (dev)"
    assert cell(page, "role") == "AdministratorAccess"
    assert cell(page, "destination") == home
    assert cell(page, "session") == "default length"  # no --duration: no SessionDuration
    assert visit(url)[0] == 400  # the sign-in URL works once

    # The credentials came from the CLI cache the second time, as export takes them.
    url = printed_url("--profile", "dev", "--service", "s3", "--duration", "90")
    assert console_env.counters()["GetRoleCredentials"] == 1
    status, page = visit(url)
    assert status == 200
    assert cell(page, "destination") == "https://console.aws.amazon.com/s3/home?region=us-west-2"
    assert cell(page, "session") == "5400 seconds"


def test_destination_kept_and_checked(console_env: AwsEnv) -> None:
    emulator_login(console_env)
    wanted = "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#Instances:"
    url = printed_url("--profile", "staging", "--destination", wanted)
    assert query(url)["Destination"] == wanted
    assert cell(visit(url)[1], "destination") == wanted

    for bad in ("http://console.aws.amazon.com/s3", "https://evil.example/console.aws.amazon.com",
                "https://console.aws.amazon.com.evil.example/", "javascript:alert(1)",
                "https://console.amazonaws.cn/s3/home"):
        result = run_shellsso("console", "--profile", "dev", "--print", "--destination", bad)
        assert result.returncode == 2
        assert "--destination must be an https URL of the AWS console" in one_error_line(result)
    assert console_env.counters()["GetSigninToken"] == 1


@pytest.mark.parametrize(
    ("region", "signin", "home", "s3"),
    [
        ("us-east-1", "https://signin.aws.amazon.com/federation",
         "https://us-east-1.console.aws.amazon.com/console/home?region=us-east-1",
         "https://console.aws.amazon.com/s3/home?region=us-east-1"),
        ("eu-west-2", "https://eu-west-2.signin.aws.amazon.com/federation",
         "https://eu-west-2.console.aws.amazon.com/console/home?region=eu-west-2",
         "https://console.aws.amazon.com/s3/home?region=eu-west-2"),
        ("cn-north-1", "https://signin.amazonaws.cn/federation",
         "https://console.amazonaws.cn/console/home?region=cn-north-1",
         "https://console.amazonaws.cn/s3/home?region=cn-north-1"),
        ("us-gov-west-1", "https://signin.amazonaws-us-gov.com/federation",
         "https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1",
         "https://console.amazonaws-us-gov.com/s3/home?region=us-gov-west-1"),
    ],
)
def test_partitions_and_regions(region: str, signin: str, home: str, s3: str) -> None:
    assert console_urls.signin_url(region) == signin
    assert console_urls.console_home(region) == home
    assert console_urls.service_url("s3", region) == s3
    assert console_urls.check_destination(home, region) == home


def test_region_flag_and_partition_through_the_cli(console_env: AwsEnv) -> None:
    emulator_login(console_env)
    params = query(printed_url("--profile", "dev", "--region", "cn-north-1", "--service", "cfn"))
    assert params["Destination"] == (
        "https://console.amazonaws.cn/cloudformation/home?region=cn-north-1")
    params = query(printed_url("--profile", "dev", "--region", "us-gov-east-1"))
    assert params["Destination"] == (
        "https://console.amazonaws-us-gov.com/console/home?region=us-gov-east-1")
    # Without --region: the environment's region (awsuse --region sets it), as botocore.
    params = query(printed_url("--profile", "dev", "--portal", "--service", "s3"))
    assert params == {}  # the shortcut carries the destination after the '#'
    result = run_shellsso("console", "--profile", "dev", "--print",
                          env={**os.environ, "AWS_REGION": "ap-southeast-2"})
    assert query(result.stdout.strip())["Destination"].endswith("?region=ap-southeast-2")
    # A region goes into a host name: anything else is refused before any call.
    result = run_shellsso("console", "--profile", "dev", "--print", "--region", "evil.com/x")
    assert result.returncode == 2
    assert "'evil.com/x' is not an AWS region name" in one_error_line(result)


def test_portal_shortcut_needs_no_credentials(console_env: AwsEnv) -> None:
    url = printed_url("--profile", "prod", "--portal")
    assert url == f"{START_URL}/#/console?account_id=333333333333&role_name=ReadOnlyAccess"
    url = printed_url("--profile", "dev", "--portal", "--service", "ec2")
    dest = "https%3A%2F%2Fconsole.aws.amazon.com%2Fec2%2Fhome%3Fregion%3Dus-west-2"
    assert url.endswith("role_name=AdministratorAccess&destination=" + dest)
    assert console_env.counters() == {}  # no token, no credentials, no federation call
    line = one_error_line(run_shellsso("console", "--profile", "chained", "--portal"))
    assert "profile 'chained' assumes arn:aws:iam::222222222222:role/Deployer" in line
    line = one_error_line(run_shellsso("console", "--profile", "keys", "--portal"))
    assert "--portal needs an SSO profile" in line


def test_chained_profile_sends_no_session_duration(console_env: AwsEnv) -> None:
    emulator_login(console_env)
    result = run_shellsso("console", "--profile", "chained", "--print", "--duration", "120")
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "shellsso: warning: --duration is ignored: profile 'chained' uses role chaining, for "
        "which the federation endpoint refuses a session duration\n")
    counters = console_env.counters()
    assert counters["AssumeRole"] == 1 and counters["GetSigninToken"] == 1
    url = result.stdout.strip()
    assert query(url)["Destination"] == (
        "https://eu-central-1.console.aws.amazon.com/console/home?region=eu-central-1")
    status, page = visit(url)
    assert status == 200
    assert cell(page, "account") == "222222222222 (staging)"
    assert cell(page, "role") == "Deployer"
    assert cell(page, "session") == "default length"


def test_emulator_refuses_session_duration_for_chained_keys(console_env: AwsEnv) -> None:
    """What the chained test relies on: the endpoint would have refused a SessionDuration."""
    from shellsso.emulator import creds as issued

    state = console_env.emulator.state
    keys = issued.issue(state, "222222222222", "Deployer", 3600, chained=True)
    session = json.dumps({"sessionId": keys.access_key_id, "sessionKey": keys.secret_access_key,
                          "sessionToken": keys.session_token})
    url = console_env.url + "/federation"
    form = urllib.parse.urlencode(
        {"Action": "getSigninToken", "Session": session, "SessionDuration": "3600"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, form.encode(), timeout=10)  # noqa: S310
    assert refused.value.code == 400
    assert b"role chaining" in refused.value.read()


def test_static_keys_cannot_federate(console_env: AwsEnv) -> None:
    result = run_shellsso("console", "--profile", "keys", "--print")
    line = one_error_line(result)
    assert result.returncode == 1
    assert line == (
        "shellsso: error: profile 'keys' has long-term access keys, and the console's "
        "federation endpoint signs in only with temporary credentials; use an SSO profile, "
        "or a profile with role_arn and source_profile = keys")
    assert "long-term-secret-value" not in result.stderr
    assert "GetSigninToken" not in console_env.counters()


def test_expired_session_is_a_login_line(console_env: AwsEnv) -> None:
    result = run_shellsso("console", "--profile", "dev", "--print")
    assert result.returncode == 3
    assert one_error_line(result) == (
        "shellsso: error: no token for SSO session 'corp'; run: shellsso login --profile dev")


def test_endpoint_refusing_is_one_line_without_secrets(console_env: AwsEnv) -> None:
    # Fresh-looking cached keys that the emulator never issued: it refuses them.
    write_cli_role_cache(console_env.home, 3600, key_id="ASIANEVERISSUED0001")
    result = run_shellsso("console", "--profile", "dev", "--print")
    host = urlsplit(console_env.url).netloc
    assert one_error_line(result) == (
        f"shellsso: error: the sign-in endpoint {host} refused the credentials of profile "
        "'dev' (HTTP 400: The credentials in the session are invalid or have expired)")
    for secret in ("cli-secret", "cli-session-token", "SigninToken"):
        assert secret not in result.stderr


def test_unreachable_endpoint_and_bad_override(
    console_env: AwsEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator_login(console_env)
    monkeypatch.setenv("SHELLSSO_SIGNIN_URL", "http://signin.example.com/federation")
    line = one_error_line(run_shellsso("console", "--profile", "dev", "--print"))
    assert "SHELLSSO_SIGNIN_URL must be an https URL (or http on 127.0.0.1)" in line
    assert "GetRoleCredentials" not in console_env.counters()  # refused before any call
    monkeypatch.setenv("SHELLSSO_SIGNIN_URL", "http://127.0.0.1:9/federation")
    line = one_error_line(run_shellsso("console", "--profile", "dev", "--print"))
    assert line.startswith("shellsso: error: cannot reach the sign-in endpoint 127.0.0.1:9: ")


@pytest.mark.parametrize("minutes", ["14", "721", "0"])
def test_duration_is_checked(console_env: AwsEnv, minutes: str) -> None:
    result = run_shellsso("console", "--profile", "dev", "--print", "--duration", minutes)
    assert result.returncode == 2
    assert one_error_line(result) == (
        "shellsso: error: --duration must be between 15 and 720 minutes")


def _recording_browser(home: Path) -> Tuple[str, Path]:
    """A BROWSER command that writes the URL it is given to a file."""
    seen = home / "browser-got"
    script = home / "browser.py"
    script.write_text(f"import sys\nopen({str(seen)!r}, 'w').write(sys.argv[1])\n")
    return f"{sys.executable} {script} %s", seen


def _wait_for(path: Path) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} never written")


def test_opens_the_browser_and_prints_nothing(
    console_env: AwsEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator_login(console_env)
    browser, seen = _recording_browser(console_env.home)
    monkeypatch.setenv("BROWSER", browser)
    monkeypatch.setenv("DISPLAY", ":0")
    result = run_shellsso("console", "--profile", "prod")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == "Opening the AWS console as profile 'prod' in your browser.\n"
    # The browser gets a page that redirects to the sign-in URL, never the URL itself.
    opened = _wait_for(seen)
    assert opened.startswith("file:///") and "SigninToken" not in opened
    url = page_target(opened)
    assert url is not None and url.startswith(console_env.url + "/federation?Action=login&")
    status, page = visit(url)
    assert status == 200 and cell(page, "account") == "333333333333 (prod)"


def test_over_ssh_the_url_is_printed(console_env: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    emulator_login(console_env)
    browser, seen = _recording_browser(console_env.home)
    monkeypatch.setenv("BROWSER", browser)
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 50000 10.0.0.2 22")
    result = run_shellsso("console", "--profile", "dev")
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("No browser here (SSH, or no display)")
    url = result.stdout.strip()
    assert visit(url)[0] == 200
    time.sleep(0.3)
    assert not seen.exists()


def test_help_names_every_option() -> None:
    result = run_shellsso("console", "--help")
    assert result.returncode == 0
    words: List[str] = ["--profile", "--service", "--destination", "--region", "--print",
                        "--portal", "--duration", "SHELLSSO_SIGNIN_URL"]
    for word in words:
        assert word in result.stdout


def test_emulator_banner_and_demo_point_console_at_the_emulator(home: Path) -> None:
    from shellsso.commands.demo import demo_env
    from shellsso.emulator.cli import banner

    url = "http://127.0.0.1:4321"
    assert f"export SHELLSSO_SIGNIN_URL={url}/federation\n" in banner(url)
    assert f"export AWS_ENDPOINT_URL_STS={url}\n" in banner(url)
    env = demo_env({}, home, url)
    assert env["SHELLSSO_SIGNIN_URL"] == f"{url}/federation"
    assert env["AWS_ENDPOINT_URL_STS"] == url


def test_emulator_remembers_issued_keys_across_a_restart(tmp_path: Path) -> None:
    """Cached role credentials outlive an emulator restart (its state file keeps them)."""
    from shellsso.emulator import Emulator
    from shellsso.emulator import creds as issued

    state = str(tmp_path / "state.json")
    with Emulator(state_file=state) as emu:
        keys = issued.issue(emu.state, "111111111111", "AdministratorAccess", 3600)
    with Emulator(state_file=state) as emu:
        found = issued.check(emu.state, keys.access_key_id, keys.secret_access_key,
                             keys.session_token)
        assert found is not None and found.role_name == "AdministratorAccess"
        assert issued.check(emu.state, keys.access_key_id, "wrong", keys.session_token) is None


def test_expired_session_on_a_terminal_offers_the_login(console_env: AwsEnv) -> None:
    import pexpect

    child = pexpect.spawn(sys.executable, ["-m", "shellsso", "console", "--profile", "dev",
                                           "--print"],
                          env=dict(os.environ), encoding="utf-8", timeout=60)
    try:
        child.expect_exact("Log in to SSO session 'corp' now? [Y/n] ")
        child.sendline("y")
        child.expect(r"(http://127\.0\.0\.1:\d+/federation\?Action=login\S+)")
        url = child.match.group(1)
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    status, page = visit(url)
    assert status == 200 and cell(page, "role") == "AdministratorAccess"
