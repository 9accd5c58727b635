"""STS GetCallerIdentity on the emulator, asked by real boto3: the credentials the
portal issued say who they belong to, so `aws sts get-caller-identity` works offline
(the demo points AWS_ENDPOINT_URL_STS here)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

from shellsso.emulator import Emulator, creds
from tests.conftest import AwsEnv, run_shellsso

CALLER = """\
import sys, boto3
sts = boto3.session.Session(profile_name=sys.argv[1]).client("sts")
identity = sts.get_caller_identity()
print(identity["Account"], identity["Arn"], identity["UserId"])
"""


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(interval=1) as emulator:
        yield emulator


def sts_client(emu: Emulator, key: str, token: str = "not-checked") -> object:
    return boto3.session.Session().client(
        "sts", region_name="us-east-1", endpoint_url=emu.url, aws_access_key_id=key,
        aws_secret_access_key="not-checked", aws_session_token=token,
    )


def test_botocore_sso_profile_gets_its_identity_from_the_emulator(aws_env: AwsEnv) -> None:
    """The whole chain, as `aws sts get-caller-identity` runs it: botocore's SSO
    provider reads the token shellsso cached, gets role credentials from the portal,
    and signs an STS call with them."""
    assert run_shellsso("login", "--profile", "dev").returncode == 0
    env = {**os.environ, "AWS_ENDPOINT_URL_STS": aws_env.url}
    out = subprocess.run([sys.executable, "-c", CALLER, "staging"], capture_output=True,
                         text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    account, arn, user_id = out.stdout.split()
    assert account == "222222222222"
    assert arn.startswith("arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_ReadOnlyAccess_")
    assert arn.endswith("/demo-user") and user_id.startswith("AROA")
    assert user_id.endswith(":demo-user")
    assert aws_env.counters().get("GetCallerIdentity") == 1


def test_unknown_expired_and_unsigned_callers_get_sts_errors(emu: Emulator) -> None:
    with pytest.raises(ClientError) as unknown:
        sts_client(emu, "ASIAUNKNOWNKEY000000").get_caller_identity()
    assert unknown.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert unknown.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    expiring = creds.issue(emu.state, "111111111111", "AdministratorAccess", 0)
    with pytest.raises(ClientError) as expired:
        sts_client(emu, expiring.access_key_id,
                   expiring.session_token).get_caller_identity()
    assert expired.value.response["Error"]["Code"] == "ExpiredToken"

    valid = creds.issue(emu.state, "444444444444", "AdministratorAccess", 60)
    with pytest.raises(ClientError) as forged:
        sts_client(emu, valid.access_key_id).get_caller_identity()
    assert forged.value.response["Error"]["Code"] == "InvalidClientTokenId"
    client = sts_client(emu, valid.access_key_id, valid.session_token)
    assert client.get_caller_identity()["Account"] == "444444444444"
    with pytest.raises(ClientError) as other:
        client.get_session_token()
    assert other.value.response["Error"]["Code"] == "InvalidAction"


@pytest.mark.parametrize(("service", "operation"), [
    ("s3", "list_buckets"),          # REST-XML
    ("ec2", "describe_regions"),     # query
    ("dynamodb", "list_tables"),     # JSON
    ("lambda", "list_functions"),    # REST-JSON
])
def test_other_aws_apis_fail_at_once_saying_what_is_emulated(
        emu: Emulator, service: str, operation: str) -> None:
    """With AWS_ENDPOINT_URL on the emulator (as in the demo) `aws s3 ls` is one clear
    error at once, not a 25-second wait for the real AWS."""
    client = boto3.session.Session().client(
        service, region_name="us-east-1", endpoint_url=emu.url,
        aws_access_key_id="ASIAANYKEY0000000000", aws_secret_access_key="x")
    started = time.monotonic()
    with pytest.raises(ClientError) as caught:
        getattr(client, operation)()
    assert time.monotonic() - started < 5
    error = caught.value.response["Error"]
    assert error["Code"] == "NotEmulated"
    assert error["Message"] == ("the shellsso emulator serves IAM Identity Center, the console "
                                "federation endpoint and STS (GetCallerIdentity, AssumeRole) "
                                f"only, not {service}")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
