"""`shellsso export` and `shellsso credential-process` as shells and SDKs consume them.

Formatting is checked against the AWS CLI's field order and timestamp forms,
then evaluated by the real shells with hostile values; credential-process is
run by botocore itself in a separate process, as an SDK would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List

import pytest

from shellsso.creds.role_credentials import Credentials
from shellsso.shell.exports import FORMATS, format_credentials
from tests.conftest import DEMO_CONFIG, AwsEnv, require, run_shellsso, write_config
from tests.creds.test_rolecreds import emulator_login, one_error_line, write_cli_role_cache

EXPIRES = 1_795_000_000.0  # 2026-11-18T11:06:40Z
EXPIRES_ISO = "2026-11-18T11:06:40+00:00"
NAMES = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
         "AWS_CREDENTIAL_EXPIRATION"]
PLAIN = Credentials("ASIAEXAMPLEKEY000001", "secret/with+chars", "token==", EXPIRES, "111")
# Credentials are printable ASCII (anything else is refused, below): shell code in that range.
HOSTILE_VALUES = [
    "'\";&&e-$ ; touch pwned0; echo ",
    "$(touch pwned)`touch pwned2`${HOME}\\",
    "line1 line2 \"q\" 'single' \\' \\\\",
    "`$Env:PATH` $null \"; touch pwned3; echo \"",
]
# No shell can hold a NUL; AWS issues no credential outside printable ASCII.
REFUSED_VALUES = ["AKIA\0", "line1\nline2", "tab\there", "èрт🚒♞中片", "\u201csmart\u201d",
                  "\x1b[31m"]


def hostile(value: str) -> Credentials:
    return Credentials(value, value + "-secret", value + "-token", EXPIRES, "111")


# --- pure formatting ----------------------------------------------------------------------


def test_env_format_order_and_quoting() -> None:
    assert format_credentials(PLAIN, "env") == (
        "export AWS_ACCESS_KEY_ID='ASIAEXAMPLEKEY000001'\n"
        "export AWS_SECRET_ACCESS_KEY='secret/with+chars'\n"
        "export AWS_SESSION_TOKEN='token=='\n"
        f"export AWS_CREDENTIAL_EXPIRATION='{EXPIRES_ISO}'\n"
    )


def test_other_line_formats() -> None:
    assert format_credentials(PLAIN, "env-no-export").splitlines()[0] == (
        "AWS_ACCESS_KEY_ID='ASIAEXAMPLEKEY000001'"
    )
    assert format_credentials(PLAIN, "fish").splitlines() == [
        "set -gx AWS_ACCESS_KEY_ID 'ASIAEXAMPLEKEY000001'",
        "set -gx AWS_SECRET_ACCESS_KEY 'secret/with+chars'",
        "set -gx AWS_SESSION_TOKEN 'token=='",
        f"set -gx AWS_CREDENTIAL_EXPIRATION '{EXPIRES_ISO}'",
    ]
    assert format_credentials(PLAIN, "powershell").splitlines() == [
        '$Env:AWS_ACCESS_KEY_ID="ASIAEXAMPLEKEY000001"',
        '$Env:AWS_SECRET_ACCESS_KEY="secret/with+chars"',
        '$Env:AWS_SESSION_TOKEN="token=="',
        f'$Env:AWS_CREDENTIAL_EXPIRATION="{EXPIRES_ISO}"',
    ]


def test_process_format_is_the_clis() -> None:
    text = format_credentials(PLAIN, "process")
    assert text == (
        "{\n"
        '  "Version": 1,\n'
        '  "AccessKeyId": "ASIAEXAMPLEKEY000001",\n'
        '  "SecretAccessKey": "secret/with+chars",\n'
        '  "SessionToken": "token==",\n'
        f'  "Expiration": "{EXPIRES_ISO}"\n'
        "}\n"
    )


def test_json_format_has_the_four_names_in_order() -> None:
    data = json.loads(format_credentials(PLAIN, "json"))
    assert list(data) == NAMES
    assert data["AWS_CREDENTIAL_EXPIRATION"] == EXPIRES_ISO


def test_static_keys_leave_out_token_and_expiration() -> None:
    static = Credentials("AKIASTATIC0000000001", "s")
    assert format_credentials(static, "env").count("\n") == 2
    assert json.loads(format_credentials(static, "process")) == {
        "Version": 1, "AccessKeyId": "AKIASTATIC0000000001", "SecretAccessKey": "s"}
    assert list(json.loads(format_credentials(static, "json"))) == NAMES[:2]


def test_powershell_escaping() -> None:
    from shellsso.shell.powershell import PowerShell

    assert PowerShell().quote('a"b$c`d\u201ce') == '"a`"b`$c``d`\u201ce"'


def test_nul_byte_is_refused() -> None:
    from shellsso.core.errors import ShellssoError

    for fmt in ("env", "fish", "powershell"):
        with pytest.raises(ShellssoError, match="NUL"):
            format_credentials(hostile("a\0b"), fmt)


@pytest.mark.parametrize("value", REFUSED_VALUES)
def test_credentials_outside_printable_ascii_are_refused_naming_the_field(value: str) -> None:
    from shellsso.core.errors import ShellssoError

    for fmt in ("env", "env-no-export", "fish", "powershell"):
        creds = Credentials("ASIAEXAMPLEKEY000001", "secret", "tok" + value, EXPIRES)
        with pytest.raises(ShellssoError) as caught:
            format_credentials(creds, fmt)
        assert caught.value.message.startswith("refusing AWS_SESSION_TOKEN: the value holds ")
        assert value not in caught.value.message


def test_unknown_format_is_an_error() -> None:
    from shellsso.core.errors import ShellssoError

    with pytest.raises(ShellssoError, match="unknown format"):
        format_credentials(PLAIN, "yaml")
    assert set(FORMATS) >= {"env", "env-no-export", "fish", "powershell", "json", "process"}


# --- real shells ----------------------------------------------------------------------------


def _values(creds: Credentials) -> List[str]:
    assert creds.session_token is not None
    return [creds.access_key_id, creds.secret_access_key, creds.session_token, EXPIRES_ISO]


PRINT_POSIX = 'printf "%s\\0" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" ' \
    '"$AWS_SESSION_TOKEN" "$AWS_CREDENTIAL_EXPIRATION"'


@pytest.mark.parametrize("shell", ["bash", "zsh"])
@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_posix_eval_sets_exact_values(tmp_path: Path, shell: str, value: str) -> None:
    require(shell)
    creds = hostile(value)
    for fmt, run in (("env", PRINT_POSIX), ("env-no-export", PRINT_POSIX)):
        script = 'eval "$1"; ' + run
        result = subprocess.run([shell, "-c", script, "x", format_credentials(creds, fmt)],
                                capture_output=True, cwd=tmp_path, timeout=30)
        assert result.returncode == 0, result.stderr
        assert result.stdout.decode("utf-8").split("\0")[:-1] == _values(creds)
    assert list(tmp_path.iterdir()) == []  # nothing got executed


def test_env_export_reaches_child_processes(tmp_path: Path) -> None:
    text = format_credentials(hostile(HOSTILE_VALUES[0]), "env")
    script = 'eval "$1"; env | grep -c "^AWS_"'
    result = subprocess.run(["bash", "-c", script, "x", text], capture_output=True, text=True,
                            timeout=30, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    assert result.stdout.strip() == "4"


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_fish_source_sets_exact_values(tmp_path: Path, value: str) -> None:
    require("fish")
    creds = hostile(value)
    script_file = tmp_path / "creds.fish"
    script_file.write_text(format_credentials(creds, "fish"))
    work = tmp_path / "work"
    work.mkdir()
    script = (
        f"source {script_file}; printf '%s\\0' $AWS_ACCESS_KEY_ID $AWS_SECRET_ACCESS_KEY "
        "$AWS_SESSION_TOKEN $AWS_CREDENTIAL_EXPIRATION"
    )
    result = subprocess.run(["fish", "--no-config", "-c", script], capture_output=True,
                            cwd=work, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode("utf-8").split("\0")[:-1] == _values(creds)
    assert list(work.iterdir()) == []


# --- the commands -----------------------------------------------------------------------


def test_export_env_evaluated_by_bash(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    result = run_shellsso("export", "--profile", "dev")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split("=")[0] for line in lines] == [f"export {n}" for n in NAMES]
    shown = subprocess.run(["bash", "-c", 'eval "$1"; ' + PRINT_POSIX, "x", result.stdout],
                           capture_output=True, text=True, timeout=30)
    key, secret, token, expiration = shown.stdout.split("\0")[:-1]
    assert key in aws_env.emulator.issued_access_key_ids
    assert secret and token and expiration.endswith("+00:00")


def test_export_defaults_to_the_active_profile(aws_env: AwsEnv,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    write_cli_role_cache(aws_env.home, expires_in=3600)
    monkeypatch.setenv("AWS_PROFILE", "dev")
    result = run_shellsso("export", "--format", "env-no-export")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("AWS_ACCESS_KEY_ID='ASIACLIWROTETHIS0001'\n")


def test_unknown_format_is_argparse_usage_error(home: Path) -> None:
    result = run_shellsso("export", "--format", "yaml")
    assert result.returncode == 2
    assert "invalid choice: 'yaml'" in result.stderr


def _process_config(home: Path, extra: str = "") -> None:
    command = f"{sys.executable} -m shellsso credential-process --profile dev"
    write_config(home, DEMO_CONFIG + f"\n[profile viaprocess]\ncredential_process = {command}\n"
                 + extra)


BOTOCORE_RESOLVE = textwrap.dedent(
    """
    import sys
    from botocore.session import Session
    try:
        creds = Session(profile=sys.argv[1]).get_credentials()
        frozen = creds.get_frozen_credentials()
        print(creds.method, frozen.access_key, frozen.token is not None)
    except Exception as exc:
        print(type(exc).__name__, exc, file=sys.stderr)
        sys.exit(1)
    """
)


def botocore_resolve(profile: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    """Resolve credentials with botocore in a fresh process (HOME is set before import)."""
    return subprocess.run([sys.executable, "-c", BOTOCORE_RESOLVE, profile],
                          capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_botocore_resolves_credential_process_profile(aws_env: AwsEnv) -> None:
    _process_config(aws_env.home)
    emulator_login(aws_env)
    result = botocore_resolve("viaprocess")
    assert result.returncode == 0, result.stderr
    method, key, has_token = result.stdout.split()
    assert method == "custom-process" and has_token == "True"
    assert aws_env.emulator.issued_access_key_ids == [key]


def test_credential_process_output_and_no_prompt_without_login(aws_env: AwsEnv) -> None:
    result = run_shellsso("credential-process", "--profile", "dev")
    line = one_error_line(result)
    assert result.returncode == 3 and "shellsso login --profile dev" in line
    assert "[Y/n]" not in result.stderr


def test_botocore_shows_our_error_line(aws_env: AwsEnv) -> None:
    _process_config(aws_env.home)  # no token: the process fails
    result = botocore_resolve("viaprocess")
    assert result.returncode == 1
    assert "CredentialRetrievalError" in result.stderr
    assert "shellsso login --profile dev" in result.stderr


def test_credential_process_json(aws_env: AwsEnv) -> None:
    write_cli_role_cache(aws_env.home, expires_in=3600)
    result = run_shellsso("credential-process", "--profile", "dev")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert list(doc) == ["Version", "AccessKeyId", "SecretAccessKey", "SessionToken",
                         "Expiration"]
    assert doc["Version"] == 1 and doc["Expiration"].endswith("+00:00")
    assert result.stdout.endswith("}\n")


def test_parallel_credential_process_refreshes_once(aws_env: AwsEnv) -> None:
    emulator_login(aws_env, expires_in=-60)  # expired locally, refresh token valid
    before = aws_env.counters()
    env = dict(os.environ)

    def one(_: int) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
        return run_shellsso("credential-process", "--profile", "dev", env=env)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(one, range(20)))
    for result in results:
        assert result.returncode == 0, result.stderr
    keys = {json.loads(r.stdout)["AccessKeyId"] for r in results}
    after = aws_env.counters()
    assert after.get("CreateToken", 0) - before.get("CreateToken", 0) == 1
    assert after.get("GetRoleCredentials", 0) == 1
    assert len(keys) == 1


def test_expired_process_credentials_are_refetched(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    write_cli_role_cache(aws_env.home, expires_in=-10)
    result = run_shellsso("credential-process", "--profile", "dev")
    doc = json.loads(result.stdout)
    assert doc["AccessKeyId"] != "ASIACLIWROTETHIS0001"
    from shellsso.core.clock import parse_timestamp

    expiration = parse_timestamp(doc["Expiration"])
    assert expiration is not None and expiration - time.time() > 15 * 60


def test_credential_process_recursion_guard(home: Path) -> None:
    command = f"{sys.executable} -m shellsso credential-process --profile"
    write_config(home, f"[profile a]\ncredential_process = {command} b\n"
                 f"[profile b]\ncredential_process = {command} a\n")
    result = run_shellsso("credential-process", "--profile", "a")
    line = one_error_line(result)
    assert "infinite loop, profile cycle: a -> b -> a" in line


def test_parallel_credential_process_logs_in_once(aws_env: AwsEnv,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """No token, SHELLSSO_AUTO_LOGIN=always: twenty SDK calls start one login between them."""
    monkeypatch.setenv("SHELLSSO_AUTO_LOGIN", "always")
    env = dict(os.environ)

    def one(_: int) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
        return run_shellsso("credential-process", "--profile", "dev", env=env, timeout=120)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(one, range(20)))
    for result in results:
        assert result.returncode == 0, result.stderr
    counters = aws_env.counters()
    assert counters.get("CreateToken", 0) == 1
    assert counters.get("GetRoleCredentials", 0) == 1
    assert len({json.loads(r.stdout)["AccessKeyId"] for r in results}) == 1
