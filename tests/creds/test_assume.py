"""Role profiles (`role_arn` + `source_profile`): chains through moto's STS server.

The SSO source credentials come from the emulator; STS is moto's own server
on 127.0.0.1, reached through AWS_ENDPOINT_URL_STS exactly as botocore would.
AssumeRole results land in `~/.aws/cli/cache` under the CLI's key.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

from tests.conftest import DEMO_CONFIG, AwsEnv, run_shellsso, sha1, write_config
from tests.creds.test_rolecreds import botocore_access_key, emulator_login, one_error_line

ROLE1 = "arn:aws:iam::123456789012:role/Role1"
ROLE2 = "arn:aws:iam::210987654321:role/Role2"
ROLE_CONFIG = f"""
[profile role1]
role_arn = {ROLE1}
source_profile = dev

[profile role2]
role_arn = {ROLE2}
source_profile = role1
role_session_name = me
external_id = ext-1
duration_seconds = 1800
region = eu-west-1

[profile loop-a]
role_arn = {ROLE1}
source_profile = loop-b

[profile loop-b]
role_arn = {ROLE2}
source_profile = loop-c

[profile loop-c]
role_arn = {ROLE2}
source_profile = loop-a

[profile selfie]
role_arn = {ROLE1}
source_profile = selfie
aws_access_key_id = AKIASELFIE0000000001
aws_secret_access_key = selfie-secret

[profile fromenv]
role_arn = {ROLE1}
credential_source = Environment

[profile both]
role_arn = {ROLE1}
credential_source = Environment
source_profile = dev

[profile neither]
role_arn = {ROLE1}

[profile dangling]
role_arn = {ROLE1}
source_profile = nowhere

[profile imds]
role_arn = {ROLE1}
credential_source = Ec2InstanceMetadata

[profile webid]
role_arn = {ROLE1}
web_identity_token_file = /var/run/token

[profile mfa]
role_arn = {ROLE1}
source_profile = selfie
mfa_serial = arn:aws:iam::123456789012:mfa/me
"""


class Sts:
    def __init__(self, server: Any, url: str) -> None:
        self.server = server
        self.url = url


@pytest.fixture
def sts(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sts]:
    """moto's STS on 127.0.0.1 (it accepts any credentials), stopped after the test."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", url)
    try:
        yield Sts(server, url)
    finally:
        server.stop()


@pytest.fixture
def roles(aws_env: AwsEnv, sts: Sts) -> AwsEnv:
    write_config(aws_env.home, DEMO_CONFIG + ROLE_CONFIG)
    return aws_env


def assume_cache(home: Path, kwargs: Dict[str, Any]) -> Path:
    return home / ".aws" / "cli" / "cache" / f"{sha1(json.dumps(kwargs, sort_keys=True))}.json"


def export_json(profile: str) -> Dict[str, str]:
    result = run_shellsso("export", "--profile", profile, "--format", "json")
    assert result.returncode == 0, result.stderr
    data: Dict[str, str] = json.loads(result.stdout)
    return data


ROLE2_KWARGS = {"RoleArn": ROLE2, "RoleSessionName": "me", "ExternalId": "ext-1",
                "DurationSeconds": 1800}


def test_chain_dev_role1_role2(roles: AwsEnv, sts: Sts) -> None:
    emulator_login(roles)
    exported = export_json("role2")
    assert roles.counters()["GetRoleCredentials"] == 1
    first = json.loads(assume_cache(roles.home, {"RoleArn": ROLE1}).read_text())
    second_raw = assume_cache(roles.home, ROLE2_KWARGS).read_text()
    second = json.loads(second_raw)
    assert second["Credentials"]["AccessKeyId"] == exported["AWS_ACCESS_KEY_ID"]
    assert second["Credentials"]["Expiration"].endswith("UTC")
    assert second["Credentials"]["AccountId"] == "210987654321"
    assert second["AssumedRoleUser"]["Arn"].endswith(":assumed-role/Role2/me")
    assert first["AssumedRoleUser"]["Arn"].split("/")[-1].startswith("shellsso-")
    assert second_raw == json.dumps(second)  # default separators, like JSONFileCache

    sts.server.stop()  # from now on, only the cache can answer
    again = export_json("role2")
    assert again == exported
    assert roles.counters()["GetRoleCredentials"] == 1


def test_cache_key_is_botocores(roles: AwsEnv) -> None:
    from botocore.credentials import AssumeRoleCredentialFetcher

    from shellsso.awsconfig.model import load_config
    from shellsso.creds.assume import assume_cache_key, assume_role_kwargs

    config = load_config()
    for profile in ("role1", "role2", "mfa"):
        kwargs = assume_role_kwargs(config.get(profile))
        extra = {k: v for k, v in kwargs.items() if k != "RoleArn"}
        fetcher = AssumeRoleCredentialFetcher(
            client_creator=None, source_credentials=None, role_arn=kwargs["RoleArn"],
            extra_args=extra,
        )
        assert assume_cache_key(kwargs) == fetcher._cache_key


def test_botocore_with_the_cli_cache_uses_our_assume_role_entry(roles: AwsEnv, sts: Sts) -> None:
    emulator_login(roles)
    exported = export_json("role2")
    sts.server.stop()
    assert botocore_access_key("role2", "assume-role") == exported["AWS_ACCESS_KEY_ID"]


def test_cycle_is_a_clear_error(roles: AwsEnv) -> None:
    line = one_error_line(run_shellsso("export", "--profile", "loop-a"))
    chain = "loop-a -> loop-b -> loop-c -> loop-a"
    assert line == f"shellsso: error: profile chain has a cycle: {chain}"


def test_profile_sourcing_its_own_static_keys(roles: AwsEnv) -> None:
    exported = export_json("selfie")
    assert exported["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert "GetRoleCredentials" not in roles.counters()


def test_credential_source_environment(roles: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    line = one_error_line(run_shellsso("export", "--profile", "fromenv"))
    assert "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set" in line
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFROMENV000000001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    exported = export_json("fromenv")
    assert exported["AWS_ACCESS_KEY_ID"] != "AKIAFROMENV000000001"


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ("both", "profile 'both' has both source_profile and credential_source"),
        ("neither", "profile 'neither' has role_arn but neither source_profile nor "
                    "credential_source"),
        ("dangling", "source_profile 'nowhere' of profile 'dangling' does not exist"),
        ("imds", "credential_source Ec2InstanceMetadata, which shellsso does not fetch"),
        ("webid", "(web_identity_token_file), which shellsso does not fetch"),
    ],
)
def test_bad_role_config(roles: AwsEnv, profile: str, message: str) -> None:
    assert message in one_error_line(run_shellsso("export", "--profile", profile))


def test_mfa_without_terminal_is_a_clear_error(roles: AwsEnv) -> None:
    line = one_error_line(run_shellsso("credential-process", "--profile", "mfa"))
    assert "needs an MFA code for arn:aws:iam::123456789012:mfa/me" in line
    assert "no terminal" in line


def test_mfa_code_asked_on_the_terminal(roles: AwsEnv) -> None:
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(sys.executable, ["-m", "shellsso", "export", "--profile", "mfa"],
                          env=dict(os.environ), encoding="utf-8", timeout=60)
    try:
        child.expect(r"Enter MFA code for arn:aws:iam::123456789012:mfa/me: ")
        child.sendline("123456")
        child.expect("export AWS_ACCESS_KEY_ID='(ASIA[A-Z0-9]+)'")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    # cached under a key with SerialNumber but without the code: no second prompt
    result = run_shellsso("credential-process", "--profile", "mfa")
    assert result.returncode == 0, result.stderr


def test_sts_error_is_one_line(roles: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")  # nothing listens
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    line = one_error_line(run_shellsso("export", "--profile", "selfie"))
    assert f"AssumeRole {ROLE1} for profile 'selfie' failed" in line
