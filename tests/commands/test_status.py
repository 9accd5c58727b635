"""`shellsso status` and `shellsso list`: for people, and `--json` for scripts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict

from tests.conftest import DEMO_CONFIG, START_URL, AwsEnv, run_shellsso, write_config, write_token

EXTRA_PROFILES = """
[profile chained]
role_arn = arn:aws:iam::555555555555:role/Deployer
source_profile = dev
region = eu-central-1

[profile tool]
credential_process = /usr/local/bin/get-creds --profile x
"""

CREDENTIALS = """\
[static]
aws_access_key_id = AKIAEXAMPLEEXAMPLE00
aws_secret_access_key = do-not-print-me
"""


def status_json(*args: str, env: Any = None) -> Dict[str, Any]:
    result = run_shellsso("status", "--json", *args, env=env)
    assert result.returncode == 0, result.stderr
    data: Dict[str, Any] = json.loads(result.stdout)
    return data


def write_role_credentials(home: Path, profile: str, expires_in: float) -> Path:
    """A role-credential entry where the AWS CLI caches it."""
    from shellsso.awsconfig.model import load_config
    from shellsso.creds.role_credentials import role_cache_path

    target = load_config().sso_target(profile)
    assert target is not None
    path = Path(role_cache_path(target))
    path.parent.mkdir(parents=True, exist_ok=True)
    expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + expires_in))
    path.write_text(json.dumps({"ProviderType": "sso", "Credentials": {
        "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s", "SessionToken": "t",
        "Expiration": expiration, "AccountId": "111111111111"}}))
    return path


def test_status_without_a_token(aws_env: AwsEnv) -> None:
    result = run_shellsso("status", "--profile", "dev")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Profile:     dev",
        "Kind:        IAM Identity Center (sso-session)",
        "Account:     111111111111",
        "Role:        AdministratorAccess",
        "Region:      us-west-2",
        f"SSO session: corp ({START_URL}, us-east-1)",
        "Token:       none (log in: shellsso login --profile dev)",
        "Credentials: not cached",
    ]
    assert result.stderr == ""


def test_status_of_the_active_profile_with_token_and_credentials(
    aws_env: AwsEnv, monkeypatch: Any
) -> None:
    write_token(aws_env.home, "corp", 3 * 3600 + 120)
    write_role_credentials(aws_env.home, "staging", 3000)
    monkeypatch.setenv("AWS_PROFILE", "staging")
    result = run_shellsso("status")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Profile:     staging  (active)"
    # (An expiry on another day names its date.)
    assert re.fullmatch(r"Token:       valid until \d\d:\d\d( on \d{4}-\d\d-\d\d)? "
                        r"\(3h 0[12]m left\)", lines[6])
    assert re.fullmatch(r"Credentials: cached until \d\d:\d\d( on \d{4}-\d\d-\d\d)? "
                        r"\((49|50)m left\)", lines[7])
    data = status_json()
    assert data["profile"] == "staging" and data["active"] is True
    assert data["token"]["state"] == "valid"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["token"]["expiresAt"])
    assert 3 * 3600 < data["token"]["remainingSeconds"] <= 3 * 3600 + 120
    assert 2900 < data["credentials"]["remainingSeconds"] <= 3000


def test_status_json_fields(aws_env: AwsEnv) -> None:
    write_token(aws_env.home, "corp", 300, refresh_token="r")
    data = status_json("--profile", "prod")
    assert data == {
        "profile": "prod", "active": False, "kind": "sso", "accountId": "333333333333",
        "roleName": "ReadOnlyAccess", "region": "us-east-1", "ssoSession": "corp",
        "startUrl": START_URL, "ssoRegion": "us-east-1",
        "token": {"state": "refreshable", "expiresAt": data["token"]["expiresAt"],
                  "remainingSeconds": data["token"]["remainingSeconds"]},
        "credentials": None,
    }


def test_token_states_in_words(aws_env: AwsEnv) -> None:
    write_token(aws_env.home, "corp", 300)
    out = run_shellsso("status", "--profile", "dev").stdout
    assert re.search(r"^Token:       expiring at \d\d:\d\d \([45]m left, not refreshable; "
                     r"shellsso login --profile dev\)$", out, re.M)
    write_token(aws_env.home, "corp", -300)
    out = run_shellsso("status", "--profile", "dev").stdout
    assert re.search(r"^Token:       expired at \d\d:\d\d \(log in: shellsso login --profile "
                     r"dev\)$", out, re.M)
    write_token(aws_env.home, "corp", -300, refresh_token="r")
    out = run_shellsso("status", "--profile", "dev").stdout
    assert re.search(r"^Token:       expired at \d\d:\d\d; refreshed silently on next use$",
                     out, re.M)
    assert status_json("--profile", "dev")["token"]["state"] == "refreshable"


def test_legacy_profile(aws_env: AwsEnv) -> None:
    write_token(aws_env.home, START_URL, 3600)
    result = run_shellsso("status", "--profile", "legacy")
    assert "Kind:          IAM Identity Center (legacy start URL, no refresh)" in result.stdout
    assert f"SSO start URL: {START_URL}, us-east-1" in result.stdout
    assert status_json("--profile", "legacy")["token"]["state"] == "valid"


def test_non_sso_profiles_are_described_not_errors(home: Path) -> None:
    write_config(home, DEMO_CONFIG + EXTRA_PROFILES)
    (home / ".aws" / "credentials").write_text(CREDENTIALS)
    write_token(home, "corp", 3600)
    chained = status_json("--profile", "chained")
    assert chained["kind"] == "assume-role" and chained["sourceProfile"] == "dev"
    assert chained["accountId"] == "555555555555" and chained["roleName"] == "Deployer"
    assert chained["ssoProfile"] == "dev" and chained["token"]["state"] == "valid"
    result = run_shellsso("status", "--profile", "chained")
    assert "Role ARN:    arn:aws:iam::555555555555:role/Deployer (from dev)" in result.stdout
    assert "SSO via:     profile dev" in result.stdout
    tool = status_json("--profile", "tool")
    assert tool["kind"] == "credential-process" and "token" not in tool
    static = run_shellsso("status", "--profile", "static")
    assert static.returncode == 0 and "Kind:    static access keys" in static.stdout
    assert "do-not-print-me" not in static.stdout
    default = run_shellsso("status", "--profile", "default")
    assert default.returncode == 0 and "no credentials configured" in default.stdout


def test_credential_process_arguments_are_not_shown(home: Path) -> None:
    """The arguments of a credential_process can hold a token: only the program is shown."""
    write_config(home, "[profile tool]\ncredential_process = /opt/bin/get-creds --token "
                       "s3cr3t-t0ken --profile x\n\n[profile spaced]\ncredential_process = "
                       "'/opt/my tools/get-creds' --password=hunter2\n\n[profile bare]\n"
                       "credential_process = get-creds\n")
    for name, program in (("tool", "/opt/bin/get-creds"), ("spaced", "/opt/my tools/get-creds"),
                          ("bare", "get-creds")):
        text = run_shellsso("status", "--profile", name)
        data = status_json("--profile", name)
        for out in (text.stdout, json.dumps(data)):
            assert "s3cr3t-t0ken" not in out and "hunter2" not in out
        assert data["credentialProgram"] == program and "credentialProcess" not in data
        shown = program if name == "bare" else f"{program} (arguments not shown)"
        assert f"Program: {shown}\n" in re.sub(r"Program: +", "Program: ", text.stdout)


def test_status_with_no_profile_at_all(home: Path) -> None:
    write_config(home, "[profile a]\nregion = x\n")
    result = run_shellsso("status")
    assert result.returncode == 1
    assert result.stderr.startswith("shellsso: error: no profile selected (AWS_PROFILE is not "
                                    "set) and no [default] profile in ")


def test_status_unknown_profile(aws_env: AwsEnv) -> None:
    result = run_shellsso("status", "--profile", "stagign")
    assert result.returncode == 1 and "did you mean: staging?" in result.stderr


# --- list -------------------------------------------------------------------------------


def test_list_aligned_with_the_active_profile_marked(home: Path, monkeypatch: Any) -> None:
    write_config(home, DEMO_CONFIG + EXTRA_PROFILES)
    write_token(home, "corp", 3600)
    monkeypatch.setenv("AWS_PROFILE", "prod")
    result = run_shellsso("list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["PROFILE", "SESSION", "ACCOUNT", "ROLE", "REGION", "TOKEN"]
    starts = [lines[0].index(word) for word in lines[0].split()]
    for line in lines[1:]:
        for start in starts[1:]:
            assert line[start - 1] == " " and line[start] != " ", line
    rows = {line[2:].split()[0]: line for line in lines[1:]}
    assert rows["prod"].startswith("* ") and rows["dev"].startswith("  ")
    assert rows["dev"].split()[1:] == ["corp", "111111111111", "AdministratorAccess",
                                       "us-west-2", "valid"]
    assert rows["legacy"].split()[1:3] == [START_URL, "444444444444"]
    assert rows["legacy"].split()[-1] == "none"
    assert rows["chained"].split()[1:5] == ["via", "dev", "555555555555", "Deployer"]
    assert rows["tool"].split()[1] == "(credential-process)"
    assert [line[2:].split()[0] for line in lines[1:]] == [
        "default", "dev", "staging", "prod", "legacy", "chained", "tool"]


def test_list_json(aws_env: AwsEnv, monkeypatch: Any) -> None:
    monkeypatch.setenv("AWS_PROFILE", "dev")
    write_token(aws_env.home, "corp", -60)
    result = run_shellsso("list", "--json")
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == ["default", "dev", "staging", "prod", "legacy"]
    dev = rows[1]
    assert dev == {"name": "dev", "active": True, "kind": "sso", "ssoSession": "corp",
                   "startUrl": START_URL, "accountId": "111111111111",
                   "roleName": "AdministratorAccess", "region": "us-west-2",
                   "token": "expired"}
    assert [r["active"] for r in rows].count(True) == 1


def test_list_is_file_only(aws_env: AwsEnv) -> None:
    """No boto3, and one token-file read per session (not per profile)."""
    code = (
        "import builtins, os, sys\n"
        "opened = []\n"
        "real, real_os = builtins.open, os.stat\n"
        "def spy(path, *a, **k):\n"
        "    opened.append(str(path)); return real(path, *a, **k)\n"
        "def spy_os(path, *a, **k):\n"
        "    opened.append(str(path)); return real_os(path, *a, **k)\n"
        "builtins.open, os.stat = spy, spy_os\n"
        "from shellsso.cli import main\n"
        "main(['list'])\n"
        "sys.stderr.write(repr((sorted({m.split('.')[0] for m in sys.modules} & "
        "{'boto3', 'botocore'}), sum('/sso/cache/' in p for p in opened))))\n"
    )
    write_token(aws_env.home, "corp", 3600)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ), check=True)
    assert out.stderr == "([], 2)"  # corp and the legacy start URL
    assert aws_env.counters() == {}


def test_list_without_config(home: Path) -> None:
    result = run_shellsso("list")
    assert result.returncode == 0 and result.stdout == ""
    assert f"no profiles: {home}/.aws/config does not exist" in result.stderr
    assert json.loads(run_shellsso("list", "--json").stdout) == []
