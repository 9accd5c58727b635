"""`shellsso keys retire PROFILE`: a static-key profile becomes an SSO one, in an order that
never leaves it broken, and nothing on disk keeps the secret.

IAM and STS are moto's; the SSO side is the emulator, serving moto's account.
Each failure point is provoked for real (no token and no terminal, a
read-only config, an IAM that refuses) and leaves what the command promises.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest

from tests.conftest import DEMO_CONFIG, AwsEnv, run_shellsso, write_config
from tests.creds.test_rolecreds import emulator_login
from tests.keys.conftest import (
    MOTO_ACCOUNT,
    SSO_CONFIG,
    Moto,
    closed_port,
    files_holding,
    write_credentials,
)

OTHER = "[other]\naws_access_key_id = AKIAOTHEROTHER000001\naws_secret_access_key = other-secret\n"


def credentials_text(key: Tuple[str, str]) -> Tuple[str, str]:
    """(the credentials file before, what it must be after: the same bytes but [old])."""
    head = "# keys written by hand\n" + OTHER + "\n"
    old = f"[old]\naws_access_key_id = {key[0]}\naws_secret_access_key = {key[1]}\n\n"
    tail = "[last]\nregion = ca-central-1\n"
    return head + old + tail, head + tail


OLD_PROFILE = "\n[profile old]\nregion = eu-west-1\noutput = json\n"


@pytest.fixture
def old(keyed: AwsEnv, moto: Moto) -> Dict[str, Any]:
    """Profile 'old': alice's key in the credentials file, a region in the config; logged in."""
    key = moto.new_key("alice")
    before, after = credentials_text(key)
    write_credentials(keyed.home, before)
    write_config(keyed.home, SSO_CONFIG + OLD_PROFILE)
    emulator_login(keyed)
    return {"key": key, "before": before, "after": after, "env": keyed}


def masked(key_id: str) -> str:
    return f"{key_id[:4]}...{key_id[-4:]}"


def retire(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = run_shellsso("keys", "retire", *args, **kwargs)
    assert "Traceback" not in result.stderr
    return result


def botocore_identity(env: AwsEnv, profile: str) -> Dict[str, str]:
    """What botocore makes of the profile in a process of its own: the provider and the
    account STS (the emulator's, which knows the keys it issued) says the keys are for."""
    script = textwrap.dedent(f"""
        import json, boto3
        session = boto3.Session(profile_name={profile!r})
        creds = session.get_credentials()
        sts = session.client("sts", region_name="us-east-1")
        print(json.dumps({{"method": creds.method, "key": creds.access_key,
                          "account": sts.get_caller_identity()["Account"]}}))
    """)
    environ = dict(os.environ, AWS_ENDPOINT_URL_STS=env.url)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60, env=environ)
    assert result.returncode == 0, result.stderr
    identity: Dict[str, str] = json.loads(result.stdout)
    return identity


def aws_files(home: Path) -> Dict[str, bytes]:
    """The config, the credentials file and any backup: what retire may change."""
    aws = home / ".aws"
    return {p.name: p.read_bytes() for p in aws.iterdir() if p.is_file()}


def test_retire_end_to_end_with_deactivate(old: Dict[str, Any], moto: Moto) -> None:
    env: AwsEnv = old["env"]
    key_id, secret = old["key"]
    result = retire("old", "--deactivate", "--yes")
    assert result.returncode == 0, result.stderr
    assert f"Retiring key {masked(key_id)} of profile 'old' (account {MOTO_ACCOUNT}, IAM " \
           "user alice):" in result.stdout
    assert "1. use SSO profile 'moto-admin'" in result.stdout
    assert f"Key {masked(key_id)} set Inactive in IAM (with the key itself)." in result.stdout
    # botocore resolves 'old' through SSO, into the same account
    identity = botocore_identity(env, "old")
    assert identity["method"] == "sso" and identity["account"] == MOTO_ACCOUNT
    assert identity["key"] in env.emulator.issued_access_key_ids
    # the credentials file: every byte but [old]'s; the key Inactive; the secret nowhere
    assert (env.home / ".aws" / "credentials").read_text() == old["after"]
    assert moto.statuses("alice") == {key_id: "Inactive"}
    assert files_holding(env.home, secret) == []
    config = (env.home / ".aws" / "config").read_text()
    assert config.endswith("[profile old]\nregion = eu-west-1\noutput = json\n"
                           f"sso_session = corp\nsso_account_id = {MOTO_ACCOUNT}\n"
                           "sso_role_name = AdministratorAccess\n")
    assert key_id not in result.stdout + result.stderr and secret not in result.stdout
    listing = json.loads(run_shellsso("keys", "--json").stdout)
    assert [k["profile"] for k in listing["keys"]] == ["other"]


def test_retire_a_key_in_the_config_with_delete_leaves_no_backup_holding_it(
        keyed: AwsEnv, moto: Moto) -> None:
    key_id, secret = moto.new_key("alice")
    config = SSO_CONFIG + (f"\n[profile ci]\naws_access_key_id = {key_id}\n"
                           f"aws_secret_access_key = {secret}\n")
    write_config(keyed.home, config)
    (keyed.home / ".aws" / "config.bak").write_text(config)  # an earlier configure's backup
    emulator_login(keyed)
    result = retire("ci", "--delete", "--yes")
    assert result.returncode == 0, result.stderr
    assert f"Key {masked(key_id)} deleted in IAM" in result.stdout
    assert moto.statuses("alice") == {}
    assert files_holding(keyed.home, secret) == []
    assert (keyed.home / ".aws" / "config.bak").read_text() == SSO_CONFIG + "\n[profile ci]\n"
    identity = botocore_identity(keyed, "ci")
    assert identity["method"] == "sso" and identity["account"] == MOTO_ACCOUNT
    # the profile took the SSO profile's region, having none of its own
    assert (keyed.home / ".aws" / "config").read_text().endswith(
        "[profile ci]\nsso_session = corp\nsso_account_id = 123456789012\n"
        "sso_role_name = AdministratorAccess\nregion = eu-west-1\n")


def test_a_profile_only_in_the_credentials_file_moves_to_the_config(
        keyed: AwsEnv, moto: Moto) -> None:
    key_id, secret = moto.new_key("alice")
    write_credentials(keyed.home, f"[solo]\naws_access_key_id = {key_id}\n"
                                  f"aws_secret_access_key = {secret}\n")
    emulator_login(keyed)
    result = retire("solo", "--yes")
    assert result.returncode == 0, result.stderr
    assert (keyed.home / ".aws" / "credentials").read_text() == ""
    assert botocore_identity(keyed, "solo")["method"] == "sso"
    assert moto.statuses("alice") == {key_id: "Active"}  # no IAM step asked
    assert f"Key {masked(key_id)} is still active in IAM" in result.stdout
    # ... and the command it names finishes the job, the key being gone from the files
    finish = retire("solo", "--deactivate", "--yes")
    assert finish.returncode == 0, finish.stderr
    assert moto.statuses("alice") == {key_id: "Inactive"}
    assert "with the credentials of 'solo'" in finish.stdout


def test_dry_run_changes_nothing(old: Dict[str, Any], moto: Moto) -> None:
    env: AwsEnv = old["env"]
    before = aws_files(env.home)
    result = retire("old", "--delete", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "3. delete key" in result.stdout and "Dry run: nothing was changed." in result.stdout
    assert aws_files(env.home) == before
    assert moto.statuses("alice") == {old["key"][0]: "Active"}
    assert env.counters().get("GetRoleCredentials") is None


def test_not_on_a_terminal_without_yes_nothing_irreversible(
        old: Dict[str, Any], moto: Moto) -> None:
    env: AwsEnv = old["env"]
    before = aws_files(env.home)
    result = retire("old", "--deactivate")
    assert result.returncode == 1
    assert result.stderr.startswith("shellsso: error: not on a terminal: ")
    assert "run again with --yes" in result.stderr and "nothing was changed" in result.stderr
    assert result.stderr.count("\n") == 1
    assert aws_files(env.home) == before
    assert moto.statuses("alice") == {old["key"][0]: "Active"}


def test_sso_login_impossible_changes_nothing(keyed: AwsEnv, moto: Moto) -> None:
    key = moto.new_key("alice")
    before, _ = credentials_text(key)
    write_credentials(keyed.home, before)
    write_config(keyed.home, SSO_CONFIG + OLD_PROFILE)  # and no token: a login is needed
    files = aws_files(keyed.home)
    result = retire("old", "--deactivate", "--yes")
    assert result.returncode == 3  # LoginRequired
    assert result.stderr.rstrip().endswith("nothing was changed")
    assert aws_files(keyed.home) == files
    assert moto.statuses("alice") == {key[0]: "Active"}


def test_config_unwritable_changes_nothing(old: Dict[str, Any], moto: Moto) -> None:
    env: AwsEnv = old["env"]
    (env.home / ".aws" / "config").chmod(0o400)
    before = aws_files(env.home)
    result = retire("old", "--deactivate", "--yes")
    assert result.returncode == 1
    assert "is read-only" in result.stderr and "nothing was changed" in result.stderr
    assert aws_files(env.home) == before
    assert moto.statuses("alice") == {old["key"][0]: "Active"}
    assert env.counters().get("GetRoleCredentials") is None  # refused before any login


def test_iam_refusing_the_last_step_leaves_the_files_done_and_says_what_is_left(
        old: Dict[str, Any], moto: Moto, refusing_iam: str) -> None:
    env: AwsEnv = old["env"]
    key_id, secret = old["key"]
    environ = dict(os.environ, AWS_ENDPOINT_URL_IAM=refusing_iam)
    result = retire("old", "--deactivate", "--yes", env=environ)
    assert result.returncode == 1
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith(f"shellsso: error: the files are done, but key {masked(key_id)} "
                            "was not set Inactive in IAM: with the key itself: AccessDenied")
    assert "with the credentials of 'moto-admin': AccessDenied" in error
    assert error.endswith("to finish: shellsso keys retire old --deactivate")
    assert (env.home / ".aws" / "credentials").read_text() == old["after"]
    assert files_holding(env.home, secret) == []
    assert botocore_identity(env, "old")["method"] == "sso"
    assert moto.statuses("alice") == {key_id: "Active"}
    # IAM back: the one command named finishes
    finish = retire("old", "--deactivate", "--yes")
    assert finish.returncode == 0, finish.stderr
    assert moto.statuses("alice") == {key_id: "Inactive"}


def test_the_account_decides_the_sso_profile(old: Dict[str, Any]) -> None:
    env: AwsEnv = old["env"]
    before = aws_files(env.home)
    wrong = retire("old", "--to", "dev", "--yes")
    assert wrong.returncode == 1 and wrong.stderr.count("\n") == 1
    assert f"--to dev reaches account 111111111111, but key {masked(old['key'][0])} " \
           f"belongs to account {MOTO_ACCOUNT}" in wrong.stderr
    write_config(env.home, SSO_CONFIG + OLD_PROFILE + "\n[profile moto-ro]\nsso_session = corp\n"
                 f"sso_account_id = {MOTO_ACCOUNT}\nsso_role_name = ReadOnlyAccess\n")
    several = retire("old", "--yes")
    assert several.returncode == 1
    assert "2 SSO profiles reach account 123456789012 (moto-admin, moto-ro): choose one " \
           "with --to SSO_PROFILE; nothing was changed" in several.stderr
    chosen = retire("old", "--to", "moto-ro", "--yes")
    assert chosen.returncode == 0, chosen.stderr
    assert "sso_role_name = ReadOnlyAccess" in (env.home / ".aws" / "config").read_text()
    del before


def test_no_sso_profile_for_the_account_says_populate(keyed: AwsEnv, moto: Moto) -> None:
    key = moto.new_key("alice")
    write_credentials(keyed.home, credentials_text(key)[0])
    write_config(keyed.home, DEMO_CONFIG)
    result = retire("old", "--yes")
    assert result.returncode == 1
    assert f"reaches account {MOTO_ACCOUNT}: run `shellsso populate`" in result.stderr


def test_unknown_account_without_network_needs_to(
        old: Dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    env: AwsEnv = old["env"]
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", closed_port())
    before = aws_files(env.home)
    result = retire("old", "--yes")
    assert result.returncode == 1 and "name the SSO profile to use with --to" in result.stderr
    assert aws_files(env.home) == before


def test_a_profile_without_a_long_lived_key(keyed: AwsEnv) -> None:
    result = retire("dev", "--yes")
    assert result.returncode == 1
    assert "profile 'dev' holds no long-lived access key" in result.stderr
    typo = retire("moto-admn", "--yes")
    assert "did you mean: moto-admin" in typo.stderr


def test_on_a_terminal_each_step_is_asked(old: Dict[str, Any], moto: Moto) -> None:
    import pexpect

    env: AwsEnv = old["env"]
    child = pexpect.spawn(sys.executable, ["-m", "shellsso", "keys", "retire", "old", "--delete"],
                          env=dict(os.environ), encoding="utf-8", timeout=60)
    child.expect(r"Rewrite profile 'old' to use 'moto-admin'.*\[y/N\] ")
    child.sendline("y")
    child.expect(r"Delete key .* This cannot be undone \[y/N\] ")
    child.sendline("n")
    child.expect("to finish: shellsso keys retire old --delete")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert moto.statuses("alice") == {old["key"][0]: "Active"}
    assert (env.home / ".aws" / "credentials").read_text() == old["after"]


def test_a_profile_named_with_shell_metacharacters(keyed: AwsEnv, moto: Moto) -> None:
    key_id, secret = moto.new_key("alice")
    name = "ci;$(touch pwned)`id`"
    write_credentials(keyed.home, f"[{name}]\naws_access_key_id = {key_id}\n"
                                  f"aws_secret_access_key = {secret}\n")
    emulator_login(keyed)
    result = retire(name, "--yes", "--dry-run")
    assert result.returncode == 0 and f"profile '{name}'" in result.stdout
    result = retire(name, "--yes")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout + result.stderr
    assert f"`shellsso keys retire '{name}' --deactivate`" in result.stdout
    identity = botocore_identity(keyed, name)
    assert identity["method"] == "sso" and identity["account"] == MOTO_ACCOUNT
    assert not (keyed.home / "pwned").exists() and not Path("pwned").exists()
    assert files_holding(keyed.home, secret) == []


def test_a_read_only_credentials_file_changes_nothing(old: Dict[str, Any], moto: Moto) -> None:
    env: AwsEnv = old["env"]
    (env.home / ".aws" / "credentials").chmod(0o400)
    before = aws_files(env.home)
    result = retire("old", "--deactivate", "--yes")
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "credentials: it is read-only" in result.stderr
    assert "nothing was changed; to allow it: chmod u+w" in result.stderr
    assert aws_files(env.home) == before
    assert moto.statuses("alice") == {old["key"][0]: "Active"}


def test_keys_in_both_files_leave_both(old: Dict[str, Any], moto: Moto) -> None:
    env: AwsEnv = old["env"]
    other_id, other_secret = moto.new_key("alice")
    write_config(env.home, SSO_CONFIG + OLD_PROFILE + f"aws_access_key_id = {other_id}\n"
                 f"aws_secret_access_key = {other_secret}\n")
    result = retire("old", "--deactivate", "--yes")
    assert result.returncode == 0, result.stderr
    assert f"the config file's other key {masked(other_id)} leaves the files too" in result.stdout
    assert files_holding(env.home, other_secret) == []
    assert files_holding(env.home, old["key"][1]) == []
    assert moto.statuses("alice") == {old["key"][0]: "Inactive", other_id: "Active"}
    assert botocore_identity(env, "old")["method"] == "sso"


def test_a_killed_writes_leftover_and_a_planted_backup_link(
        old: Dict[str, Any], moto: Moto) -> None:
    """A temp file a kill -9 left (holding the secret) is swept by retire's writes; a
    config.bak planted as a link is replaced, never written through."""
    env: AwsEnv = old["env"]
    secret = old["key"][1]
    aws = env.home / ".aws"
    leftover = aws / ".shellsso-999999999-killed.tmp"
    leftover.write_text(old["before"])
    target = env.home / "elsewhere"
    target.write_text("not the config\n")
    (aws / "config.bak").symlink_to(target)
    result = retire("old", "--yes")
    assert result.returncode == 0, result.stderr
    assert not leftover.exists()
    assert target.read_text() == "not the config\n"
    assert not (aws / "config.bak").is_symlink()
    assert files_holding(env.home, secret) == []


def test_on_a_terminal_several_sso_profiles_are_offered(old: Dict[str, Any], moto: Moto) -> None:
    import pexpect

    env: AwsEnv = old["env"]
    write_config(env.home, SSO_CONFIG + OLD_PROFILE + "\n[profile moto-ro]\nsso_session = corp\n"
                 f"sso_account_id = {MOTO_ACCOUNT}\nsso_role_name = ReadOnlyAccess\n")
    child = pexpect.spawn(sys.executable, ["-m", "shellsso", "keys", "retire", "old"],
                          env=dict(os.environ), encoding="utf-8", timeout=60)
    child.expect(r"1\) moto-admin\r\n  2\) moto-ro\r\n")
    child.expect(r"\[number\] ")
    child.sendline("2")
    child.expect(r"1. use SSO profile 'moto-ro'")
    child.expect(r"\[y/N\] ")
    child.sendline("y")
    child.expect("now uses SSO")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert botocore_identity(env, "old")["method"] == "sso"
    assert "sso_role_name = ReadOnlyAccess" in (env.home / ".aws" / "config").read_text()
