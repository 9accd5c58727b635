"""`shellsso configure` driven through a terminal (pexpect) against the emulator.

Answers are typed with a carriage return, as a terminal sends them. The login
is the real PKCE flow: BROWSER is the emulator's stand-in browser.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Dict, Iterator

import pexpect
import pytest

from shellsso.emulator import Emulator
from shellsso.emulator.org import generate
from tests.commands.test_populate import botocore_profiles
from tests.conftest import START_URL, browser_command, write_config

HAND_WRITTEN = """\
# my own settings; keep this comment
[default]
region = eu-central-1
output = text

[profile keys] \x20
aws_access_key_id = AKIAEXAMPLE
"""


@pytest.fixture
def big_org(home: Path) -> Iterator[Emulator]:
    emu = Emulator(org=generate(300, 3))
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


def child_env(home: Path, emu: Emulator, **extra: str) -> Dict[str, str]:
    env = dict(os.environ, HOME=str(home), AWS_ENDPOINT_URL_SSO_OIDC=emu.url,
               AWS_ENDPOINT_URL_SSO=emu.url, BROWSER=browser_command(), TERM="dumb")
    env.update(extra)
    return env


def spawn(env: Dict[str, str], *args: str) -> pexpect.spawn:
    return pexpect.spawn(sys.executable, ["-m", "shellsso", "configure", *args], env=env,
                         encoding="utf-8", timeout=30, dimensions=(50, 200))


def answer(child: pexpect.spawn, question: str, text: str) -> None:
    child.expect_exact(question)
    child.send(text + "\r")


def finish(child: pexpect.spawn) -> str:
    child.expect(pexpect.EOF)
    child.close()
    out: str = child.before
    return out


def test_new_session_and_filtering_300_accounts(home: Path, big_org: Emulator) -> None:
    config = write_config(home, HAND_WRITTEN)
    os.chmod(config, 0o640)
    child = spawn(child_env(home, big_org))
    answer(child, "SSO session name: ", "corp")
    answer(child, "SSO start URL: ", START_URL + "#/")
    answer(child, "SSO region [us-east-1]: ", "")
    answer(child, "SSO registration scopes [sso:account:access]: ", "")
    child.expect_exact("300 accounts:")
    child.expect_exact("285 more; type part of a name or id")
    answer(child, "Account (number, or text to filter): ", "payments prod")
    child.expect(r"(\d+) of 300 match 'payments prod':")
    narrowed = int(child.match.group(1))
    assert 1 < narrowed < 300
    # the narrowed list is numbered from 1; pick its second entry
    child.expect_exact("  2  payments-prod-")
    answer(child, "Account (number, text to filter, or empty for the full list): ", "2")
    child.expect(r"Using account (payments-prod-\d+)  \((\d{12}), ")
    account_name, account_id = child.match.group(1), child.match.group(2)
    answer(child, "Role (number, or text to filter): ", "read")
    child.expect_exact("Using role ReadOnlyAccess")
    answer(child, f"Profile name [{account_name}-readonlyaccess]: ", "")
    answer(child, "Default client region [us-east-1]: ", "eu-west-1")
    answer(child, "Default output format [json]: ", "")
    out = finish(child)
    assert child.exitstatus == 0, out
    assert "Traceback" not in out
    text = config.read_text()
    assert text == HAND_WRITTEN + f"""
[sso-session corp]
sso_start_url = {START_URL}
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile {account_name}-readonlyaccess]
sso_session = corp
sso_account_id = {account_id}
sso_role_name = ReadOnlyAccess
region = eu-west-1
output = json
"""
    assert (config.stat().st_mode & 0o777) == 0o640  # the file's mode is kept
    assert Path(str(config) + ".bak").read_text() == HAND_WRITTEN
    resolved = botocore_profiles(home, config, big_org.url, [f"{account_name}-readonlyaccess"])
    assert resolved[f"{account_name}-readonlyaccess"] == {
        "method": "sso", "prefix": "ASIA", "account": account_id, "region": "eu-west-1"}


def test_rerun_offers_the_session_and_skips_what_is_known(home: Path, emulator: Emulator) -> None:
    config = write_config(home, "")
    config.unlink()  # no config at all: the first run creates it, 0600
    # AWS_PROFILE names the profile about to be made: login and listing need none
    env = child_env(home, emulator, AWS_PROFILE="default")
    child = spawn(env)
    answer(child, "SSO session name: ", "corp")
    answer(child, "SSO start URL: ", START_URL)
    answer(child, "SSO region [us-east-1]: ", "")
    answer(child, "SSO registration scopes [sso:account:access]: ", "")
    answer(child, "Account (number, or text to filter): ", "dev")
    answer(child, "Role (number, or text to filter): ", "admin")
    answer(child, "Profile name [dev-administratoraccess]: ", "default")
    answer(child, "Default client region [us-east-1]: ", "")
    answer(child, "Default output format [json]: ", "")
    assert finish(child) and child.exitstatus == 0
    assert (config.stat().st_mode & 0o777) == 0o600
    first = config.read_text()
    assert "[default]\nsso_session = corp\n" in first  # the profile named default

    child = spawn(env)
    child.expect_exact("SSO sessions in the config: corp")
    answer(child, "SSO session name [corp]: ", "")
    child.expect_exact(f"Using SSO session 'corp': {START_URL} (us-east-1)")
    child.expect_exact("Using the cached login of this session.")
    answer(child, "Account (number, or text to filter): ", "prod")
    child.expect_exact("Using account prod")
    child.expect_exact("  1  AdministratorAccess")
    answer(child, "Role (number, or text to filter): ", "2")
    answer(child, "Profile name [prod-readonlyaccess]: ", "my prod")
    answer(child, "Default client region [us-east-1]: ", "")
    answer(child, "Default output format [json]: ", "yaml")
    out = finish(child)
    assert child.exitstatus == 0, out
    assert "SSO start URL" not in out and "Attempting to open" not in out
    assert "Use it: awsuse 'my prod'" in out
    assert emulator.counters["CreateToken"] == 1  # one login for both runs
    second = config.read_text()
    assert second.startswith(first)
    assert second[len(first):] == """
[profile 'my prod']
sso_session = corp
sso_account_id = 333333333333
sso_role_name = ReadOnlyAccess
region = us-east-1
output = yaml
"""
    resolved = botocore_profiles(home, config, emulator.url, ["default", "my prod"])
    assert resolved["my prod"]["account"] == "333333333333"
    assert resolved["default"]["account"] == "111111111111"


@pytest.mark.parametrize("question", ["SSO start URL: ", "Account (number, or text to filter): ",
                                      "Default output format [json]: "])
def test_ctrl_c_at_a_question_leaves_the_config_as_it_was(
    home: Path, emulator: Emulator, question: str,
) -> None:
    config = write_config(home, HAND_WRITTEN)
    before = config.read_bytes()
    child = spawn(child_env(home, emulator))
    answers = [("SSO session name: ", "corp"), ("SSO start URL: ", START_URL),
               ("SSO region [us-east-1]: ", ""), ("SSO registration scopes", ""),
               ("Account (number, or text to filter): ", "staging"),
               ("Role (number, or text to filter): ", "1"),
               ("Profile name [staging-administratoraccess]: ", ""),
               ("Default client region [us-east-1]: ", "")]
    for prompt, text in answers:
        if prompt == question:
            break
        answer(child, prompt, text)
    child.expect_exact(question)
    child.sendintr()
    out = finish(child)
    assert child.exitstatus == 130
    assert f"configure cancelled; {config} is unchanged" in out
    assert "Traceback" not in out
    assert config.read_bytes() == before
    assert not Path(str(config) + ".bak").exists()


def test_a_start_url_that_is_not_one_is_asked_again(home: Path, emulator: Emulator) -> None:
    child = spawn(child_env(home, emulator))
    answer(child, "SSO session name: ", "corp")
    answer(child, "SSO start URL: ", "http://d-1234567890.awsapps.com/start")
    child.expect_exact("the start URL must use https")
    answer(child, "SSO start URL: ", "https://portal.example.com/start")
    answer(child, "use it anyway? (y/N) [n]: ", "")
    answer(child, "SSO start URL: ", "d-1234567890")
    child.expect_exact("d-1234567890 is a directory id: using its portal, "
                       "https://d-1234567890.awsapps.com/start")
    answer(child, "SSO region [us-east-1]: ", "moon-1")
    child.expect_exact("'moon-1' is not an AWS region name")
    child.expect_exact("SSO region [us-east-1]: ")
    child.sendeof()
    finish(child)
    assert child.exitstatus == 130
    assert not (home / ".aws" / "config").exists()


def test_unreachable_sso_service_is_one_line_and_nothing_written(
    home: Path, emulator: Emulator,
) -> None:
    config = write_config(home, HAND_WRITTEN)
    before = config.read_bytes()
    env = child_env(home, emulator, AWS_ENDPOINT_URL_SSO_OIDC="http://127.0.0.1:9",
                    AWS_ENDPOINT_URL_SSO="http://127.0.0.1:9")
    child = spawn(env)
    answer(child, "SSO session name: ", "corp")
    answer(child, "SSO start URL: ", START_URL)
    answer(child, "SSO region [us-east-1]: ", "")
    answer(child, "SSO registration scopes [sso:account:access]: ", "")
    out = finish(child)
    assert child.exitstatus == 1
    errors = [line for line in out.splitlines() if line.startswith("shellsso: error:")]
    assert len(errors) == 1 and "cannot reach" in errors[0] and "127.0.0.1:9" in errors[0]
    assert "Traceback" not in out
    assert config.read_bytes() == before


def test_a_config_that_does_not_parse_is_refused_before_any_question(
    home: Path, emulator: Emulator,
) -> None:
    config = write_config(home, "[profile a]\nregion = x\nregion = y\n")
    before = config.read_bytes()
    child = spawn(child_env(home, emulator))
    out = finish(child)
    assert child.exitstatus == 1
    assert f"shellsso: error: {config}, line 3: key 'region' appears twice in [profile a]" in out
    assert "SSO session name" not in out
    assert config.read_bytes() == before


def test_over_ssh_the_login_is_a_device_code_and_a_known_session_is_not_asked(
    home: Path, emulator: Emulator,
) -> None:
    session = (f"[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n"
               "sso_registration_scopes = sso:account:access\n")
    config = write_config(home, session)
    env = child_env(home, emulator, SSH_CONNECTION="10.0.0.1 50000 10.0.0.2 22")
    child = spawn(env, "--sso-session", "corp")
    child.expect_exact(f"Using SSO session 'corp': {START_URL} (us-east-1)")
    child.expect_exact("Then enter the code:")
    assert emulator.approve_all() == 1
    answer(child, "Account (number, or text to filter): ", "sandbox")
    child.expect_exact("Using the only role: AdministratorAccess")
    answer(child, "Profile name [sandbox-administratoraccess]: ", "")
    answer(child, "Default client region [us-east-1]: ", "")
    answer(child, "Default output format [json]: ", "")
    out = finish(child)
    assert child.exitstatus == 0, out
    assert "SSO session name" not in out and "Attempting to open" not in out
    assert emulator.counters.get("Authorize", 0) == 0  # no browser flow
    assert config.read_text() == session + (
        "\n[profile sandbox-administratoraccess]\nsso_session = corp\n"
        "sso_account_id = 444444444444\nsso_role_name = AdministratorAccess\n"
        "region = us-east-1\noutput = json\n")


def test_ctrl_c_during_the_login_leaves_config_and_token_cache(
    home: Path, emulator: Emulator,
) -> None:
    config = write_config(home, HAND_WRITTEN)
    before = config.read_bytes()
    child = spawn(child_env(home, emulator, BROWSER="true"))  # a browser that never comes back
    answer(child, "SSO session name: ", "corp")
    answer(child, "SSO start URL: ", START_URL)
    answer(child, "SSO region [us-east-1]: ", "")
    answer(child, "SSO registration scopes [sso:account:access]: ", "")
    child.expect_exact("Waiting for the browser to complete the login")
    child.sendintr()
    out = finish(child)
    assert child.exitstatus == 130
    assert "configure cancelled" in out and "Traceback" not in out
    assert config.read_bytes() == before
    cache = home / ".aws" / "sso" / "cache"
    assert not cache.exists() or not [p for p in cache.iterdir()
                                       if "accessToken" in p.read_text()]


@pytest.mark.parametrize(("typed", "stored"), [
    ("https://d-1234567890.awsapps.com/start", "https://d-1234567890.awsapps.com/start"),
    ("https://d-1234567890.awsapps.com/start#/", "https://d-1234567890.awsapps.com/start"),
    ("  mycorp.awsapps.com/start ", "https://mycorp.awsapps.com/start"),
    ("http://d-1234567890.awsapps.com/start", None),
    ("https://", None),
    ("not a url", None),
    ("d-1234567890", "https://d-1234567890.awsapps.com/start"),
    (" D-90670A1B2C ", "https://d-90670a1b2c.awsapps.com/start"),
])
def test_start_url_check(typed: str, stored: str) -> None:
    from shellsso.commands.configure import check_start_url

    assert check_start_url(typed)[0] == stored


def test_region_from_a_portal_host() -> None:
    from shellsso.commands.configure import aws_owned, region_of_url

    assert region_of_url("https://ssoins-1.portal.eu-west-1.app.aws/") == "eu-west-1"
    assert region_of_url("https://d-1.awsapps.com/start") is None
    assert aws_owned("https://d-1.awsapps.com/start")
    assert not aws_owned("https://awsapps.com.evil.example/start")


def test_replacing_a_legacy_profile(home: Path, emulator: Emulator) -> None:
    legacy = ("[profile prod]\nsso_start_url = https://old.awsapps.com/start\n"
              "sso_region = eu-west-1\nsso_account_id = 999999999999\nsso_role_name = Old\n"
              "# my note about prod\n")
    config = write_config(home, HAND_WRITTEN + "\n" + legacy)
    child = spawn(child_env(home, emulator))
    answer(child, "SSO session name: ", "corp")
    answer(child, "SSO start URL: ", START_URL)
    answer(child, "SSO region [us-east-1]: ", "")
    answer(child, "SSO registration scopes [sso:account:access]: ", "")
    answer(child, "Account (number, or text to filter): ", "prod")
    answer(child, "Role (number, or text to filter): ", "ReadOnly")
    answer(child, "Profile name [prod-readonlyaccess]: ", "prod")
    answer(child, f"Profile 'prod' exists in {config}; replace its settings? (y/N) [n]: ", "y")
    answer(child, "Default client region [us-east-1]: ", "")
    answer(child, "Default output format [json]: ", "")
    out = finish(child)
    assert child.exitstatus == 0, out
    assert config.read_text() == HAND_WRITTEN + (
        "\n[profile prod]\nsso_account_id = 333333333333\nsso_role_name = ReadOnlyAccess\n"
        "sso_session = corp\nregion = us-east-1\noutput = json\n# my note about prod\n"
        f"\n[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n"
        "sso_registration_scopes = sso:account:access\n")
    assert botocore_profiles(home, config, emulator.url, ["prod"])["prod"]["account"] == \
        "333333333333"


def _new_session_answers(child: pexpect.spawn) -> None:
    answer(child, "SSO session name: ", "corp")
    answer(child, "SSO start URL: ", START_URL)
    answer(child, "SSO region [us-east-1]: ", "")
    answer(child, "SSO registration scopes [sso:account:access]: ", "")


def test_empty_organisation_is_one_line(home: Path) -> None:
    from shellsso.emulator.org import Organisation

    config = write_config(home, HAND_WRITTEN)
    emu = Emulator(org=Organisation([]))
    emu.start()
    try:
        child = spawn(child_env(home, emu))
        _new_session_answers(child)
        out = finish(child)
    finally:
        emu.stop()
    assert child.exitstatus == 1
    assert "shellsso: error: SSO session 'corp' reaches no accounts; nothing was written" in out
    assert config.read_text() == HAND_WRITTEN


def test_read_only_config_folder_is_one_line(home: Path, emulator: Emulator) -> None:
    from tests.awsconfig.test_configwrite import read_only

    folder = home / "ro"
    folder.mkdir()
    config = folder / "config"
    config.write_text(HAND_WRITTEN)
    env = child_env(home, emulator, AWS_CONFIG_FILE=str(config))
    with read_only(folder) as (prefix, reason):
        argv = [*prefix, sys.executable, "-m", "shellsso", "configure"]
        child = pexpect.spawn(argv[0], argv[1:], env=env, encoding="utf-8", timeout=30)
        _new_session_answers(child)
        answer(child, "Account (number, or text to filter): ", "dev")
        answer(child, "Role (number, or text to filter): ", "1")
        answer(child, "Profile name [dev-administratoraccess]: ", "")
        answer(child, "Default client region [us-east-1]: ", "")
        answer(child, "Default output format [json]: ", "")
        out = finish(child)
    assert child.exitstatus == 1
    errors = [line for line in out.splitlines() if "error" in line]
    assert errors == [f"shellsso: error: cannot write {config}: the folder {folder} {reason}; "
                      "nothing was written"]
    assert "Traceback" not in out
    assert config.read_text() == HAND_WRITTEN
    assert sorted(os.listdir(folder)) == ["config"]
