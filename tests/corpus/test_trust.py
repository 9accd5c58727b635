"""Caches someone else controls, and cache files that are not files.

As ssh refuses a `~/.ssh` another user could write to, shellsso refuses an
SSO token cache folder, a role-credential cache folder or a cache file that
is owned by another user or writable by group or others: one line naming it
and the fix. A folder reached through a symlink is never chmodded, a symlink
in place of a cache file is replaced, never followed, when writing. A FIFO,
`/dev/zero`, a huge file or deeply nested JSON in place of a cache file is a
corrupt file: a warning naming it, and no token. Other users are played by
uid 65534 (the tests run as root in CI; as another user those few skip).
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest

from tests.conftest import AwsEnv, require_root, run_shellsso, sha1, write_config, write_token
from tests.creds.test_rolecreds import (
    emulator_login,
    one_error_line,
    role_cache_file,
    write_cli_role_cache,
)

OTHER = 65534  # nobody




def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def use(*args: str, env: Dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The awsuse back end for bash, as the hook runs it."""
    return subprocess.run([sys.executable, "-m", "shellsso", "_use", "bash", *args],
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
                          env=env if env is not None else dict(os.environ))


def q(path: Path) -> str:
    return f"'{path}'"


# --- folders and files someone else controls ---------------------------------------------


def test_token_folder_of_another_user_is_refused(aws_env: AwsEnv) -> None:
    require_root()
    planted = write_token(aws_env.home, "corp", 3600)  # a valid token: it must not be used
    folder = planted.parent
    os.chown(folder, OTHER, OTHER)
    os.chown(planted, OTHER, OTHER)
    folder.chmod(0o777)
    expected = (f"shellsso: error: refusing SSO token cache folder {folder}: it is owned by "
                f"another user (uid {OTHER}); move it aside (mv {q(folder)} "
                f"{q(folder.with_name('cache.untrusted'))}) and let shellsso create its own")
    assert one_error_line(run_shellsso("status", "--profile", "dev")) == expected
    assert one_error_line(use("dev")) == expected.replace("shellsso:", "awsuse:", 1)
    assert one_error_line(run_shellsso("export", "--profile", "dev")) == expected
    assert one_error_line(run_shellsso("login", "--profile", "dev")) == expected
    assert sorted(p.name for p in folder.iterdir()) == [planted.name]  # nothing written there
    assert mode(folder) == 0o777  # and nothing chmodded
    assert aws_env.counters().get("GetRoleCredentials") is None


def test_writable_folders_are_refused_until_fixed(aws_env: AwsEnv) -> None:
    token = write_token(aws_env.home, "corp", 3600)
    sso = token.parent
    sso.chmod(0o777)
    line = one_error_line(run_shellsso("status", "--profile", "dev"))
    assert line == (f"shellsso: error: refusing SSO token cache folder {sso}: it is writable by "
                    f"other users; run: chmod 700 {q(sso)}")
    sso.chmod(0o700)
    emulator_login(aws_env)
    cli = role_cache_file(aws_env.home).parent
    cli.mkdir(parents=True)
    cli.chmod(0o733)
    line = one_error_line(run_shellsso("export", "--profile", "dev"))
    assert line == (f"shellsso: error: refusing role-credential cache folder {cli}: it is "
                    f"writable by other users; run: chmod 700 {q(cli)}")
    assert list(cli.iterdir()) == []
    cli.chmod(0o770)  # group-writable, but the group is the user's own and has no one else
    assert grp.getgrgid(os.getegid()).gr_mem in ([], [pwd.getpwuid(os.geteuid()).pw_name])
    assert run_shellsso("export", "--profile", "dev").returncode == 0
    assert mode(cli) == 0o700  # a real folder of the user's: tightened
    if os.geteuid() == 0:  # a group of other users (the user's own private group is fine)
        os.chown(cli, 0, OTHER)
        cli.chmod(0o770)
        assert "writable by its group" in one_error_line(run_shellsso("export", "--profile", "dev"))


def test_cache_files_of_another_user_or_writable_are_refused(aws_env: AwsEnv) -> None:
    token = write_token(aws_env.home, "corp", 3600)
    token.chmod(0o666)
    line = one_error_line(run_shellsso("status", "--profile", "dev"))
    assert line == (f"shellsso: error: refusing SSO token cache file {token}: it is writable by "
                    f"other users; run: chmod 600 {q(token)}")
    token.chmod(0o600)
    entry = write_cli_role_cache(aws_env.home, 3600)
    entry.chmod(0o622)
    line = one_error_line(run_shellsso("export", "--profile", "dev"))
    assert line.startswith(f"shellsso: error: refusing credential cache file {entry}: it is "
                           "writable by")
    entry.chmod(0o600)
    assert "ASIACLIWROTETHIS0001" in run_shellsso("export", "--profile", "dev").stdout
    if os.geteuid() == 0:
        os.chown(token, OTHER, OTHER)
        line = one_error_line(run_shellsso("status", "--profile", "dev"))
        assert line.startswith(f"shellsso: error: refusing SSO token cache file {token}: it is "
                               f"owned by another user (uid {OTHER}); move it aside")


def test_symlinked_folder_is_used_but_never_chmodded(aws_env: AwsEnv, tmp_path: Path) -> None:
    emulator_login(aws_env)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    cli = role_cache_file(aws_env.home).parent
    cli.parent.mkdir(parents=True)
    cli.symlink_to(shared)
    result = run_shellsso("export", "--profile", "dev")
    assert result.returncode == 0, result.stderr
    assert mode(shared) == 0o755  # the user's choice, left alone
    [written] = list(shared.iterdir())
    assert mode(written) == 0o600
    if os.geteuid() == 0:  # the same folder, owned by someone else: refused, untouched
        written.unlink()
        os.chown(shared, OTHER, OTHER)
        line = one_error_line(run_shellsso("export", "--profile", "dev"))
        assert line.startswith(f"shellsso: error: refusing role-credential cache folder {cli}: "
                               f"it is owned by another user (uid {OTHER})")
        assert mode(shared) == 0o755 and list(shared.iterdir()) == []


def test_symlinked_cache_file_and_lock_are_never_followed(aws_env: AwsEnv,
                                                          tmp_path: Path) -> None:
    emulator_login(aws_env)
    victim = tmp_path / "victim.json"
    write_cli_role_cache(aws_env.home, -60).rename(victim)  # expired: export writes anew
    entry = role_cache_file(aws_env.home)
    entry.symlink_to(victim)
    before = victim.read_text()
    assert run_shellsso("export", "--profile", "dev").returncode == 0
    assert not entry.is_symlink() and mode(entry) == 0o600  # replaced, not written through
    assert victim.read_text() == before
    # The lock beside the cache entry, planted as a symlink: refused, never opened.
    [lock] = (aws_env.home / ".cache" / "shellsso" / "locks").glob("cred-*.lock")
    lock.unlink()
    lock.symlink_to(victim)
    write_cli_role_cache(aws_env.home, -60)
    line = one_error_line(run_shellsso("export", "--profile", "dev"))
    assert line == (f"shellsso: error: refusing lock file {lock}: it is a symlink, which shellsso "
                    f"never follows to write; remove it: rm {q(lock)}")
    assert victim.read_text() == before


def test_umask_000_still_makes_private_folders_and_files(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    sso = aws_env.home / ".aws" / "sso"
    for path in sorted(sso.rglob("*"), reverse=True):  # only the config stays: a fresh start
        path.unlink() if path.is_file() else path.rmdir()
    sso.rmdir()
    env = dict(os.environ, SHELLSSO_AUTO_LOGIN="always")
    result = subprocess.run(
        [sys.executable, "-m", "shellsso", "export", "--profile", "dev"], env=env,
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        preexec_fn=lambda: os.umask(0))
    assert result.returncode == 0, result.stderr
    made = [aws_env.home / ".aws" / "sso", aws_env.home / ".aws" / "cli",
            aws_env.home / ".cache"]
    folders: List[Path] = []
    files: List[Path] = []
    for top in made:
        for path in [top, *top.rglob("*")]:
            (folders if path.is_dir() else files).append(path)
    assert len(folders) >= 6 and len(files) >= 3, (folders, files)
    assert {str(p): oct(mode(p)) for p in folders if mode(p) != 0o700} == {}
    assert {str(p): oct(mode(p)) for p in files if mode(p) != 0o600} == {}


# --- files that are not cache files ------------------------------------------------------


def _token_path(home: Path) -> Path:
    folder = home / ".aws" / "sso" / "cache"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{sha1('corp')}.json"


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "huge", "nested"])
def test_token_file_that_is_no_cache_file(home: Path, kind: str) -> None:
    write_config(home)
    path = _token_path(home)
    if kind == "fifo":
        os.mkfifo(path, 0o600)
        why = "it is not a regular file"
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
        why = "it is not a regular file"
    elif kind == "huge":
        path.write_bytes(b" " * (1 << 20) + b"{}")
        why = "it is larger than 1024 KB"
    else:
        path.write_text("[" * 200_000 + "]" * 200_000)
    path.chmod(0o600) if not path.is_symlink() else None
    warning = (f"shellsso: warning: ignoring corrupt SSO token cache file {path} (not valid JSON)"
               if kind == "nested" else
               f"shellsso: warning: ignoring SSO token cache file {path}: {why}")
    start = time.monotonic()
    status = run_shellsso("status", "--profile", "dev", timeout=20)
    assert status.returncode == 0, status.stderr
    assert status.stderr.splitlines() == [warning]
    assert "Token:       none (log in: shellsso login --profile dev)" in status.stdout
    switch = use("dev", env=dict(os.environ, SHELLSSO_AUTO_LOGIN="never"))
    assert switch.returncode == 0
    assert switch.stderr.splitlines()[0] == warning.replace("shellsso:", "awsuse:", 1)
    assert "no token for SSO session 'corp'" in switch.stderr
    assert "unexpected" not in status.stderr + switch.stderr
    assert time.monotonic() - start < 10


@pytest.mark.parametrize("kind", ["fifo", "nested"])
def test_credential_cache_file_that_is_no_cache_file(aws_env: AwsEnv, kind: str) -> None:
    emulator_login(aws_env)
    entry = role_cache_file(aws_env.home)
    entry.parent.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(entry, 0o600)
        why = "it is not a regular file"
    else:
        entry.write_text(json.dumps({"Credentials": []})[:-2] + "[" * 200_000)
        entry.chmod(0o600)
        why = "it is not valid JSON"
    result = run_shellsso("export", "--profile", "dev", timeout=20)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"shellsso: warning: ignoring credential cache file {entry}: {why}; "
        "it will be replaced"]
    assert entry.is_file() and json.loads(entry.read_text())["ProviderType"] == "sso"


# --- names with terminal escapes ------------------------------------------------------------

ESCAPED = "evil\x1b]0;owned\x07\x1b[2J\x9b31m"
ESCAPE_CONFIG = f"""\
[profile {ESCAPED}]
region = us-east-1\x1b[5m

[profile staging\x1b[2J]
region = us-east-1
"""


def test_escapes_in_names_never_reach_the_terminal(home: Path) -> None:
    write_config(home, ESCAPE_CONFIG)
    shown = "evil?]0;owned??[2J?31m"
    listing = run_shellsso("list")
    assert listing.returncode == 0, listing.stderr
    assert shown in listing.stdout
    status = run_shellsso("status", "--profile", ESCAPED)
    assert status.returncode == 0, status.stderr
    assert f"Profile: {shown}" in status.stdout and "us-east-1?[5m" in status.stdout
    missing = run_shellsso("status", "--profile", ESCAPED[:-1])  # a typo, escapes and all
    assert missing.stderr.endswith(f"(did you mean: {shown}?)\n"), missing.stderr
    assert f"profile '{shown[:-1]}' not found" in missing.stderr
    awsuse = use("stagin")
    assert awsuse.stderr.endswith("(did you mean: staging?[2J?)\n"), awsuse.stderr
    listed = use()
    assert shown in listed.stdout
    for out in (listing.stdout, listing.stderr, status.stdout, status.stderr, missing.stderr,
                awsuse.stderr, listed.stdout):
        assert not any(ch in out for ch in "\x1b\x07\x9b"), repr(out)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_prompt_never_reads_a_fifo_in_place_of_the_token(home: Path, shell: str) -> None:
    """The hooks re-read the token file at each prompt: a FIFO there must not hang it."""
    from tests.shell.harness import ShellSession

    write_config(home)
    token = write_token(home, "corp", 600)  # under 15 minutes: every prompt re-reads it
    with ShellSession(shell, home) as sh:
        sh.run("awsuse dev")
        assert sh.prompt() in ("aws:dev(10m)", "aws:dev(9m)")
        token.unlink()
        os.mkfifo(token, 0o600)
        sh.run("true", timeout=5)
        assert sh.prompt() == "aws:dev(no session)"  # as if missing
        sh.run("awsuse --unset")
