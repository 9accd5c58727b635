"""The AWS SDK for JavaScript v3 (from npm, run by Node.js) against `shellsso serve`.

Two ways an application meets the endpoint: `fromContainerMetadata` named on purpose, and
`fromNodeProviderChain`, the default chain every client uses when given no credentials
(it reaches the endpoint through `fromHttp`, which also reads
AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE). Then STS GetCallerIdentity on the emulator.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest

from tests.conftest import AwsEnv
from tests.creds.test_rolecreds import emulator_login
from tests.endpoint_interop.serving import ACCOUNTS, TOKEN, client_env, files_under, serve

pytestmark = pytest.mark.slow


def node(script: Path, mode: str, sts_url: str, env: Dict[str, str],
         calls: int = 1, pause: float = 0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["node", str(script), mode, sts_url, str(calls), str(int(pause * 1000))],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def answers(run: subprocess.CompletedProcess[str]) -> List[Dict[str, Any]]:
    assert run.returncode == 0, run.stderr
    return [json.loads(line) for line in run.stdout.splitlines()]


@pytest.mark.parametrize("mode", ["container", "chain"])
def test_js_sdk_takes_the_profiles_credentials_from_the_endpoint(
    aws_env: AwsEnv, js_sdk: Path, tmp_path: Path, mode: str
) -> None:
    emulator_login(aws_env)
    client_home = tmp_path / "client"
    with serve("staging") as served:
        env = client_env(served, client_home, aws_env.url)
        calls = answers(node(js_sdk, mode, aws_env.url, env, calls=2))
    assert [c["account"] for c in calls] == [ACCOUNTS["staging"]] * 2
    assert calls[0]["key"] in aws_env.emulator.issued_access_key_ids
    assert calls[0]["expiration"], "the SDK read the answer's Expiration (it refreshes by it)"
    assert files_under(client_home) == []


def test_a_js_program_outlives_three_credential_lifetimes(
    short_lived: AwsEnv, js_sdk: Path, tmp_path: Path
) -> None:
    """One STS client, calls a second apart over three lifetimes of its credentials: the SDK
    comes back to the endpoint by the answer's Expiration, and no call fails (the emulator
    refuses an expired key)."""
    ttl = short_lived.emulator.settings.credential_ttl
    with serve("dev") as served:
        env = client_env(served, tmp_path / "client", short_lived.url)
        calls = answers(node(js_sdk, "chain", short_lived.url, env, calls=3 * ttl + 2,
                             pause=1))
    assert {c["account"] for c in calls} == {ACCOUNTS["dev"]}
    assert len({c["key"] for c in calls}) >= 3, calls


def test_js_sdk_reads_the_token_from_a_file(aws_env: AwsEnv, js_sdk: Path,
                                            tmp_path: Path) -> None:
    """AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE instead of the variable: the way to give the
    token to a process without putting it in its environment (and what the SSH recipe's
    long-lived variant can use)."""
    emulator_login(aws_env)
    token_file = tmp_path / "token"
    with serve("dev") as served:
        token_file.write_text(served.token)
        token_file.chmod(0o600)
        env = client_env(served, tmp_path / "client", aws_env.url, with_token=False,
                         AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(token_file))
        calls = answers(node(js_sdk, "chain", aws_env.url, env))
    assert calls[0]["account"] == ACCOUNTS["dev"]


@pytest.mark.parametrize("mode", ["container", "chain"])
def test_js_sdk_with_a_wrong_token_gets_no_credentials(
    aws_env: AwsEnv, js_sdk: Path, tmp_path: Path, mode: str
) -> None:
    emulator_login(aws_env)
    with serve("dev") as served:
        env = client_env(served, tmp_path / "client", aws_env.url)
        env[TOKEN] = "x" * len(served.token)
        run = node(js_sdk, mode, aws_env.url, env)
    assert run.returncode == 1, run.stdout
    assert run.stdout == ""  # no call was made
    # The SDK's own words: a credential provider's error, before any call was signed.
    assert run.stderr.startswith(("ProviderError", "CredentialsProviderError")), run.stderr
    assert served.token not in run.stderr
    assert aws_env.counters().get("GetCallerIdentity", 0) == 0


def test_js_sdk_after_the_server_stopped_fails_fast_and_clearly(
    aws_env: AwsEnv, js_sdk: Path, tmp_path: Path
) -> None:
    emulator_login(aws_env)
    with serve("dev") as served:
        env = client_env(served, tmp_path / "client", aws_env.url)
    # The `with` ended: the server got SIGTERM and its port is closed.
    run = node(js_sdk, "container", aws_env.url, env)
    assert run.returncode == 1
    assert "ECONNREFUSED" in run.stderr or "connect" in run.stderr.lower(), run.stderr
