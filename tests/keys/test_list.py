"""`shellsso keys`: every long-lived key, with what STS and IAM say, never a secret.

IAM and STS are moto's server on 127.0.0.1; the keys are made there and
written into the credentials file, the config and the environment as a user
has them. Without network, or where IAM refuses, the listing still lists and
says, one line each, what it could not learn.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

from tests.conftest import AwsEnv, run_shellsso, write_config
from tests.keys.conftest import (
    MOTO_ACCOUNT,
    SSO_CONFIG,
    Moto,
    closed_port,
    write_credentials,
)


def keys_json(*extra: str) -> Dict[str, Any]:
    result = run_shellsso("keys", "--json", *extra)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    data: Dict[str, Any] = json.loads(result.stdout)
    return data


def by_where(data: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return {f"{k['source']}:{k['profile'] or k['variable']}": k for k in data["keys"]}


def masked(key_id: str) -> str:
    return f"{key_id[:4]}...{key_id[-4:]}"


@pytest.fixture
def three_keys(keyed: AwsEnv, moto: Moto, monkeypatch: pytest.MonkeyPatch) -> Dict[str, Any]:
    """A key in each place: the credentials file, the config file and the environment;
    plus temporary keys, which are not long-lived."""
    home = keyed.home
    in_creds, in_config, in_env = moto.new_key("alice"), moto.new_key("bob"), moto.new_key("carol")
    write_credentials(home, f"[old]\naws_access_key_id = {in_creds[0]}\n"
                            f"aws_secret_access_key = {in_creds[1]}\n\n"
                            "[temporary]\naws_access_key_id = ASIATEMPORARY0000001\n"
                            "aws_secret_access_key = temporary-secret-0001\n"
                            "aws_session_token = temporary-token-0001\n")
    write_config(home, SSO_CONFIG + f"\n[profile ci]\naws_access_key_id = {in_config[0]}\n"
                                    f"aws_secret_access_key = {in_config[1]}\n")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", in_env[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", in_env[1])
    return {"creds": in_creds, "config": in_config, "env": in_env}


def test_lists_every_long_lived_key_with_account_user_age_last_use_and_sso_profiles(
        three_keys: Dict[str, Any], keyed: AwsEnv) -> None:
    data = keys_json()
    keys = by_where(data)
    assert sorted(keys) == ["config:ci", "credentials:old", "environment:AWS_ACCESS_KEY_ID"]
    old = keys["credentials:old"]
    assert old["file"] == str(keyed.home / ".aws" / "credentials")
    assert old["keyId"] == masked(three_keys["creds"][0])
    assert old["account"] == MOTO_ACCOUNT and old["user"] == "alice"
    assert old["arn"] == f"arn:aws:iam::{MOTO_ACCOUNT}:user/alice"
    assert old["status"] == "Active" and old["ageDays"] == 0 and old["created"].endswith("Z")
    assert old["lastUsed"]["date"] and old["lastUsed"]["region"] == "us-east-1"
    assert old["ssoProfiles"] == ["moto-admin"] and old["unknown"] == []
    assert old["retire"] == "shellsso keys retire old"
    assert keys["config:ci"]["user"] == "bob"
    assert keys["config:ci"]["file"] == str(keyed.home / ".aws" / "config")
    env = keys["environment:AWS_ACCESS_KEY_ID"]
    assert env["user"] == "carol" and env["file"] is None and env["retire"] is None

    text = run_shellsso("keys")
    assert text.returncode == 0 and text.stderr == ""
    assert f"credentials file {keyed.home}/.aws/credentials, profile 'old': " \
           f"{masked(three_keys['creds'][0])}" in text.stdout
    assert f"account {MOTO_ACCOUNT}, IAM user alice" in text.stdout
    assert "(0 days ago), Active" in text.stdout
    assert "SSO profiles for this account: moto-admin" in text.stdout
    assert "to retire it: shellsso keys retire old" in text.stdout
    assert "environment variable AWS_ACCESS_KEY_ID" in text.stdout
    assert text.stdout.rstrip().endswith("3 long-lived keys.")
    outputs = text.stdout + text.stderr + json.dumps(data)
    for _, secret in three_keys.values():
        assert secret not in outputs
    for key_id, _ in three_keys.values():
        assert key_id not in outputs  # masked everywhere
    assert "temporary" not in outputs and "ASIATEMP" not in outputs


def test_no_sso_profile_for_the_account_says_run_populate(keyed: AwsEnv, moto: Moto) -> None:
    key = moto.new_key()
    write_config(keyed.home, SSO_CONFIG.replace("[profile moto-admin]", "[other-section]"))
    write_credentials(keyed.home, f"[old]\naws_access_key_id = {key[0]}\n"
                                  f"aws_secret_access_key = {key[1]}\n")
    assert keys_json()["keys"][0]["ssoProfiles"] == []
    text = run_shellsso("keys").stdout
    assert "SSO profiles for this account: none: run `shellsso populate`" in text


def test_without_network_it_lists_what_it_can_and_says_what_it_could_not_learn(
        three_keys: Dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    dead = closed_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", dead)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", dead)
    started = time.monotonic()
    result = run_shellsso("keys")
    assert time.monotonic() - started < 20
    assert result.returncode == 0 and "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    for what in ("account", "age", "last use"):
        assert sum(1 for line in lines if line.startswith(f"  could not learn {what}: cannot "
                                                          f"reach {dead}")) == 3
    assert sum(1 for line in lines if line.startswith(
        "  could not learn SSO profiles: the key's account is unknown")) == 3
    data = keys_json()
    old = by_where(data)["credentials:old"]
    assert old["keyId"] == masked(three_keys["creds"][0]) and old["account"] is None
    assert [u["what"] for u in old["unknown"]] == ["account", "age", "last use", "SSO profiles"]
    assert old["ssoProfiles"] is None and old["lastUsed"] is None and old["ageDays"] is None


def test_where_iam_refuses_it_reports_the_refusal(
        three_keys: Dict[str, Any], refusing_iam: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", refusing_iam)
    data = keys_json()
    old = by_where(data)["credentials:old"]
    assert old["account"] == MOTO_ACCOUNT and old["user"] == "alice"  # STS still answers
    assert old["ssoProfiles"] == ["moto-admin"]
    assert [u["what"] for u in old["unknown"]] == ["age", "last use"]
    assert old["unknown"][0]["why"].startswith("AccessDenied: User: arn:aws:iam::")
    text = run_shellsso("keys")
    assert text.returncode == 0
    assert "  could not learn age: AccessDenied: " in text.stdout


def test_a_key_id_without_its_secret_and_the_account_the_file_names(keyed: AwsEnv) -> None:
    write_credentials(keyed.home, "[half]\naws_access_key_id = AKIAHALFHALFHALF1234\n"
                                  f"aws_account_id = {MOTO_ACCOUNT}\n")
    half = keys_json()["keys"][0]
    assert half["account"] == MOTO_ACCOUNT and half["ssoProfiles"] == ["moto-admin"]
    assert {u["why"] for u in half["unknown"]} == {
        "there is no aws_secret_access_key beside the key id"}


def test_no_long_lived_keys(home: Path) -> None:
    write_credentials(home, "[t]\naws_access_key_id = ASIAX\naws_secret_access_key = s\n"
                            "aws_security_token = t\n")
    result = run_shellsso("keys")
    assert result.returncode == 0
    assert result.stdout.startswith("No long-lived access keys in ")
    assert keys_json() == {"keys": [], "problems": []}


def test_a_file_botocore_refuses_is_one_line_and_the_rest_is_listed(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_credentials(home, "aws_access_key_id = AKIA\n[x]\n")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "environment-secret-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", closed_port())
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", closed_port())
    result = run_shellsso("keys")
    assert result.returncode == 0
    assert result.stderr.count("\n") == 1 and "credentials, line 1" in result.stderr
    assert "environment variable AWS_ACCESS_KEY_ID: AKIA...0001" in result.stdout


def test_hostile_names_and_key_ids_reach_no_terminal_raw(
        keyed: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", closed_port())
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", closed_port())
    write_credentials(keyed.home,
                      "[evil\x1b]0;owned\x07$(touch pwned);`id`]\n"
                      "aws_access_key_id = AKIA\x1b[2J\x1b[31mXX\x9b1m\u202e\n"
                      "aws_secret_access_key = hostile-secret-value\n")
    result = run_shellsso("keys")
    data = keys_json()
    for text in (result.stdout, result.stderr, json.dumps(data, ensure_ascii=False)):
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
        assert "\u202e" not in text and "hostile-secret-value" not in text
    assert result.returncode == 0
    assert "profile 'evil?]0;owned?$(touch pwned);`id`'" in result.stdout
    assert data["keys"][0]["retire"] == "shellsso keys retire 'evil?]0;owned?$(touch pwned);`id`'"
    assert not (keyed.home / "pwned").exists()


def test_twenty_keys_take_seconds(keyed: AwsEnv, moto: Moto, record_property: Any) -> None:
    """Figure for the README: the median of three listings of 20 keys against moto."""
    sections: List[str] = []
    for number in range(20):
        key_id, secret = moto.new_key(f"user{number // 2}")
        sections.append(f"[key{number}]\naws_access_key_id = {key_id}\n"
                        f"aws_secret_access_key = {secret}\n")
    write_credentials(keyed.home, "\n".join(sections))
    times = []
    for _ in range(3):
        started = time.monotonic()
        data = keys_json()
        times.append(time.monotonic() - started)
        assert len(data["keys"]) == 20 and all(not k["unknown"] for k in data["keys"])
    median = statistics.median(times)
    record_property("keys_20_median_seconds", round(median, 2))
    print(f"keys with 20 keys: median {median:.2f} s of {[round(t, 2) for t in times]}")
    assert median < 10


def test_doctor_warns_of_a_long_lived_key_with_its_age_once_keys_learnt_it(
        keyed: AwsEnv, moto: Moto) -> None:
    key = moto.new_key()
    write_credentials(keyed.home, f"[old]\naws_access_key_id = {key[0]}\n"
                                  f"aws_secret_access_key = {key[1]}\nregion = eu-west-1\n")

    def finding() -> Dict[str, Any]:
        result = run_shellsso("doctor", "--profile", "old", "--json")
        assert result.returncode == 0, result.stdout + result.stderr
        found = [f for f in json.loads(result.stdout)["findings"]
                 if f["id"] == "profile.long-lived-key"]
        assert len(found) == 1 and key[1] not in result.stdout
        first: Dict[str, Any] = found[0]
        return first

    first = finding()
    assert first["level"] == "warning"
    assert first["message"].startswith(f"profile 'old' uses a long-lived access key "
                                       f"({masked(key[0])}):")
    assert first["fix"].startswith("shellsso keys retire old")
    run_shellsso("keys")
    assert f"({masked(key[0])}, made 0 days ago)" in finding()["message"]


def test_hostile_text_from_iam_reaches_no_terminal_raw(
        three_keys: Dict[str, Any], hostile_iam: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", hostile_iam)
    result = run_shellsso("keys")
    data = keys_json()
    assert result.returncode == 0
    for text in (result.stdout, json.dumps(data, ensure_ascii=False)):
        assert "\x9b" not in text and "\u202e" not in text and "\u2028" not in text
    assert "  could not learn age: AccessDenied: User: arn:aws:iam::123456789012:user/alice " \
           "?2J?is not authorized" in result.stdout


def test_a_silent_network_costs_one_wait_not_one_per_key(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """20 keys against an endpoint that accepts connections and never answers: every call
    waits at once, and an endpoint found dead is not asked again."""
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(128)
    url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    write_credentials(home, "".join(f"[k{n}]\naws_access_key_id = AKIAEXAMPLEEXAMPLE{n:02d}\n"
                                    f"aws_secret_access_key = example-secret-{n:02d}\n"
                                    for n in range(20)))
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", url)
    monkeypatch.setenv("SHELLSSO_HTTP_TIMEOUT", "1")
    try:
        started = time.monotonic()
        result = run_shellsso("keys")
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert result.returncode == 0
    assert result.stdout.count(f"could not learn account: cannot reach {url}: timed out") == 20
    assert elapsed < 8, elapsed  # two tries of one second each, not sixty
