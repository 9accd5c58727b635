"""`shellsso serve`: botocore in another process gets the profile's credentials from it.

The server runs as a terminal starts it; its clients get only the two variables it
printed (no profile, no config, an empty HOME) and call the emulator's STS, which knows
the keys the emulator's portal issued. Logout and login happen in other processes, as
in another terminal.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import AwsEnv, require, run_shellsso
from tests.creds.test_rolecreds import emulator_login, one_error_line
from tests.endpoint.helpers import STS_LOOP, credentials, python_client, request
from tests.endpoint_interop.serving import BOTOCORE_WHOAMI, client_env, serve


def test_botocore_with_only_the_two_variables_uses_the_endpoint(
    aws_env: AwsEnv, tmp_path: Path
) -> None:
    emulator_login(aws_env)
    with serve("dev") as served:
        assert served.uri.startswith("http://127.0.0.1:")
        env = client_env(served, tmp_path / "client", aws_env.url)
        result = python_client(BOTOCORE_WHOAMI, env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.split("\n")[:2] == ["method container-role", "account 111111111111"]
        doc = credentials(served)
    assert doc["AccessKeyId"] in aws_env.emulator.issued_access_key_ids
    assert doc["Token"] and doc["SecretAccessKey"] and doc["AccountId"] == "111111111111"
    # ISO 8601 UTC with Z, about the hour the portal gave
    expires = time.mktime(time.strptime(doc["Expiration"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert 3000 < expires - time.time() <= 3600
    assert aws_env.counters()["GetCallerIdentity"] == 1


def test_a_child_outlives_three_credential_lifetimes_without_a_failed_call(
    aws_env: AwsEnv, tmp_path: Path
) -> None:
    emulator_login(aws_env)
    ttl = 3
    aws_env.emulator.settings.credential_ttl = ttl
    with serve("dev") as served:
        env = client_env(served, tmp_path / "client", aws_env.url)
        result = python_client(STS_LOOP, env, str(3 * ttl + 1), "60", timeout=90)
    assert result.returncode == 0, result.stderr
    done = result.stdout.splitlines()[-1].split()
    calls, failures, keys = int(done[1]), int(done[2]), int(done[3])
    assert (failures, keys >= 3, calls >= 10) == (0, True, True), result.stdout
    assert "failed" not in result.stdout


def test_a_request_without_the_token_or_with_another_gets_nothing(
    aws_env: AwsEnv
) -> None:
    emulator_login(aws_env)
    wrong = "x" * 43
    with serve("dev") as served:
        answers = [
            request(served, token=None),
            request(served, token=wrong),
            request(served, token=served.token + "x"),
            request(served, token=served.token[:-1]),
            request(served, token=f"Bearer {served.token}"),
            request(served, headers={"Origin": "http://example.com"}),
        ]
        for _ in range(20):  # a client retrying in a loop
            request(served, token=wrong)
        status, body = request(served, path="/other")
        assert status == 404 and "AccessKeyId" not in body
        status, body = request(served, method="POST")
        assert status == 405 and "AccessKeyId" not in body
        assert credentials(served)["AccessKeyId"]
        said = served.stop()
    assert [status for status, _ in answers] == [401, 403, 403, 403, 403, 403]
    for _, body in answers:
        doc = json.loads(body)
        assert set(doc) == {"code", "message"}
        assert served.token not in body and wrong not in body
    assert "AWS_CONTAINER_AUTHORIZATION_TOKEN" in json.loads(answers[0][1])["message"]
    lines = said.splitlines()
    assert 1 <= len(lines) <= 2, said  # rate-limited: one line, not 27
    assert lines[0].startswith("shellsso: serve: refused a request from 127.0.0.1:")
    assert served.token not in said and wrong not in said and "Traceback" not in said


def test_logout_elsewhere_ends_it_clearly_and_a_login_brings_it_back(
    aws_env: AwsEnv, tmp_path: Path
) -> None:
    emulator_login(aws_env)
    with serve("dev") as served:
        env = client_env(served, tmp_path / "client", aws_env.url)
        assert python_client(BOTOCORE_WHOAMI, env).returncode == 0
        assert run_shellsso("logout", "--profile", "dev").returncode == 0

        after = python_client(BOTOCORE_WHOAMI, env)
        assert after.returncode != 0
        last = after.stderr.strip().splitlines()[-1]
        assert last.startswith("botocore.exceptions.CredentialRetrievalError: Error when "
                               "retrieving credentials from container-role: ")
        assert "Received non 200 response 503" in last
        assert "run: shellsso login --profile dev" in last
        status, body = request(served)
        assert status == 503 and "AccessKeyId" not in body

        emulator_login(aws_env)  # in another terminal
        again = python_client(BOTOCORE_WHOAMI, env)
        assert again.returncode == 0, again.stderr
        assert "account 111111111111" in again.stdout
        said = served.stop()
    lines = said.splitlines()
    assert len(lines) == 2, said
    assert lines[0] == ("shellsso: serve: no token for SSO session 'corp'; run: shellsso login "
                        "--profile dev (until then, every request for credentials gets this "
                        "error)")
    assert lines[1] == "shellsso: serve: credentials for profile 'dev' are served again"


def test_a_killed_server_fails_the_childs_next_call_within_seconds(
    aws_env: AwsEnv, tmp_path: Path
) -> None:
    emulator_login(aws_env)
    aws_env.emulator.settings.credential_ttl = 2  # so that every call asks the endpoint
    with serve("dev") as served:
        env = client_env(served, tmp_path / "client", aws_env.url)
        child = subprocess.Popen([sys.executable, "-c", STS_LOOP, "600", "600",
                                  "stop-on-failure"], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        assert child.stdout is not None
        try:
            assert child.stdout.readline().startswith("method container-role")
            assert child.stdout.readline().startswith("ok 111111111111")
            served.process.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            line = child.stdout.readline()
            while line.startswith("ok"):
                line = child.stdout.readline()
            took = time.monotonic() - killed
        finally:
            child.kill()
            child.wait()
    assert line.startswith("failed CredentialRetrievalError"), line
    assert "container metadata" in line
    assert took < 10, took


def test_an_unknown_profile_is_refused_before_listening(aws_env: AwsEnv) -> None:
    result = run_shellsso("serve", "--profile", "devv")
    line = one_error_line(result)
    assert "profile 'devv' not found" in line and "did you mean: dev" in line


def test_no_session_is_said_before_listening(aws_env: AwsEnv) -> None:
    result = run_shellsso("serve", "--profile", "dev")
    assert one_error_line(result).endswith("run: shellsso login --profile dev")


def test_process_format_is_refused(aws_env: AwsEnv) -> None:
    result = run_shellsso("serve", "--format", "process")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].endswith(
        "invalid choice: 'process' (choose from 'env', 'env-no-export', 'fish', 'powershell', "
        "'json')"), result.stderr


def first_lines(process: subprocess.Popen[str], count: int) -> str:
    assert process.stdout is not None
    return "".join(process.stdout.readline() for _ in range(count))


@pytest.mark.parametrize("fmt", ["json", "fish"])
def test_the_variables_in_other_formats(aws_env: AwsEnv, fmt: str) -> None:
    emulator_login(aws_env)
    with serve("dev") as served:  # the same variables, as export's env format prints them
        reference = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": served.uri,
                     "AWS_CONTAINER_AUTHORIZATION_TOKEN": served.token}
    process = subprocess.Popen([sys.executable, "-m", "shellsso", "serve", "--format", fmt,
                                "--profile", "dev"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        if fmt == "json":  # read to the end, as jq does: stdout ends once they are printed
            assert process.stdout is not None
            doc = json.loads(process.stdout.read())
            assert process.poll() is None
        else:
            require("fish")
            code = first_lines(process, 2)
            shown = subprocess.run(
                ["fish", "--no-config", "-c", code + "; printf '%s\\n' "
                 "$AWS_CONTAINER_CREDENTIALS_FULL_URI $AWS_CONTAINER_AUTHORIZATION_TOKEN"],
                capture_output=True, text=True, check=True).stdout.split()
            doc = dict(zip(reference, shown))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    assert set(doc) == set(reference)
    assert doc["AWS_CONTAINER_CREDENTIALS_FULL_URI"].startswith("http://127.0.0.1:")
    assert doc["AWS_CONTAINER_CREDENTIALS_FULL_URI"].endswith("/credentials")
    assert len(doc["AWS_CONTAINER_AUTHORIZATION_TOKEN"]) == 43
    assert doc["AWS_CONTAINER_AUTHORIZATION_TOKEN"] != served.token  # one per server


def test_sso_profile_through_a_role_chain(aws_env: AwsEnv, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import DEMO_CONFIG, write_config

    write_config(aws_env.home, DEMO_CONFIG + "\n[profile chained]\nsource_profile = dev\n"
                 "role_arn = arn:aws:iam::555555555555:role/Deploy\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", aws_env.url)
    emulator_login(aws_env)
    with serve("chained") as served:
        env = client_env(served, tmp_path / "client", aws_env.url)
        result = python_client(BOTOCORE_WHOAMI, env)
    assert result.returncode == 0, result.stderr
    assert "account 555555555555" in result.stdout
    assert os.environ.get("AWS_PROFILE") is None


def test_without_profile_the_active_one_is_served(
    aws_env: AwsEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.endpoint_interop.serving import Served, parse_env_lines

    emulator_login(aws_env)
    monkeypatch.setenv("AWS_PROFILE", "staging")
    process = subprocess.Popen([sys.executable, "-m", "shellsso", "serve"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True)
    try:
        found = parse_env_lines(first_lines(process, 2).splitlines())
        served = Served(found["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
                        found["AWS_CONTAINER_AUTHORIZATION_TOKEN"], process)  # type: ignore[arg-type]
        assert credentials(served)["AccountId"] == "222222222222"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
