"""The AWS CLI v1 (`aws` from PyPI: botocore's container provider) against `shellsso serve`.

The client gets the two variables and nothing else: an empty HOME (no config, no credentials
file, no cache), no AWS_PROFILE, no keys.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import AwsEnv
from tests.creds.test_rolecreds import emulator_login
from tests.endpoint_interop.serving import ACCOUNTS, client_env, files_under, serve

pytestmark = pytest.mark.slow


def whoami(aws: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(aws), "sts", "get-caller-identity", "--output", "json"],
                          capture_output=True, text=True, env=env, timeout=60, check=False)


@pytest.mark.parametrize("profile", ["dev", "staging"])
def test_aws_cli_v1_takes_the_profiles_credentials_from_the_endpoint(
    aws_env: AwsEnv, aws_cli_v1: Path, tmp_path: Path, profile: str
) -> None:
    emulator_login(aws_env)
    client_home = tmp_path / "client"
    with serve(profile) as served:
        env = client_env(served, client_home, aws_env.url)
        who = whoami(aws_cli_v1, env)
        assert who.returncode == 0, who.stderr
        assert json.loads(who.stdout)["Account"] == ACCOUNTS[profile]
        # Which provider the CLI used, in its own words: --debug logs each provider it
        # tries, and stops at the one that answered.
        debug = subprocess.run([str(aws_cli_v1), "sts", "get-caller-identity", "--debug"],
                               capture_output=True, text=True, env=env, timeout=60,
                               check=False)
        assert "Looking for credentials via: container-role" in debug.stderr, debug.stderr
        assert "Looking for credentials via: iam-role" not in debug.stderr
    assert files_under(client_home) == [], "the client wrote something in its HOME"


def test_aws_cli_v1_without_the_token_is_refused_and_says_so(
    aws_env: AwsEnv, aws_cli_v1: Path, tmp_path: Path
) -> None:
    emulator_login(aws_env)
    with serve("dev") as served:
        env = client_env(served, tmp_path / "client", aws_env.url, with_token=False)
        who = whoami(aws_cli_v1, env)
        wrong = whoami(aws_cli_v1, dict(env, AWS_CONTAINER_AUTHORIZATION_TOKEN="not-it"))
    # The CLI shows the endpoint's status and its one-line reason.
    assert "Received non 200 response 401 from container metadata" in who.stderr, who.stderr
    assert "Received non 200 response 403 from container metadata" in wrong.stderr, wrong.stderr
    for run in (who, wrong):
        assert run.returncode != 0
        first = run.stderr.strip()
        assert first.startswith("Error when retrieving credentials from container-role")
        assert "Traceback" not in run.stderr
        assert served.token not in run.stderr


def test_a_long_running_child_outlives_three_credential_lifetimes(
    short_lived: AwsEnv, aws_cli_v1: Path, tmp_path: Path
) -> None:
    """A shell loop of `aws` calls (a long job's steps) runs over three lifetimes of its
    credentials, and no call fails: the emulator refuses an expired key (ExpiredToken), so
    each call worked with credentials fresh at that moment."""
    ttl = short_lived.emulator.settings.credential_ttl
    loop = (
        'end=$(( $(date +%s) + ' + str(3 * ttl + 1) + ' )); ok=0; failed=0\n'
        'while [ "$(date +%s)" -le "$end" ]; do\n'
        '  if "$AWS" sts get-caller-identity --query Account --output text; then\n'
        '    ok=$((ok + 1)); else failed=$((failed + 1)); fi\n'
        'done\n'
        'echo "ok=$ok failed=$failed"\n'
    )
    with serve("dev") as served:
        env = client_env(served, tmp_path / "client", short_lived.url, AWS=str(aws_cli_v1))
        started = time.monotonic()
        run = subprocess.run(["bash", "-c", loop], capture_output=True, text=True, env=env,
                             timeout=300, check=False)
        elapsed = time.monotonic() - started
    last = run.stdout.strip().splitlines()[-1]
    assert last.endswith("failed=0"), run.stdout + run.stderr
    ok = int(last.split()[0].split("=")[1])
    assert ok >= 3, run.stdout
    assert set(run.stdout.strip().splitlines()[:-1]) == {"111111111111"}
    assert elapsed >= 3 * ttl
    # Each lifetime needed fresh credentials from the portal, through the endpoint.
    assert short_lived.counters().get("GetRoleCredentials", 0) >= 3
