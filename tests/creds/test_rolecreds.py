"""SSO role credentials: fetched from the emulator, cached exactly as the AWS CLI v2 does.

Tokens come from the emulator itself (a real device-code flow through boto3's
sso-oidc client), so GetRoleCredentials accepts them; every command runs in a
subprocess as a user would run it.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

from tests.conftest import (
    DEMO_CONFIG,
    SSO_REGION,
    START_URL,
    AwsEnv,
    run_shellsso,
    sha1,
    write_config,
)

DEV_KEY = {"accountId": "111111111111", "roleName": "AdministratorAccess", "sessionName": "corp"}
FMT = "%Y-%m-%dT%H:%M:%SZ"


def emulator_login(env: AwsEnv, *, expires_in: Optional[float] = None) -> Dict[str, Any]:
    """A real token from the emulator (device flow), written where and as the CLI writes it.

    `expires_in` overrides the local expiry only: a negative value gives an
    expired-but-refreshable token whose refresh token the emulator honours.
    """
    import boto3

    client = boto3.session.Session().client("sso-oidc", region_name=SSO_REGION)
    reg = client.register_client(
        clientName="shellsso-tests", clientType="public", scopes=["sso:account:access"]
    )
    auth = client.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=START_URL
    )
    assert env.emulator.approve(auth["userCode"])
    token = client.create_token(
        grantType="urn:ietf:params:oauth:grant-type:device_code",
        deviceCode=auth["deviceCode"],
        clientId=reg["clientId"],
        clientSecret=reg["clientSecret"],
    )
    lifetime = token["expiresIn"] if expires_in is None else expires_in
    data = {
        "startUrl": START_URL,
        "region": SSO_REGION,
        "accessToken": token["accessToken"],
        "expiresAt": time.strftime(FMT, time.gmtime(time.time() + lifetime)),
        "clientId": reg["clientId"],
        "clientSecret": reg["clientSecret"],
        "registrationExpiresAt": time.strftime(FMT, time.gmtime(reg["clientSecretExpiresAt"])),
        "refreshToken": token["refreshToken"],
    }
    cache = env.home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{sha1('corp')}.json"
    path.write_text(json.dumps(data))
    path.chmod(0o600)
    return data


def role_cache_file(home: Path, key: Dict[str, str] = DEV_KEY) -> Path:
    digest = sha1(json.dumps(key, sort_keys=True, separators=(",", ":")))
    return home / ".aws" / "cli" / "cache" / f"{digest}.json"


def write_cli_role_cache(
    home: Path, expires_in: float, key_id: str = "ASIACLIWROTETHIS0001"
) -> Path:
    """A role-credential entry exactly as the AWS CLI v2 writes it (docs/protocol.md §6)."""
    path = role_cache_file(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {
        "ProviderType": "sso",
        "Credentials": {
            "AccessKeyId": key_id,
            "SecretAccessKey": "cli-secret",
            "SessionToken": "cli-session-token",
            "Expiration": time.strftime(FMT, time.gmtime(time.time() + expires_in)),
            "AccountId": "111111111111",
        },
    }
    path.write_text(json.dumps(entry))
    path.chmod(0o600)
    return path


def export_json(*args: str) -> Dict[str, str]:
    result = run_shellsso("export", "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    data: Dict[str, str] = json.loads(result.stdout)
    return data


def botocore_access_key(profile: str, provider: str) -> str:
    """The access key botocore resolves in a separate process, its `provider`
    (sso, assume-role) reading the AWS CLI's JSONFileCache as the CLI sets it up."""
    script = textwrap.dedent(
        f"""
        import os
        from botocore.session import Session
        from botocore.utils import JSONFileCache
        session = Session(profile={profile!r})
        provider = session.get_component("credential_provider").get_provider({provider!r})
        provider.cache = JSONFileCache(os.path.expanduser("~/.aws/cli/cache"))
        print(session.get_credentials().get_frozen_credentials().access_key)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def grc(env: AwsEnv) -> int:
    return int(env.counters().get("GetRoleCredentials", 0))


def one_error_line(result: subprocess.CompletedProcess) -> str:  # type: ignore[type-arg]
    """The single `shellsso: error: ...` line (`awsuse: error: ...` from the awsuse back
    end); nothing on stdout, no traceback."""
    assert result.returncode != 0
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    prog = "awsuse" if "_use" in result.args else "shellsso"
    assert lines[0].startswith(f"{prog}: error: ")
    return lines[0]


# --- unit level ------------------------------------------------------------------------


def test_credentials_repr_hides_secrets() -> None:
    from shellsso.creds.role_credentials import Credentials

    creds = Credentials("ASIAABCDEFGHIJKLMNOP", "s3cr3t-value", "tok3n-value", 1e9, "111")
    text = repr(creds) + str(creds)
    assert "s3cr3t" not in text and "tok3n" not in text
    assert "ASIAABCDEFGHIJKLMNOP" not in text and "ASIA" in text


def test_role_cache_key_matches_the_cli_examples() -> None:
    from shellsso.awsconfig.model import SsoTarget
    from shellsso.creds.role_credentials import role_cache_key

    session = SsoTarget("dev", "my-sso", START_URL, "us-east-1", None, "111111111111", "Admin")
    legacy = SsoTarget("legacy", None, START_URL, "us-east-1", None, "111111111111", "Admin")
    assert role_cache_key(session) == "4d591a7ab0da2e15379d89377621ae9cda619cc3"
    assert role_cache_key(legacy) == "286e93c3018b44f21e1f9bca8bfbca4be8834fc9"


# --- fetching and caching -------------------------------------------------------------


def test_second_export_reuses_cached_credentials(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    first = export_json("--profile", "dev")
    second = export_json("--profile", "dev")
    assert grc(aws_env) == 1
    assert first == second
    assert first["AWS_ACCESS_KEY_ID"] in aws_env.emulator.issued_access_key_ids


def test_cache_file_is_the_cli_format(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    exported = export_json("--profile", "dev")
    path = role_cache_file(aws_env.home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_text()
    entry = json.loads(raw)
    assert raw == json.dumps(entry)  # default separators, as JSONFileCache writes
    assert list(entry) == ["ProviderType", "Credentials"]
    assert entry["ProviderType"] == "sso"
    creds = entry["Credentials"]
    assert list(creds) == ["AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration",
                           "AccountId"]
    assert creds["AccessKeyId"] == exported["AWS_ACCESS_KEY_ID"]
    assert creds["AccountId"] == "111111111111"
    assert creds["Expiration"].endswith("Z") and len(creds["Expiration"]) == 20
    assert exported["AWS_CREDENTIAL_EXPIRATION"] == creds["Expiration"][:-1] + "+00:00"


def test_cli_written_cache_entry_is_used_without_network_or_token(aws_env: AwsEnv) -> None:
    write_cli_role_cache(aws_env.home, expires_in=3600)  # no token file at all
    exported = export_json("--profile", "dev")
    assert exported["AWS_ACCESS_KEY_ID"] == "ASIACLIWROTETHIS0001"
    assert exported["AWS_SECRET_ACCESS_KEY"] == "cli-secret"
    assert grc(aws_env) == 0 and "CreateToken" not in aws_env.counters()


def test_entry_with_less_than_15_minutes_is_refetched(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    write_cli_role_cache(aws_env.home, expires_in=14 * 60)
    exported = export_json("--profile", "dev")
    assert exported["AWS_ACCESS_KEY_ID"] != "ASIACLIWROTETHIS0001"
    assert grc(aws_env) == 1
    entry = json.loads(role_cache_file(aws_env.home).read_text())
    assert entry["Credentials"]["AccessKeyId"] == exported["AWS_ACCESS_KEY_ID"]


def test_corrupt_entry_warns_and_is_replaced(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    path = role_cache_file(aws_env.home)
    path.parent.mkdir(parents=True)
    path.write_text('{"ProviderType": "sso", "Credentials": {"AccessK')
    result = run_shellsso("export", "--profile", "dev")
    assert result.returncode == 0
    assert "warning: ignoring credential cache file" in result.stderr
    assert "AccessK" not in result.stderr
    assert json.loads(path.read_text())["ProviderType"] == "sso"
    again = run_shellsso("export", "--profile", "dev")
    assert again.stderr == "" and grc(aws_env) == 1


def test_botocore_with_the_cli_cache_uses_our_entry(aws_env: AwsEnv) -> None:
    """botocore's SSO provider with the CLI's JSONFileCache finds what we wrote."""
    emulator_login(aws_env)
    exported = export_json("--profile", "dev")
    assert botocore_access_key("dev", "sso") == exported["AWS_ACCESS_KEY_ID"]
    assert grc(aws_env) == 1


def test_fresh_cache_imports_no_boto3(aws_env: AwsEnv) -> None:
    write_cli_role_cache(aws_env.home, expires_in=3600)
    script = (
        "import sys\n"
        "from shellsso.awsconfig.model import load_config\n"
        "from shellsso.creds.resolve import get_role_credentials\n"
        "from shellsso.shell.exports import format_credentials\n"
        "c = get_role_credentials(load_config(), 'dev', interactive=False)\n"
        "format_credentials(c, 'env')\n"
        "print(c.access_key_id, 'boto3' in sys.modules, 'botocore' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ASIACLIWROTETHIS0001", "False", "False"]


def test_legacy_profile_uses_the_start_url_key(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)  # written under sha1("corp"); legacy needs sha1(start URL)
    source = aws_env.home / ".aws" / "sso" / "cache" / f"{sha1('corp')}.json"
    (source.parent / f"{sha1(START_URL)}.json").write_text(source.read_text())
    exported = export_json("--profile", "legacy")
    legacy_key = {"accountId": "444444444444", "roleName": "AdministratorAccess",
                  "startUrl": START_URL}
    entry = json.loads(role_cache_file(aws_env.home, legacy_key).read_text())
    assert entry["Credentials"]["AccessKeyId"] == exported["AWS_ACCESS_KEY_ID"]


# --- what goes wrong ---------------------------------------------------------------------


def test_revoked_token_without_terminal_is_login_required(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    request = urllib.request.Request(f"{aws_env.url}/_emulator/expire-tokens", data=b"{}",
                                     method="POST")
    urllib.request.urlopen(request, timeout=10).read()
    result = run_shellsso("export", "--profile", "dev")
    line = one_error_line(result)
    assert result.returncode == 3
    assert "shellsso login --profile dev" in line
    assert "revoked" in line


def test_portal_500_is_one_clear_line(aws_env: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    emulator_login(aws_env)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    aws_env.emulator.inject_failure("GetRoleCredentials", 500, 5)
    line = one_error_line(run_shellsso("export", "--profile", "dev"))
    assert "account 111111111111 role AdministratorAccess" in line
    assert "HTTP 500" in line
    assert not role_cache_file(aws_env.home).exists()


def test_no_token_without_terminal_is_login_required(aws_env: AwsEnv) -> None:
    result = run_shellsso("export", "--profile", "dev")
    line = one_error_line(result)
    assert result.returncode == 3 and "shellsso login --profile dev" in line


def test_unknown_profile(aws_env: AwsEnv) -> None:
    line = one_error_line(run_shellsso("export", "--profile", "dve"))
    assert "profile 'dve' not found" in line and "dev" in line


def test_profile_without_credentials(home: Path) -> None:
    write_config(home, DEMO_CONFIG + "\n[profile bare]\nregion = eu-west-1\n"
                 "\n[profile loginonly]\nsso_session = corp\n")
    line = one_error_line(run_shellsso("export", "--profile", "bare"))
    assert line == "shellsso: error: profile 'bare' has no SSO, role or static credentials"
    line = one_error_line(run_shellsso("export", "--profile", "loginonly"))
    assert "no sso_account_id and sso_role_name" in line


def test_half_an_sso_role_is_a_config_error(home: Path) -> None:
    write_config(home, DEMO_CONFIG + "\n[profile half]\nsso_session = corp\n"
                 "sso_account_id = 111111111111\n")
    line = one_error_line(run_shellsso("export", "--profile", "half"))
    assert "missing sso_role_name" in line


def test_static_keys_from_credentials_file(home: Path) -> None:
    write_config(home, "[profile static]\nregion = eu-west-1\n")
    (home / ".aws" / "credentials").write_text(
        "[static]\naws_access_key_id = AKIASTATICKEY0000001\n"
        "aws_secret_access_key = static/secret+value\n"
    )
    result = run_shellsso("export", "--profile", "static", "--format", "env-no-export")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "AWS_ACCESS_KEY_ID='AKIASTATICKEY0000001'\n"
        "AWS_SECRET_ACCESS_KEY='static/secret+value'\n"
    )


def test_static_keys_half_present(home: Path) -> None:
    write_config(home, "[profile half]\naws_access_key_id = AKIAONLYTHEID0000001\n")
    line = one_error_line(run_shellsso("export", "--profile", "half"))
    assert "no aws_secret_access_key" in line


BOTOCORE_KEY = textwrap.dedent(
    """
    import sys
    from botocore.session import Session
    print(Session(profile=sys.argv[1]).get_credentials().get_frozen_credentials().access_key)
    """
)


@pytest.mark.parametrize(("keys_in", "expected"), [
    ("credentials", "AKIASTATICKEY0000001"),  # the credentials file's keys come first
    ("config", "AKIAFROMPROCESS00001"),  # credential_process before the config file's keys
])
def test_static_keys_and_credential_process_resolve_as_botocore(
        home: Path, keys_in: str, expected: str) -> None:
    """A profile with both static keys and a credential_process: the source botocore picks
    depends on the file that holds the keys, and shellsso must pick the same."""
    script = home / "process.py"
    script.write_text("print('{\"Version\": 1, \"AccessKeyId\": \"AKIAFROMPROCESS00001\", "
                      "\"SecretAccessKey\": \"from-process\"}')\n")
    keys = "aws_access_key_id = AKIASTATICKEY0000001\naws_secret_access_key = static\n"
    config = f"[profile both]\ncredential_process = {sys.executable} {script}\n"
    write_config(home, config + keys if keys_in == "config" else config)
    if keys_in == "credentials":
        (home / ".aws" / "credentials").write_text("[both]\n" + keys)
    botocore = subprocess.run([sys.executable, "-c", BOTOCORE_KEY, "both"], capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert botocore.returncode == 0, botocore.stderr
    assert botocore.stdout.strip() == expected
    assert export_json("--profile", "both")["AWS_ACCESS_KEY_ID"] == expected


def test_revoked_token_on_a_terminal_offers_login(aws_env: AwsEnv) -> None:
    pexpect = pytest.importorskip("pexpect")
    emulator_login(aws_env)
    request = urllib.request.Request(f"{aws_env.url}/_emulator/expire-tokens", data=b"{}",
                                     method="POST")
    urllib.request.urlopen(request, timeout=10).read()
    child = pexpect.spawn(sys.executable, ["-m", "shellsso", "export", "--profile", "dev"],
                          env=dict(os.environ), encoding="utf-8", timeout=60)
    try:
        child.expect(r"Log in again now\? \[Y/n\] ")
        child.sendline("y")
        child.expect("export AWS_ACCESS_KEY_ID='(ASIA[A-Z2-7]+)'")
        key = child.match.group(1)
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert key in aws_env.emulator.issued_access_key_ids
