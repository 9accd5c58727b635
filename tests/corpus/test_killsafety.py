"""A kill -9 during a write leaves no secret behind for long, and nothing botocore misreads."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import AwsEnv, sha1, write_token
from tests.corpus import killtrials

SECRET = "s3cr3t-token-value"


def killed_write(path: Path) -> Path:
    """Run write_json in a child that is SIGKILLed between the temp file and the rename."""
    code = ("import os, signal, sys; from shellsso.core import files;"
            "os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL);"
            f"files.write_json(sys.argv[1], {{'accessToken': {SECRET!r}}})")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True)
    assert done.returncode == -9
    [left] = [p for p in path.parent.iterdir() if p.name.startswith(".shellsso-")]
    return left


def test_a_killed_write_leaves_a_temp_file_botocore_never_reads(home: Path) -> None:
    from botocore.utils import JSONFileCache

    folder = home / ".aws" / "sso" / "cache"
    left = killed_write(folder / f"{sha1('corp')}.json")
    assert SECRET in left.read_text()  # what the sweep below is for
    assert left.name.endswith(".tmp") and ".json" not in left.name
    assert not (folder / f"{sha1('corp')}.json").exists()
    cache = JSONFileCache(str(folder))
    assert left.stem not in cache and left.name not in cache
    # `aws sso logout` and botocore look only at `<key>.json`.
    assert [p for p in folder.iterdir() if p.name.endswith(".json")] == []


@pytest.mark.parametrize("command", ["refresh", "role"])
def test_the_next_write_removes_what_a_killed_one_left_in_both_folders(
        aws_env: AwsEnv, command: str) -> None:
    """A refresh writes only ~/.aws/sso/cache, a role fetch only ~/.aws/cli/cache."""
    login = killtrials.device_login(aws_env.url, aws_env.emulator.approve)
    killtrials.write_token(aws_env.home, login, -60 if command == "refresh" else 3600)
    sso, cli = killtrials.cache_dirs(aws_env.home)
    left_sso = killed_write(sso / f"{sha1('corp')}.json")
    left_cli = killed_write(cli / "0123.json")
    argv = (killtrials.awsuse_argv("dev") if command == "refresh"
            else killtrials.shellsso_argv("export", "--profile", "dev"))
    done = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert not left_sso.exists() and not left_cli.exists()
    assert killtrials.temp_files(aws_env.home) == []


def test_a_write_in_progress_is_left_alone_until_it_is_a_minute_old(home: Path) -> None:
    from shellsso.core import files
    folder = home / ".aws" / "cli" / "cache"
    folder.mkdir(parents=True)
    live = folder / f".shellsso-{os.getppid()}-abcdefgh.tmp"  # a running writer
    live.write_text("{}")
    old = folder / ".shellsso-abcdefgh.tmp"  # no pid in the name: age decides
    old.write_text("{}")
    young_old_style = folder / ".shellsso-ijklmnop.tmp"
    young_old_style.write_text("{}")
    stale = time.time() - 2 * files.STALE_TEMP_AGE
    os.utime(old, (stale, stale))
    files.write_json(str(folder / "abc.json"), {"x": 1})
    assert live.exists() and not old.exists() and young_old_style.exists()
    os.utime(live, (stale, stale))
    files.write_json(str(folder / "abc.json"), {"x": 2})
    assert not live.exists()
    assert json.loads((folder / "abc.json").read_text()) == {"x": 2}


@pytest.mark.parametrize("how", [["--profile", "dev"], ["--all"]])
def test_logout_removes_temp_files_holding_secrets(aws_env: AwsEnv, how: list) -> None:  # type: ignore[type-arg]
    write_token(aws_env.home, "corp", 3600)
    sso, cli = killtrials.cache_dirs(aws_env.home)
    left = [killed_write(sso / f"{sha1('x')}.json"), killed_write(cli / "0123.json")]
    done = subprocess.run(killtrials.shellsso_argv("logout", *how), capture_output=True,
                          text=True, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert [p for p in left if p.exists()] == []


@pytest.mark.parametrize("kind", killtrials.KINDS)
def test_kill_trials(aws_env: AwsEnv, kind: str) -> None:
    """Twenty kills per kind, each the moment the command has a temp file; then one full run.

    benchmarks/bench_kill.py runs hundreds, at random moments or targeted.
    """
    env = killtrials.environment(aws_env.home, aws_env.url)
    tally = killtrials.run_trials(kind, aws_env.home, env, aws_env.url,
                                  aws_env.emulator.approve,
                                  trials=20, rng=random.Random(11), targeted=True)
    print(tally)
    assert tally.trials == 20 and tally.corrupt == 0 and tally.left == 0, str(tally)
    assert tally.hit >= 10, str(tally)  # most kills did land inside a write
