"""The awsuse back end (shellsso.shell.awsuse) and the shells' quoting, without a terminal.

The code awsuse prints is evaluated by the real shells here, so quoting is
checked where it matters: hostile values must come back byte for byte.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest

from shellsso.shell import syntax
from tests.conftest import AwsEnv, require, run_shellsso, write_config, write_token

HOSTILE_VALUES = [
    "x; rm -rf ~", "$(touch pwned)", "`touch pwned`", "it's", "a\\'b", 'say "hi"', "\\",
    "$HOME", "%d %s", "!!", "multi\nline", "tab\there", "èрт🚒♞中片", "'\";&&e-$ èрт🚒♞中片-j",
    "trailing\\", "-n", "",
]
SHELL_EVAL = {
    "bash": ["bash", "--norc", "--noprofile", "-c"],
    "zsh": ["zsh", "-f", "-c"],
    "fish": ["fish", "--no-config", "-c"],
}
PRINT = {
    "bash": 'eval "$1"; printf "%s" "$V"',
    "zsh": 'eval "$1"; printf "%s" "$V"',
    "fish": 'echo $argv[1] | source; printf "%s" "$V"',
}


def use(*args: str, shell: str = "bash", env: Dict[str, str] | None = None,
        entry: str = "main") -> subprocess.CompletedProcess[str]:
    """`shellsso _use SHELL ARGS` as the hook runs it: -E -S, package folder first."""
    import shellsso

    pkgdir = os.path.dirname(os.path.dirname(os.path.abspath(shellsso.__file__)))
    code = ("import sys;sys.path[0]=sys.argv.pop(1);import shellsso.shell.awsuse as u;"
            "sys.exit(getattr(u,sys.argv.pop(1))(sys.argv[1:]))")
    return subprocess.run(
        [sys.executable, "-E", "-S", "-c", code, pkgdir, entry, shell, *args],
        capture_output=True, text=True, env=env if env is not None else dict(os.environ),
        stdin=subprocess.DEVNULL, timeout=60,
    )


def evaluate(shell: str, code: str, env: Dict[str, str], names: List[str]) -> Dict[str, str]:
    """Run `code` in a real shell, then print the variables `names` (NUL-separated)."""
    require(shell)
    show = " ".join(f'"${n}"' for n in names)
    script = {"fish": f"echo $argv[1] | source; printf '%s\\0' {show}"}.get(
        shell, f"eval \"$1\"; printf '%s\\0' {show}")
    argv = [*SHELL_EVAL[shell], script] + (["x", code] if shell != "fish" else [code])
    out = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
    return dict(zip(names, out.stdout.split("\0")))


@pytest.mark.parametrize("shell", list(syntax.SHELLS))
@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_quote_round_trips_through_the_real_shell(shell: str, value: str, tmp_path: Path) -> None:
    require(shell)
    code = syntax.get(shell).export("V", value)
    argv = [*SHELL_EVAL[shell], PRINT[shell]] + (["x", code] if shell != "fish" else [code])
    out = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path, check=True)
    assert out.stdout == value
    assert not list(tmp_path.iterdir())


def test_unknown_profile_prints_nothing_and_suggests(home: Path) -> None:
    write_config(home)
    result = use("prdo")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"awsuse: error: profile 'prdo' not found in {home}/.aws/config (did you mean: prod?)\n")


@pytest.mark.parametrize("shell", list(syntax.SHELLS))
def test_switch_sets_profile_and_state(home: Path, shell: str) -> None:
    write_config(home)
    write_token(home, "corp", 3600)
    result = use("dev", "--region", "eu-west-1", shell=shell)
    assert result.returncode == 0, result.stderr
    values = evaluate(shell, result.stdout, dict(os.environ), [
        "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "_SHELLSSO_SET", "_SHELLSSO_EXPIRES"])
    assert values["AWS_PROFILE"] == "dev"
    assert values["AWS_REGION"] == values["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert values["_SHELLSSO_SET"] == "AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION"
    assert int(values["_SHELLSSO_EXPIRES"]) > 0


def test_refresh_state_for_the_hooks_follows_can_refresh(home: Path) -> None:
    """The hooks get what Token.can_refresh needs: the session kind and the registration's end."""
    from tests.conftest import START_URL

    write_config(home)
    names = ["_SHELLSSO_SSO_SESSION", "_SHELLSSO_REFRESH"]
    write_token(home, "corp", 3600, refresh_token="r", registration_expires_in=7200)
    values = evaluate("bash", use("dev").stdout, dict(os.environ), names)
    assert values["_SHELLSSO_SSO_SESSION"] == "1"
    assert abs(int(values["_SHELLSSO_REFRESH"]) - (time.time() + 7200)) < 60
    write_token(home, "corp", 3600)  # no refresh token
    values = evaluate("bash", use("dev").stdout, dict(os.environ), names)
    assert values == {"_SHELLSSO_SSO_SESSION": "1", "_SHELLSSO_REFRESH": ""}
    write_token(home, START_URL, 3600, refresh_token="r")  # legacy: never refreshed
    values = evaluate("bash", use("legacy").stdout, dict(os.environ), names)
    assert values == {"_SHELLSSO_SSO_SESSION": "", "_SHELLSSO_REFRESH": ""}
    assert "_SHELLSSO_SSO_SESSION" in use("--unset").stdout  # cleared with the rest


def test_valid_token_hot_path_imports_no_boto3_argparse_site_or_sha1(home: Path) -> None:
    write_config(home)
    write_token(home, "corp", 3600)
    import shellsso

    pkgdir = os.path.dirname(os.path.dirname(os.path.abspath(shellsso.__file__)))
    # awsuse ends with os._exit on this path (no teardown): report from there too.
    code = ("import sys,io,os;sys.path[0]=sys.argv.pop(1);import shellsso.shell.awsuse as u;"
            "report=lambda rc:print(rc, sorted(m for m in sys.modules if m.split('.')[0] in "
            "('boto3','botocore','argparse','site','json','dataclasses','_sha1','grp','pwd')));"
            "os._exit=lambda rc:(setattr(sys,'stdout',sys.__stdout__),report(rc),sys.exit(0));"
            "sys.stdout=io.TextIOWrapper(io.BytesIO());rc=u.main(['bash',*sys.argv[1:]]);"
            "sys.stdout=sys.__stdout__;report(rc)")
    # The first call builds the config index (and hashes its sessions): warm it.
    subprocess.run([sys.executable, "-E", "-S", "-c", code, pkgdir, "dev"], check=True,
                   capture_output=True)
    for args in (["dev"], []):  # a switch, and the listing
        out = subprocess.run([sys.executable, "-E", "-S", "-c", code, pkgdir, *args],
                             capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "0 []", (args, out.stdout + out.stderr)


def test_names_that_cannot_be_shown_are_rejected(home: Path) -> None:
    write_config(home, "[profile evil\x1b[31m]\nregion = us-east-1\n")
    result = use("evil\x1b[31m")
    assert result.returncode == 1
    assert "contains control characters" in result.stderr
    assert result.stdout == ""


def test_list_marks_active_and_quotes_names(home: Path) -> None:
    write_config(home, '[profile "$(touch pwned)"]\nregion = us-east-1\n[profile dev]\n')
    env = dict(os.environ, AWS_PROFILE="dev")
    result = use(env=env)
    listing = subprocess.run(["bash", "--norc", "-c", 'eval "$1"', "x", result.stdout],
                             capture_output=True, text=True, cwd=home, env=env).stdout
    assert listing.splitlines() == ["  $(touch pwned)  us-east-1", "* dev             -"]
    assert not (home / "pwned").exists()


def test_list_aligns_its_columns(home: Path) -> None:
    """Role names of different lengths keep the REGION column straight, as `shellsso list`."""
    write_config(home)
    env = dict(os.environ, AWS_PROFILE="staging")
    result = use(env=env)
    assert result.returncode == 0, result.stderr
    lines = subprocess.run(["bash", "--norc", "-c", 'eval "$1"', "x", result.stdout],
                           capture_output=True, text=True, env=env).stdout.splitlines()
    assert lines == [
        "  default  -             -                    us-east-1",
        "  dev      111111111111  AdministratorAccess  us-west-2",
        "* staging  222222222222  ReadOnlyAccess       eu-west-1",
        "  prod     333333333333  ReadOnlyAccess       us-east-1",
        "  legacy   444444444444  AdministratorAccess  -",
    ]


def test_unset_clears_only_what_awsuse_set(home: Path) -> None:
    env = dict(os.environ, AWS_PROFILE="dev", AWS_REGION="x", AWS_ACCESS_KEY_ID="mine",
               _SHELLSSO_SET="AWS_PROFILE AWS_REGION rm", _SHELLSSO_PROFILE="dev")
    result = use("--unset", env=env)
    assert result.returncode == 0
    values = evaluate("bash", result.stdout, env, ["AWS_PROFILE", "AWS_REGION",
                                                   "AWS_ACCESS_KEY_ID", "_SHELLSSO_PREV"])
    assert values == {"AWS_PROFILE": "", "AWS_REGION": "", "AWS_ACCESS_KEY_ID": "mine",
                      "_SHELLSSO_PREV": "dev"}
    assert " rm" not in result.stdout


def test_foreign_credentials_warn_and_own_are_cleared(home: Path) -> None:
    write_config(home)
    write_token(home, "corp", 3600)
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIAFOREIGN")
    result = use("dev", env=env)
    assert "AWS_ACCESS_KEY_ID is set in this shell and takes precedence" in result.stderr
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIAOWN", AWS_SESSION_TOKEN="t",
               _SHELLSSO_SET="AWS_PROFILE " + " ".join(
                   ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                    "AWS_CREDENTIAL_EXPIRATION"]))
    result = use("staging", env=env)
    assert result.stderr == ""
    values = evaluate("bash", result.stdout, env, ["AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN",
                                                   "_SHELLSSO_SET"])
    assert values == {"AWS_ACCESS_KEY_ID": "", "AWS_SESSION_TOKEN": "",
                      "_SHELLSSO_SET": "AWS_PROFILE"}


def test_usage_errors(home: Path) -> None:
    for args, text in ((["--bogus"], "unknown option '--bogus'"),
                       (["a", "b"], "one profile at a time"),
                       (["--region"], "--region needs a value"),
                       (["dev", "--region", "EU;rm"], "invalid region 'EU;rm'"),
                       (["--unset", "dev"], "--unset takes no profile"),
                       (["-"], "no previous profile")):
        result = use(*args)
        assert result.returncode in (1, 2), args
        assert text in result.stderr
        assert result.stdout == ""


def test_not_on_a_terminal_switches_and_warns(home: Path) -> None:
    write_config(home)
    write_token(home, "corp", -60)
    result = use("dev")
    assert result.returncode == 0
    assert "SSO session 'corp' has expired; run: shellsso login --profile dev" in result.stderr
    assert "export AWS_PROFILE='dev'" in result.stdout


def test_export_puts_credentials_in_the_environment(aws_env: AwsEnv) -> None:
    login = run_shellsso("login", "--profile", "dev")
    assert login.returncode == 0, login.stderr
    result = use("dev", "--export")
    assert result.returncode == 0, result.stderr
    names = ["AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
             "AWS_CREDENTIAL_EXPIRATION", "_SHELLSSO_SET"]
    values = evaluate("bash", result.stdout, dict(os.environ),
                      [*names, "_SHELLSSO_CREDS_KEY", "_SHELLSSO_CREDS_EXPIRES"])
    assert values["AWS_PROFILE"] == "dev"
    assert values["AWS_ACCESS_KEY_ID"] and values["AWS_SECRET_ACCESS_KEY"]
    assert values["AWS_SESSION_TOKEN"]
    assert values["AWS_CREDENTIAL_EXPIRATION"].endswith("+00:00")
    assert values["_SHELLSSO_SET"].split() == names[:5]
    assert values["AWS_SECRET_ACCESS_KEY"] not in result.stderr
    # The hooks' state for the prompt and the re-export: expiry and key id, no secret.
    assert values["_SHELLSSO_CREDS_KEY"] == values["AWS_ACCESS_KEY_ID"]
    assert abs(int(values["_SHELLSSO_CREDS_EXPIRES"]) - (time.time() + 3600)) < 120
    assert values["AWS_SECRET_ACCESS_KEY"] not in result.stdout.split("AWS_SECRET_ACCESS_KEY")[0]


def test_export_over_foreign_credentials_warns_once_without_values(aws_env: AwsEnv) -> None:
    """Keys set by hand are replaced by --export and then cleared with its own: it says so."""
    login = run_shellsso("login", "--profile", "dev")
    assert login.returncode == 0, login.stderr
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIAFOREIGN", AWS_SECRET_ACCESS_KEY="foreign-secret")
    result = use("dev", "--export", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "awsuse: warning: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY were set outside "
        "awsuse; --export replaces them, and awsuse --unset or the next switch clears them\n")
    names = ["AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
             "AWS_CREDENTIAL_EXPIRATION", "_SHELLSSO_SET", "_SHELLSSO_PROFILE",
             "_SHELLSSO_CREDS_KEY", "_SHELLSSO_CREDS_EXPIRES"]
    values = evaluate("bash", result.stdout, env, names)
    assert values["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert "AWS_SECRET_ACCESS_KEY" in values["_SHELLSSO_SET"].split()
    # Its own credentials, exported again or for another profile: nothing to say.
    env.update(values)
    result = use("staging", "--export", env=env)
    assert (result.returncode, result.stderr) == (0, "")
    # One foreign variable: singular.
    env = dict(os.environ, AWS_SESSION_TOKEN="foreign-token")
    result = use("dev", "--export", env=env)
    assert "warning: AWS_SESSION_TOKEN was set outside awsuse; --export replaces it," in (
        result.stderr)
    assert "foreign-token" not in result.stderr


def test_switch_or_unset_after_export_ends_the_creds_mode(home: Path) -> None:
    write_config(home)
    write_token(home, "corp", 3600)
    env = dict(os.environ, AWS_PROFILE="dev", _SHELLSSO_PROFILE="dev", AWS_ACCESS_KEY_ID="ASIAX",
               _SHELLSSO_CREDS_KEY="ASIAX", _SHELLSSO_CREDS_EXPIRES="1",
               _SHELLSSO_SET="AWS_PROFILE AWS_ACCESS_KEY_ID")
    names = ["AWS_ACCESS_KEY_ID", "_SHELLSSO_CREDS_KEY", "_SHELLSSO_CREDS_EXPIRES"]
    for args in (["staging"], ["--unset"]):
        result = use(*args, env=env)
        assert result.returncode == 0, result.stderr
        assert evaluate("bash", result.stdout, env, names) == dict.fromkeys(names, "")


def test_preexec_reexports_expired_credentials(aws_env: AwsEnv) -> None:
    login = run_shellsso("login", "--profile", "dev")
    assert login.returncode == 0, login.stderr
    exported = use("dev", "--export")
    names = ["AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
             "AWS_CREDENTIAL_EXPIRATION", "_SHELLSSO_SET", "_SHELLSSO_PROFILE",
             "_SHELLSSO_CREDS_KEY", "_SHELLSSO_CREDS_EXPIRES", "_SHELLSSO_EXPIRES"]
    env = dict(os.environ, **evaluate("bash", exported.stdout, dict(os.environ), names))
    for shell in syntax.SHELLS:
        for entry in (aws_env.home / ".aws" / "cli" / "cache").glob("*.json"):
            entry.unlink()  # as if the cached copy had expired too
        result = use(shell=shell, env=env, entry="preexec_main")
        assert result.returncode == 0 and result.stderr == "", result.stderr
        values = evaluate(shell, result.stdout, env, names)
        assert values["AWS_ACCESS_KEY_ID"] != env["AWS_ACCESS_KEY_ID"]
        assert values["_SHELLSSO_CREDS_KEY"] == values["AWS_ACCESS_KEY_ID"]
        assert values["AWS_SECRET_ACCESS_KEY"] != env["AWS_SECRET_ACCESS_KEY"]
        assert int(values["_SHELLSSO_EXPIRES"]) > time.time()
        env.update(values)
    assert aws_env.counters().get("GetRoleCredentials") == 4
    # Keys changed by hand: no longer ours, nothing is re-exported.
    env["AWS_ACCESS_KEY_ID"] = "AKIAHANDMADE"
    result = use(env=env, entry="preexec_main")
    assert "AWS_ACCESS_KEY_ID" not in result.stdout
    assert aws_env.counters().get("GetRoleCredentials") == 4


def test_preexec_with_auto_login_never_warns_and_changes_no_keys(aws_env: AwsEnv) -> None:
    write_token(aws_env.home, "corp", -60)
    env = dict(os.environ, AWS_PROFILE="dev", _SHELLSSO_PROFILE="dev", AWS_ACCESS_KEY_ID="ASIAX",
               _SHELLSSO_CREDS_KEY="ASIAX", _SHELLSSO_CREDS_EXPIRES="1",
               SHELLSSO_AUTO_LOGIN="never")
    result = use(env=env, entry="preexec_main")
    assert result.returncode == 0
    assert "shellsso login --profile dev" in result.stderr
    assert "awsuse dev --export" in result.stderr
    assert "AWS_ACCESS_KEY_ID" not in result.stdout
    assert "export _SHELLSSO_EXPIRES='" in result.stdout  # the session's end, for the prompt
    assert aws_env.counters().get("GetRoleCredentials", 0) == 0


def test_names_cache_skips_unshowable_names(home: Path) -> None:
    write_config(home, '[profile ok]\n[profile bad\x07]\n[profile "$(x)"]\n')
    import shellsso

    pkgdir = os.path.dirname(os.path.dirname(os.path.abspath(shellsso.__file__)))
    subprocess.run([sys.executable, "-E", "-S", "-c",
                    "import sys;sys.path[0]=sys.argv.pop(1);import shellsso.shell.awsuse as u;"
                    "sys.exit(u.names_main(sys.argv[1:]))", pkgdir, "bash", "KEY"], check=True)
    names = (home / ".cache" / "shellsso" / "names.bash").read_text().splitlines()
    assert names == ["KEY", "$(x)", "ok"]  # as they are, sorted bytewise (binary search)

