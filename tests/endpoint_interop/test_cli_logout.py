"""`aws sso logout` of the AWS CLI v1 while `shellsso serve` runs.

The CLI v1 (`awscli` from PyPI) has no logout of its own: its `aws sso logout` is the
portal's Logout operation, which needs `--access-token` and ends that sign-in session on
the portal (its access and refresh tokens die). It removes no file: the token stays in
`~/.aws/sso/cache`, the role credentials in `~/.aws/cli/cache`. (The CLI v2's logout
removes both.) Role credentials already issued stay valid until they expire, as AWS says
of Logout; what the endpoint does after it follows from that.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Dict

import pytest

from tests.conftest import SSO_REGION, AwsEnv, run_shellsso
from tests.creds.test_rolecreds import emulator_login
from tests.endpoint.helpers import python_client, request
from tests.endpoint_interop.serving import BOTOCORE_WHOAMI, client_env, serve

pytestmark = pytest.mark.slow


def files(folder: Path) -> Dict[str, str]:
    """Every file under `folder`, by relative path, with the SHA-1 of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def cli_v1_logout(aws: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """`aws sso logout` as the CLI v1 has it: the token passed by hand, from the cache."""
    tokens = [json.loads(p.read_text()) for p in (home / ".aws/sso/cache").glob("*.json")]
    token = next(doc["accessToken"] for doc in tokens if "accessToken" in doc)
    return subprocess.run([str(aws), "sso", "logout", "--access-token", token,
                           "--region", SSO_REGION], capture_output=True, text=True,
                          env=dict(os.environ), timeout=60, check=False)


def test_cli_v1_logout_ends_the_session_and_a_login_brings_it_back(
    aws_env: AwsEnv, aws_cli_v1: Path, tmp_path: Path
) -> None:
    """Role credentials that last less than 15 minutes are never reused from the cache, so
    each fetch asks the portal: the first after the logout is refused."""
    emulator_login(aws_env)
    aws_env.emulator.settings.credential_ttl = 600
    with serve("dev") as served:
        env = client_env(served, tmp_path / "client", aws_env.url)
        assert python_client(BOTOCORE_WHOAMI, env).returncode == 0
        before = files(aws_env.home / ".aws")

        logout = cli_v1_logout(aws_cli_v1, aws_env.home)
        assert logout.returncode == 0, logout.stderr
        assert aws_env.counters()["Logout"] == 1
        assert files(aws_env.home / ".aws") == before  # the CLI v1 removes no file

        after = python_client(BOTOCORE_WHOAMI, env)
        assert after.returncode != 0
        last = after.stderr.strip().splitlines()[-1]
        assert "Received non 200 response 503 from container metadata" in last, last
        assert ("the portal no longer accepts the token of SSO session 'corp' (signed out or "
                "revoked); run: shellsso login --profile dev") in last
        status, body = request(served)
        assert status == 503 and json.loads(body)["code"] == "LoginRequired"

        login = run_shellsso("login", "--profile", "dev")
        assert login.returncode == 0, login.stderr
        again = python_client(BOTOCORE_WHOAMI, env)
        assert again.returncode == 0, again.stderr
        assert "account 111111111111" in again.stdout
        said = served.stop()
    assert said.splitlines() == [
        "shellsso: serve: the portal no longer accepts the token of SSO session 'corp' "
        "(signed out or revoked); run: shellsso login --profile dev (until then, every "
        "request for credentials gets this error)",
        "shellsso: serve: credentials for profile 'dev' are served again",
    ], said


def test_after_cli_v1_logout_credentials_already_issued_are_served_until_renewal(
    aws_env: AwsEnv, aws_cli_v1: Path
) -> None:
    """With the hour the portal gives by default, the cached role credentials have more than
    15 minutes left: they are served (AWS keeps them valid after Logout), and the portal is
    not asked; the first renewal, 15 minutes before they expire, gets LoginRequired."""
    emulator_login(aws_env)
    with serve("dev") as served:
        status, body = request(served)
        assert status == 200
        issued = json.loads(body)["AccessKeyId"]
        asked = aws_env.counters()["GetRoleCredentials"]
        assert cli_v1_logout(aws_cli_v1, aws_env.home).returncode == 0
        status, body = request(served)
        assert status == 200 and json.loads(body)["AccessKeyId"] == issued
        assert aws_env.counters()["GetRoleCredentials"] == asked
