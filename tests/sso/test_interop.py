"""A login by either side serves the other: shellsso and botocore share one cache.

botocore runs in its own process with HOME set before it is imported (its
cache folder is computed at import time, docs/protocol.md §2.1).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any, Dict

from shellsso.core.clock import parse_timestamp
from shellsso.sso import session, token_cache
from tests.conftest import AwsEnv, run_shellsso, write_token
from tests.sso.test_login import TOKEN_FIELDS, read_token
from tests.sso.test_session import cli_style_login, target

BOTOCORE_SCRIPT = """
import json, sys
import botocore.session
s = botocore.session.Session(profile=sys.argv[1])
creds = s.get_credentials()
frozen = creds.get_frozen_credentials()
print(json.dumps({"method": creds.method, "prefix": frozen.access_key[:4]}))
"""


def botocore_credentials(env: AwsEnv, profile: str = "dev") -> Dict[str, Any]:
    child_env = dict(os.environ, HOME=str(env.home),
                     AWS_CONFIG_FILE=str(env.config),
                     AWS_ENDPOINT_URL_SSO_OIDC=env.url, AWS_ENDPOINT_URL_SSO=env.url)
    out = subprocess.run([sys.executable, "-c", BOTOCORE_SCRIPT, profile], capture_output=True,
                         text=True, env=child_env, timeout=60)
    assert out.returncode == 0, out.stderr
    data: Dict[str, Any] = json.loads(out.stdout)
    return data


def test_botocore_uses_the_token_shellsso_wrote(aws_env: AwsEnv) -> None:
    assert run_shellsso("login", "--profile", "dev").returncode == 0
    before = read_token(aws_env.home)
    assert botocore_credentials(aws_env) == {"method": "sso", "prefix": "ASIA"}
    assert aws_env.counters()["GetRoleCredentials"] == 1
    assert read_token(aws_env.home) == before  # a valid token is left alone


def test_botocore_refreshes_a_token_shellsso_wrote(aws_env: AwsEnv) -> None:
    assert run_shellsso("login", "--profile", "dev").returncode == 0
    t = target()
    token = token_cache.load_token(t)
    assert token is not None
    token_cache.save_token(t, token.replace(expires_at=float(int(time.time() + 300))))
    creates = aws_env.counters()["CreateToken"]
    assert botocore_credentials(aws_env, "staging") == {"method": "sso", "prefix": "ASIA"}
    after = read_token(aws_env.home)
    assert aws_env.counters()["CreateToken"] == creates + 1
    assert after["accessToken"] != token.access_token
    assert after["refreshToken"] != token.refresh_token
    assert list(after) == TOKEN_FIELDS
    expires = parse_timestamp(after["expiresAt"])
    assert expires is not None and expires - time.time() > 3000
    # and shellsso goes on with botocore's write-back
    assert session.token_state(t)[0] == "valid"
    again = session.get_token(t)
    assert again is not None and again.access_token == after["accessToken"]


def test_shellsso_uses_a_token_the_aws_cli_wrote(aws_env: AwsEnv) -> None:
    real = cli_style_login(aws_env)
    write_token(aws_env.home, "corp", 3600, **real)
    before = aws_env.counters()
    token = session.get_token(target("prod"))
    assert token is not None and token.access_token == real["access_token"]
    assert aws_env.counters() == before  # no network for a valid token
    status = json.loads(run_shellsso("status", "--json", "--profile", "prod").stdout)
    assert status["token"]["state"] == "valid"


def test_shellsso_refreshes_a_token_the_aws_cli_wrote_and_botocore_uses_it(
    aws_env: AwsEnv,
) -> None:
    real = cli_style_login(aws_env)
    write_token(aws_env.home, "corp", 240, **real)
    token = session.get_token(target())
    assert token is not None and token.access_token != real["access_token"]
    assert read_token(aws_env.home)["accessToken"] == token.access_token
    creates = aws_env.counters()["CreateToken"]
    assert botocore_credentials(aws_env) == {"method": "sso", "prefix": "ASIA"}
    assert aws_env.counters()["CreateToken"] == creates  # botocore found it fresh


def test_legacy_token_is_used_by_botocore(aws_env: AwsEnv) -> None:
    assert run_shellsso("login", "--profile", "legacy").returncode == 0
    assert botocore_credentials(aws_env, "legacy") == {"method": "sso", "prefix": "ASIA"}
