"""`shellsso doctor`: every fault set up for real, a healthy profile, and no secret shown.

Each test breaks one thing the way users break it (a variable, a file, a
token, the emulator's clock, an `aws` on PATH) and runs the doctor as a
user would, in a fresh process against the emulator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

from tests.conftest import (
    DEMO_CONFIG,
    START_URL,
    AwsEnv,
    in_ci,
    run_shellsso,
    sha1,
    write_config,
    write_token,
)
from tests.creds.test_rolecreds import emulator_login

AWS_V2 = "aws-cli/2.36.7 Python/3.13.7 Linux/6.8 exe/x86_64.ubuntu.24"


def fake_aws(folder: Path, output: str, *, to_stderr: bool = False) -> Path:
    """An `aws` script on PATH that answers `--version` like the real one."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "aws"
    redirect = " >&2" if to_stderr else ""
    script.write_text(f"#!/bin/sh\necho '{output}'{redirect}\n")
    script.chmod(0o755)
    return script


def private(home: Path) -> None:
    """Modes as a careful user (or the AWS CLI with a tight umask) leaves them."""
    for path in (home / ".aws").rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)
    (home / ".aws").chmod(0o700)


@pytest.fixture
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH with a recent AWS CLI v2 and the system's basics, nobody's own `aws`."""
    folder = tmp_path / "bin"
    fake_aws(folder, AWS_V2)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    return folder


def doctor(*args: str, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess[str]:
    result = run_shellsso("doctor", *args, env=env)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result


def doctor_json(*args: str) -> Tuple[int, Dict[str, Any]]:
    result = doctor("--json", *args)
    data: Dict[str, Any] = json.loads(result.stdout)
    return result.returncode, data


def levels(data: Dict[str, Any]) -> Dict[str, str]:
    """finding id -> level (the first of each id)."""
    found: Dict[str, str] = {}
    for finding in data["findings"]:
        found.setdefault(finding["id"], finding["level"])
    return found


def finding(data: Dict[str, Any], ident: str) -> Dict[str, Any]:
    matches = [f for f in data["findings"] if f["id"] == ident]
    assert matches, f"no {ident} in {[f['id'] for f in data['findings']]}"
    result: Dict[str, Any] = matches[0]
    return result


@pytest.fixture
def healthy(aws_env: AwsEnv, tools: Path) -> AwsEnv:
    """The demo config, logged in for real at the emulator, private modes."""
    emulator_login(aws_env)
    private(aws_env.home)
    return aws_env


# --- healthy ---------------------------------------------------------------------------


def test_healthy_profile_exits_0_and_fetches_credentials_once(healthy: AwsEnv) -> None:
    result = doctor("--profile", "dev")
    assert result.returncode == 0, result.stdout
    out = result.stdout
    assert out.startswith("Profile 'dev'\n")
    assert "GetRoleCredentials for account 111111111111, role AdministratorAccess works" in out
    assert "error" not in out and "warning" not in out
    assert out.rstrip().endswith("all good")
    assert "\033[" not in out  # not a terminal: no colours
    assert healthy.counters().get("GetRoleCredentials") == 1
    # The credentials went into the CLI cache: a second run needs no call.
    again = doctor("--profile", "dev")
    assert again.returncode == 0
    assert "cached until" in again.stdout
    assert healthy.counters().get("GetRoleCredentials") == 1


def assert_schema(data: Dict[str, Any]) -> None:
    """The --json document scripts rely on."""
    assert set(data) == {"profile", "selectedBy", "healthy", "errors", "warnings", "findings"}
    levels_seen = [item["level"] for item in data["findings"]]
    assert data["errors"] == levels_seen.count("error")
    assert data["warnings"] == levels_seen.count("warning")
    assert data["healthy"] is (data["errors"] == 0)
    for item in data["findings"]:
        assert set(item) == {"id", "level", "message", "fix"}
        assert item["level"] in ("ok", "info", "warning", "error")
        assert item["id"].count(".") == 1 and item["id"] == item["id"].lower()
        assert isinstance(item["message"], str) and item["message"]
        if item["level"] == "ok":
            assert item["fix"] is None
        elif item["level"] in ("warning", "error"):
            assert isinstance(item["fix"], str) and item["fix"]


def test_json_schema(healthy: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "staging")
    code, data = doctor_json()
    assert code == 0
    assert_schema(data)
    assert data["profile"] == "staging" and data["selectedBy"] == "AWS_PROFILE"
    assert data["healthy"] is True and data["errors"] == 0 and data["warnings"] == 0
    assert [f["id"] for f in data["findings"]] == [
        "env.ok", "files.ok", "profile.ok", "session.ok", "clock.ok", "portal.ok", "tools.ok"]


def test_help(home: Path) -> None:
    result = run_shellsso("doctor", "--help")
    assert result.returncode == 0 and result.stdout.startswith("usage: shellsso doctor")
    assert "--json" in result.stdout and "--profile" in result.stdout
    assert "doctor" in run_shellsso("--help").stdout
    assert "\ndoctor --help --profile --json\n" in run_shellsso("init", "bash").stdout


# --- the environment --------------------------------------------------------------------


def test_environment_credentials_win_over_the_profile(
    healthy: AwsEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "dev")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAPLANTEDKEY000001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "planted-env-secret")
    result = doctor()
    assert result.returncode == 1
    first = result.stdout.splitlines()[2]
    assert first.startswith("error") and "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY" in first
    assert "instead of profile 'dev'" in first
    assert "fix: unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY" in result.stdout
    assert "AKIAPLANTEDKEY000001" not in result.stdout
    # With --profile the CLI skips them: still worth a warning, not an error.
    code, data = doctor_json("--profile", "dev")
    assert code == 0 and levels(data)["env.credentials"] == "warning"


def test_credentials_exported_by_awsuse_are_no_fault(
    healthy: AwsEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in (("AWS_PROFILE", "dev"), ("_SHELLSSO_PROFILE", "dev"),
                        ("AWS_ACCESS_KEY_ID", "ASIAEXPORTED"),
                        ("_SHELLSSO_CREDS_KEY", "ASIAEXPORTED"),
                        ("AWS_SECRET_ACCESS_KEY", "planted-env-secret")):
        monkeypatch.setenv(name, value)
    code, data = doctor_json()
    assert code == 0
    assert "awsuse dev --export" in finding(data, "env.credentials-exported")["message"]
    monkeypatch.setenv("AWS_PROFILE", "prod")  # switched by hand since: they are stale
    code, data = doctor_json()
    assert code == 1 and levels(data)["env.credentials"] == "error"


def test_environment_credentials_without_any_profile(
    home: Path, tools: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAPLANTEDKEY000001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "planted-env-secret")
    code, data = doctor_json()
    assert code == 0 and data["selectedBy"] == "default"
    assert levels(data)["env.credentials"] == "info"
    assert "profile.not-found" not in levels(data)
    write_config(home)  # a [default] with a region and no credentials of its own
    code, data = doctor_json()
    assert code == 0, data
    assert levels(data)["profile.no-credentials"] == "info"


def test_partial_environment_credentials(healthy: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAPLANTEDKEY000001")
    code, data = doctor_json("--profile", "dev")
    assert code == 1 and levels(data)["env.credentials-partial"] == "error"


def test_profile_variables_disagree(healthy: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "dev")
    monkeypatch.setenv("AWS_DEFAULT_PROFILE", "prod")
    code, data = doctor_json()
    assert code == 1
    assert data["profile"] == "dev"  # as the CLI v2 picks it
    conflict = finding(data, "env.profile-conflict")
    assert conflict["level"] == "error"
    assert "boto3 and botocore use 'prod'" in conflict["message"]
    assert conflict["fix"].startswith("unset AWS_DEFAULT_PROFILE")


# --- the files ---------------------------------------------------------------------------


def test_config_that_does_not_parse_names_file_and_line(
    healthy: AwsEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    healthy.config.write_text(DEMO_CONFIG + "\n[profile dev]\nregion = eu-west-1\n")
    result = doctor("--profile", "dev")
    assert result.returncode == 1
    line = next(x for x in result.stdout.splitlines() if x.startswith("error"))
    assert f"{healthy.config}, line 33: section [profile dev] appears twice" in line
    assert "fix: edit" in result.stdout
    assert healthy.counters().get("GetRoleCredentials") is None


def test_credentials_file_that_does_not_parse(healthy: AwsEnv) -> None:
    creds = healthy.home / ".aws" / "credentials"
    creds.write_text("aws_access_key_id = AKIA\n[x]\n")
    creds.chmod(0o600)
    code, data = doctor_json("--profile", "dev")
    assert code == 1
    assert f"{creds}, line 1" in finding(data, "credentials.parse")["message"]


def test_files_open_to_other_users(healthy: AwsEnv) -> None:
    creds = healthy.home / ".aws" / "credentials"
    creds.write_text("[keys]\naws_access_key_id = AKIAPLANTEDKEY000002\n"
                     "aws_secret_access_key = planted-file-secret\n")
    creds.chmod(0o644)
    healthy.config.chmod(0o644)
    code, data = doctor_json("--profile", "dev")
    assert code == 1
    assert levels(data)["config.permissions"] == "warning"
    assert levels(data)["credentials.permissions"] == "error"
    assert finding(data, "credentials.permissions")["fix"] == f"chmod 600 {creds}"
    healthy.config.chmod(0o666)
    code, data = doctor_json("--profile", "dev")
    assert levels(data)["config.permissions"] == "error"
    assert "writable by other users" in finding(data, "config.permissions")["message"]
    # A config file with keys in it is as secret as a credentials file.
    healthy.config.write_text(DEMO_CONFIG + "\n[profile k]\naws_access_key_id = AKIA0\n"
                              "aws_secret_access_key = planted-config-secret\n")
    healthy.config.chmod(0o640)
    code, data = doctor_json("--profile", "dev")
    assert "it holds access keys" in finding(data, "config.permissions")["message"]
    assert levels(data)["config.permissions"] == "error"


# --- the profile ---------------------------------------------------------------------------


def test_profile_not_found_suggests_close_matches(healthy: AwsEnv) -> None:
    code, data = doctor_json("--profile", "staing")
    assert code == 1
    item = finding(data, "profile.not-found")
    assert "profile 'staing' not found" in item["message"] and item["fix"] == "use staging"


def test_no_profile_selected_and_no_default(home: Path, tools: Path) -> None:
    write_config(home, DEMO_CONFIG.replace("[default]", "[profile other]"))
    code, data = doctor_json()
    assert code == 1 and data["selectedBy"] == "default"
    assert "Unable to locate credentials" in finding(data, "profile.not-found")["message"]


NO_REGION = """
[profile noregion]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = AdministratorAccess
"""


def test_missing_region_is_a_warning(healthy: AwsEnv) -> None:
    healthy.config.write_text(DEMO_CONFIG + NO_REGION)
    result = doctor("--profile", "noregion")
    assert result.returncode == 0, result.stdout
    assert "warning  profile 'noregion' has no region" in result.stdout
    assert "SDK code fails with NoRegionError" in result.stdout
    assert "fix: add `region = REGION` under [profile noregion]" in result.stdout
    assert result.stdout.rstrip().endswith("no errors, 1 warning")


def test_aws_region_alone_works_for_the_cli_not_for_sdks(
    healthy: AwsEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    healthy.config.write_text(DEMO_CONFIG + NO_REGION)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    code, data = doctor_json("--profile", "noregion")
    assert "the AWS CLI v2 works, but boto3" in finding(data, "profile.no-region")["message"]
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    code, data = doctor_json("--profile", "noregion")
    assert "profile.no-region" not in levels(data)


def test_a_misspelled_region_is_a_warning_with_the_close_match(healthy: AwsEnv) -> None:
    healthy.config.write_text(DEMO_CONFIG.replace("region = us-west-2", "region = eu-westt-1"))
    result = doctor("--profile", "dev")
    assert result.returncode == 0, result.stdout
    assert ("warning  profile 'dev' has region 'eu-westt-1', which no AWS partition knows"
            in result.stdout)
    assert "fix: did you mean eu-west-1? correct `region = ...` under [profile dev]" in (
        result.stdout)
    healthy.config.write_text(DEMO_CONFIG)
    code, data = doctor_json("--profile", "dev")
    assert "profile.unknown-region" not in levels(data)


LOOP = """
[profile a]
role_arn = arn:aws:iam::555555555555:role/A
source_profile = b
region = us-east-1

[profile b]
role_arn = arn:aws:iam::555555555555:role/B
source_profile = a
"""


def test_source_profile_loop(healthy: AwsEnv) -> None:
    healthy.config.write_text(DEMO_CONFIG + LOOP)
    code, data = doctor_json("--profile", "a")
    assert code == 1
    assert "loops: a -> b -> a" in finding(data, "profile.chain-loop")["message"]


def test_source_profile_chain_broken_and_working(healthy: AwsEnv) -> None:
    broken = LOOP.replace("source_profile = a", "source_profile = dve")
    working = "\n[profile c]\nrole_arn = arn:aws:iam::5:role/C\nsource_profile = dev\nregion = x\n"
    healthy.config.write_text(DEMO_CONFIG + broken + working)
    code, data = doctor_json("--profile", "a")
    assert code == 1
    assert "(did you mean: dev?)" in finding(data, "profile.chain-broken")["message"]
    code, data = doctor_json("--profile", "c")
    assert code == 0, data
    assert finding(data, "profile.chain")["message"] == "role chain c -> dev resolves"
    assert "GetRoleCredentials for account 111111111111" in finding(data, "portal.ok")["message"]


SSO_FAULTS = [
    ("[profile x]\nsso_session = crop\nsso_account_id = 1\nsso_role_name = R\n",
     "profile.sso-session-missing", "(did you mean: corp?)"),
    ("[profile x]\nsso_session = corp\nsso_account_id = 1\n",
     "profile.sso-incomplete", "missing sso_role_name"),
    ("[profile x]\nsso_session = corp\nsso_start_url = https://other.awsapps.com/start\n"
     "sso_account_id = 1\nsso_role_name = R\n",
     "profile.sso-inconsistent", "differs from [sso-session corp]"),
    ("[profile x]\nsso_session = corp\n", "profile.no-role", "gets no credentials"),
    ("[profile x]\nsso_account_id = 1\nsso_role_name = R\nsso_region = us-east-1\n",
     "profile.sso-incomplete", "missing sso_start_url"),
    ("[sso-session half]\nsso_region = us-east-1\n[profile x]\nsso_session = half\n"
     "sso_account_id = 1\nsso_role_name = R\n",
     "profile.sso-session-incomplete", "missing sso_start_url"),
    ("[profile x]\nregion = us-east-1\n", "profile.no-credentials", "no SSO role"),
]


@pytest.mark.parametrize(("extra", "ident", "text"), SSO_FAULTS)
def test_sso_configuration_faults(healthy: AwsEnv, extra: str, ident: str, text: str) -> None:
    healthy.config.write_text(DEMO_CONFIG + "\n" + extra + "region = us-east-1\n"
                              if "region" not in extra else DEMO_CONFIG + "\n" + extra)
    code, data = doctor_json("--profile", "x")
    assert code == 1
    assert text in finding(data, ident)["message"]
    assert finding(data, ident)["level"] == "error"


# --- the session -----------------------------------------------------------------------------


def test_no_token(aws_env: AwsEnv, tools: Path) -> None:
    private(aws_env.home)
    code, data = doctor_json("--profile", "dev")
    assert code == 1
    item = finding(data, "session.token-missing")
    assert item["fix"] == "shellsso login --sso-session corp"
    assert "portal.ok" not in levels(data)


def test_expired_token(aws_env: AwsEnv, tools: Path) -> None:
    write_token(aws_env.home, "corp", -600)
    private(aws_env.home)
    result = doctor("--profile", "dev")
    assert result.returncode == 1
    assert "error    the token of SSO session 'corp' expired at" in result.stdout
    assert "fix: shellsso login --sso-session corp" in result.stdout
    legacy = write_token(aws_env.home, START_URL, -600)
    legacy.chmod(0o600)
    code, data = doctor_json("--profile", "legacy")
    assert "legacy profiles never refresh" in finding(data, "session.token-expired")["message"]
    assert finding(data, "session.token-expired")["fix"] == "shellsso login --profile legacy"


def test_refreshable_token_is_refreshed_and_used(aws_env: AwsEnv, tools: Path) -> None:
    emulator_login(aws_env, expires_in=-60)  # expired locally, the refresh token is good
    private(aws_env.home)
    code, data = doctor_json("--profile", "dev")
    assert code == 0, data
    assert levels(data)["session.token-refreshable"] == "info"
    assert "renewed silently" in finding(data, "session.token-refreshable")["message"]
    assert levels(data)["portal.ok"] == "ok"
    assert aws_env.counters().get("CreateToken", 0) >= 2  # the login and the refresh


def test_refresh_token_the_service_refuses(aws_env: AwsEnv, tools: Path) -> None:
    write_token(aws_env.home, "corp", -60, refresh_token="rt-unknown-to-the-emulator")
    private(aws_env.home)
    code, data = doctor_json("--profile", "dev")
    assert code == 1
    assert finding(data, "portal.refresh-failed")["fix"] == "shellsso login --sso-session corp"


def test_token_without_refresh_token(aws_env: AwsEnv, tools: Path) -> None:
    aws_env.config.write_text(DEMO_CONFIG.replace("sso_registration_scopes = sso:account:access\n",
                                                  ""))
    write_token(aws_env.home, "corp", 3600)
    private(aws_env.home)
    code, data = doctor_json("--profile", "dev")
    item = finding(data, "session.no-refresh")
    assert item["level"] == "info"
    assert item["fix"].startswith("add sso_registration_scopes = sso:account:access under "
                                  "[sso-session corp], then shellsso login")


def test_expired_registration(aws_env: AwsEnv, tools: Path) -> None:
    write_token(aws_env.home, "corp", 3600, refresh_token="rt", registration_expires_in=-60)
    private(aws_env.home)
    code, data = doctor_json("--profile", "dev")
    assert levels(data)["session.registration-expired"] == "warning"


def test_token_for_another_start_url(aws_env: AwsEnv, tools: Path) -> None:
    path = write_token(aws_env.home, "corp", 3600)
    data = json.loads(path.read_text())
    data["startUrl"] = "https://d-0000000000.awsapps.com/start"
    path.write_text(json.dumps(data))
    private(aws_env.home)
    code, report = doctor_json("--profile", "dev")
    assert code == 1
    assert "issued for https://d-0000000000.awsapps.com/start" in finding(
        report, "session.start-url-mismatch")["message"]


def test_token_the_portal_rejects(aws_env: AwsEnv, tools: Path) -> None:
    write_token(aws_env.home, "corp", 3600)  # valid locally, unknown to the emulator
    private(aws_env.home)
    code, data = doctor_json("--profile", "dev")
    assert code == 1
    item = finding(data, "portal.unauthorized")
    assert "UnauthorizedException (HTTP 401)" in item["message"]


def test_portal_error_is_reported_as_given(healthy: AwsEnv) -> None:
    healthy.emulator.inject_failure("GetRoleCredentials", 500)
    code, data = doctor_json("--profile", "dev")
    assert code == 1
    assert "(HTTP 500)" in finding(data, "portal.refused")["message"]


def test_unreachable_portal(healthy: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", "http://127.0.0.1:9")
    code, data = doctor_json("--profile", "dev")
    assert code == 1
    assert levels(data)["clock.unchecked"] == "info"
    assert "cannot reach the SSO portal http://127.0.0.1:9" in finding(
        data, "portal.unreachable")["message"]


def test_endpoint_that_is_not_a_url(healthy: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", "not a url")
    code, data = doctor_json("--profile", "dev")
    assert code == 1
    assert "Invalid endpoint: not a url" in finding(data, "portal.endpoint")["message"]


def test_corrupt_role_credential_cache(healthy: AwsEnv) -> None:
    from shellsso.awsconfig.model import SsoTarget
    from shellsso.creds.role_credentials import role_cache_key

    dev = SsoTarget("dev", "corp", START_URL, "us-east-1", None, "111111111111",
                    "AdministratorAccess")
    cache = healthy.home / ".aws" / "cli" / "cache"
    cache.mkdir(parents=True, mode=0o700)
    path = cache / f"{role_cache_key(dev)}.json"
    path.write_text('{"ProviderType": "sso", "Credentials": {"AccessKeyId": "A"')
    path.chmod(0o600)
    code, data = doctor_json("--profile", "dev")
    assert code == 0
    assert f"{path} is not valid JSON; replaced" in finding(data, "cache.corrupt")["message"]
    assert json.loads(path.read_text())["ProviderType"] == "sso"


def test_cache_open_to_other_users(healthy: AwsEnv) -> None:
    cache = healthy.home / ".aws" / "sso" / "cache"
    cache.chmod(0o755)
    (cache / f"{sha1('corp')}.json").chmod(0o644)
    code, data = doctor_json("--profile", "dev")
    assert code == 1
    assert levels(data)["cache.folder-permissions"] == "warning"
    item = finding(data, "cache.file-permissions")
    assert item["level"] == "error" and f"{sha1('corp')}.json" in item["message"]
    assert item["fix"] == f"chmod 600 {cache}/*.json"


# --- the clock ---------------------------------------------------------------------------------


@pytest.fixture
def skewed(request: pytest.FixtureRequest) -> Iterator[object]:
    from shellsso.emulator import Emulator

    emu = Emulator(clock_skew=request.param)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.mark.parametrize(("skewed", "level"), [(-1800, "error"), (450, "warning")],
                         indirect=["skewed"])
def test_clock_skew_against_the_portal(
    skewed: Any, level: str, home: Path, tools: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(home)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", skewed.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", skewed.url)
    write_token(home, "corp", 3600)
    private(home)
    code, data = doctor_json("--profile", "dev")
    item = finding(data, "clock.skew")
    assert item["level"] == level
    ahead = "30m ahead of" if level == "error" else "8m behind"  # 7.5 m, rounded up
    assert ahead in item["message"], item["message"]


def test_emulator_clock_skew_option() -> None:
    import argparse

    from shellsso.emulator.options import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args(["--clock-skew", "-90"]).clock_skew == -90


# --- the tools ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("output", "to_stderr", "ident"), [
    ("aws-cli/1.18.69 Python/2.7.18 Linux/5.4 botocore/1.16.19", True, "tools.aws-cli-v1"),
    ("aws-cli/1.45.11 Python/3.11.9 Linux/6.8 botocore/1.44.8", False, "tools.aws-cli-v1-login"),
    ("aws-cli/1.27.10 Python/3.10.6 Linux/6.8 botocore/1.29.10", False, "tools.aws-cli-v1-login"),
    ("aws-cli/1.45.11 Python/3.11.9 Linux/6.8", False, "tools.aws-cli-v1-unknown"),
    ("aws-cli/2.15.30 Python/3.11.8 Linux/6.8 exe/x86_64.ubuntu.22", False, "tools.aws-cli-old"),
    ("something else entirely", False, "tools.aws-cli-unknown"),
])
def test_aws_cli_on_path(
    healthy: AwsEnv, tools: Path, output: str, to_stderr: bool, ident: str
) -> None:
    fake_aws(tools, output, to_stderr=to_stderr)
    code, data = doctor_json("--profile", "dev")
    assert code == 0
    assert ident in levels(data)
    message = finding(data, ident)["message"]
    if ident == "tools.aws-cli-v1":
        # botocore before 1.29.10 does not know [sso-session] sections: dev fails there.
        assert levels(data)[ident] == "warning"
        assert "cannot read sso-session profiles" in message
        assert "botocore 1.16.19" in message
        assert "pip install --upgrade awscli" in (finding(data, ident)["fix"] or "")
    if ident == "tools.aws-cli-v1-login":
        # It reads them from the cached token; what it lacks is `aws sso login`.
        assert levels(data)[ident] == "info"
        assert "reads sso-session profiles" in message and "no `aws sso login`" in message
        assert "uninstall" not in json.dumps(data)
        assert "shellsso login --sso-session corp" in (finding(data, ident)["fix"] or "")


def test_old_aws_cli_v1_matters_only_for_sso_session_profiles(healthy: AwsEnv,
                                                                tools: Path) -> None:
    """A profile without an sso-session (legacy SSO keys) works in an old v1: no warning."""
    fake_aws(tools, "aws-cli/1.18.69 Python/2.7.18 Linux/5.4 botocore/1.16.19")
    code, data = doctor_json("--profile", "legacy")
    assert levels(data).get("tools.aws-cli-v1") in (None, "info", "ok"), data


@pytest.fixture(scope="session")
def aws_cli_v1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The AWS CLI v1 itself, from PyPI (`awscli`), in a venv of its own.

    Installing needs the package index: a developer offline skips, CI (which
    has the index) fails instead.
    """
    import sys

    folder = tmp_path_factory.mktemp("awscli-v1")
    made = subprocess.run([sys.executable, "-m", "venv", str(folder)], capture_output=True,
                          text=True, check=False)
    pip = subprocess.run([str(folder / "bin" / "pip"), "install", "-q",
                          "--disable-pip-version-check", "awscli"],
                         capture_output=True, text=True, check=False, timeout=600) \
        if made.returncode == 0 else made
    if pip.returncode != 0:
        if in_ci():
            pytest.fail(f"cannot install the AWS CLI v1 from PyPI: {pip.stderr[-300:]}")
        pytest.skip("the AWS CLI v1 could not be installed (offline?)")
    return folder / "bin" / "aws"


@pytest.mark.slow
def test_real_aws_cli_v1_reads_the_token_shellsso_cached(
    healthy: AwsEnv, aws_cli_v1: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The AWS CLI v1 reads the sso-session token shellsso wrote (only its `aws sso login` is
    missing), and the doctor says just that."""
    version = subprocess.run([str(aws_cli_v1), "--version"], capture_output=True, text=True,
                             check=False)
    assert version.stdout.startswith("aws-cli/1."), version.stdout + version.stderr
    monkeypatch.setenv("PATH", f"{aws_cli_v1.parent}:/usr/bin:/bin")
    code, data = doctor_json("--profile", "dev")
    assert levels(data).get("tools.aws-cli-v1-login") == "info", data
    assert "tools.aws-cli-v1" not in levels(data)
    who = subprocess.run([str(aws_cli_v1), "sts", "get-caller-identity", "--profile", "dev",
                          "--output", "json"], capture_output=True, text=True, check=False,
                         env=dict(os.environ, AWS_ENDPOINT_URL_STS=healthy.url), timeout=120)
    assert who.returncode == 0, who.stderr
    assert '"Account": "111111111111"' in who.stdout


def test_hanging_aws_cli_does_not_hang_the_doctor(healthy: AwsEnv, tools: Path) -> None:
    (tools / "aws").write_text("#!/bin/sh\nexec sleep 30\n")
    started = time.monotonic()
    code, data = doctor_json("--profile", "dev")
    assert time.monotonic() - started < 15
    assert "did not answer" in finding(data, "tools.aws-cli-unknown")["message"]


def test_version_parser() -> None:
    from shellsso.doctor.network import parse_aws_version

    assert parse_aws_version(AWS_V2) == (2, 36, 7)
    assert parse_aws_version("aws-cli/1.18.69 Python/2.7") == (1, 18, 69)
    assert parse_aws_version("") is None
    assert parse_aws_version("aws-cli/\uff12.\u0661\u0665.0 Python/3") is None  # not ASCII digits


# --- no secret, no crash -----------------------------------------------------------------------

SECRETS = ["AKIAPLANTEDKEY000001", "planted-env-secret", "planted-env-session",
           "AKIAPLANTEDKEY000002", "planted-file-secret", "planted-file-session",
           "planted-config-secret", "planted-access-token", "planted-client-secret",
           "planted-refresh-token", "planted-role-secret", "planted-role-session",
           "planted-reg-secret"]


def plant_secrets(env: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """Recognisable secret values in every place a secret can live."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", SECRETS[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRETS[1])
    monkeypatch.setenv("AWS_SESSION_TOKEN", SECRETS[2])
    creds = env.home / ".aws" / "credentials"
    creds.write_text(f"[keys]\naws_access_key_id = {SECRETS[3]}\naws_secret_access_key = "
                     f"{SECRETS[4]}\naws_session_token = {SECRETS[5]}\n")
    creds.chmod(0o644)
    env.config.write_text(DEMO_CONFIG + f"\n[profile cfgkeys]\naws_access_key_id = AKIA1\n"
                          f"aws_secret_access_key = {SECRETS[6]}\n")
    write_token(env.home, "corp", -60, access_token=SECRETS[7], client_secret=SECRETS[8],
                refresh_token=SECRETS[9])
    cli = env.home / ".aws" / "cli" / "cache"
    cli.mkdir(parents=True, exist_ok=True)
    (cli / "0123.json").write_text(json.dumps({"ProviderType": "sso", "Credentials": {
        "AccessKeyId": "ASIA", "SecretAccessKey": SECRETS[10], "SessionToken": SECRETS[11],
        "Expiration": "2000-01-01T00:00:00Z"}}))
    (env.home / ".aws" / "sso" / "cache" / "reg.json").write_text(json.dumps(
        {"clientId": "c", "clientSecret": SECRETS[12], "expiresAt": "2000-01-01T00:00:00Z"}))


def test_no_secret_in_any_output(
    aws_env: AwsEnv, tools: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plant_secrets(aws_env, monkeypatch)
    outputs: List[str] = []
    for args in (["--profile", "dev"], ["--profile", "keys"], ["--profile", "cfgkeys"],
                 ["--profile", "nope"], []):
        for extra in ([], ["--json"]):
            result = doctor(*args, *extra)
            outputs += [result.stdout, result.stderr]
            if extra:
                assert_schema(json.loads(result.stdout))
    monkeypatch.setenv("AWS_PROFILE", "dev")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")  # partial keys in the environment
    result = doctor()
    outputs += [result.stdout, result.stderr]
    everything = "\n".join(outputs)
    assert "credentials.permissions" in everything and "env.credentials" in everything
    for secret in SECRETS:
        assert secret not in everything, secret


BROKEN_SETUPS: List[Tuple[str, str]] = [
    ("config is a folder", "mkdir config"),
    ("config is binary", "binary config"),
    ("token is a list", "token []"),
    ("token is not JSON", "token {"),
    ("token has a naive time", 'token {"accessToken": "x", "expiresAt": "2030-01-01T00:00:00"}'),
    ("token has odd types", 'token {"accessToken": 5, "expiresAt": [], "startUrl": 1}'),
    ("cache is a file", "cache file"),
    ("nested region", "nested"),
]


@pytest.mark.parametrize(("name", "setup"), BROKEN_SETUPS, ids=[n for n, _ in BROKEN_SETUPS])
def test_never_a_traceback(aws_env: AwsEnv, tools: Path, name: str, setup: str) -> None:
    aws = aws_env.home / ".aws"
    token = aws / "sso" / "cache" / f"{sha1('corp')}.json"
    if setup == "mkdir config":
        aws_env.config.unlink()
        aws_env.config.mkdir()
    elif setup == "binary config":
        aws_env.config.write_bytes(b"\xff\xfe[profile dev]\x00\n")
    elif setup.startswith("token "):
        token.parent.mkdir(parents=True, exist_ok=True)
        token.write_text(setup[len("token "):])
    elif setup == "cache file":
        (aws / "sso").mkdir(parents=True)
        (aws / "sso" / "cache").write_text("")
    elif setup == "nested":
        aws_env.config.write_text(DEMO_CONFIG.replace(
            "region = us-west-2", "region =\n  x = y\nsso_start_url =\n  a = b"))
    for args in (["--profile", "dev"], ["--json", "--profile", "dev"]):
        result = doctor(*args)
        assert result.returncode in (0, 1), result.stderr
        assert "unexpected" not in result.stderr and "doctor.check-failed" not in result.stdout
        assert "check could not finish" not in result.stdout


def test_a_check_that_breaks_is_one_more_finding(home: Path) -> None:
    from shellsso.commands.doctor import diagnose
    from shellsso.doctor.findings import Context, Finding

    def check_boom(ctx: Context) -> List[Finding]:
        raise ValueError("planted-access-token")

    def check_after(ctx: Context) -> List[Finding]:
        return [Finding("after.ok", "ok", "the next check still ran")]

    _, found = diagnose("dev", (check_boom, check_after))
    assert [(f.id, f.level) for f in found] == [("doctor.check-failed", "error"),
                                                ("after.ok", "ok")]
    assert found[0].message == "the boom check could not finish (ValueError)"
    assert "planted" not in found[0].message


def test_colours_only_on_a_terminal_and_never_with_no_color(healthy: AwsEnv) -> None:
    import pexpect

    env = dict(os.environ)
    child = pexpect.spawn(sys.executable, ["-m", "shellsso", "doctor", "--profile", "dev"],
                          env=env, encoding="utf-8", timeout=30)
    child.expect(pexpect.EOF)
    assert "\033[32mok" in (child.before or "")
    env["NO_COLOR"] = "1"
    child = pexpect.spawn(sys.executable, ["-m", "shellsso", "doctor", "--profile", "dev"],
                          env=env, encoding="utf-8", timeout=30)
    child.expect(pexpect.EOF)
    assert "ok" in (child.before or "") and "\033[" not in (child.before or "")



# --- botocore agrees ------------------------------------------------------------------------

AGREEMENT = [("dev", ""), ("noregion", NO_REGION), ("a", LOOP),
             ("a", LOOP.replace("source_profile = a", "source_profile = gone"))] + [
    ("x", extra) for extra, _, _ in SSO_FAULTS]


@pytest.mark.parametrize(("profile", "extra"), AGREEMENT)
def test_doctor_fails_exactly_where_botocore_fails(healthy: AwsEnv, profile: str,
                                                    extra: str) -> None:
    """botocore resolving the profile (as `Session(profile=...)`) and the doctor agree."""
    from tests.creds.test_export import botocore_resolve

    healthy.config.write_text(DEMO_CONFIG + "\n" + extra)
    resolved = botocore_resolve(profile)
    result = doctor("--profile", profile)
    assert (resolved.returncode == 0) == (result.returncode == 0), (
        resolved.stdout + resolved.stderr + result.stdout)
