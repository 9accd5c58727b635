"""A new user's first commands: no ~/.aws/config yet, no profile selected. Every
answer names the missing file and the command that creates it, or the option
that picks a profile; awsuse's own messages say `awsuse:`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

from tests.conftest import require, run_shellsso, write_config, write_token

SETUP = ("create it with `shellsso configure` (or `aws configure sso`), then "
         "`shellsso populate --sso-session NAME` adds a profile for every account and role")


def in_bash(script: str, env: Dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A bash with the hook loaded from this checkout, running `script`."""
    require("bash")
    hook = f'eval "$({sys.executable} -m shellsso init bash)"'
    return subprocess.run(["bash", "--norc", "--noprofile", "-c", f"{hook}\n{script}"],
                          capture_output=True, text=True, env=env, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_no_config_file_says_so_and_how_to_make_one(home: Path) -> None:
    config = home / ".aws" / "config"
    listing = run_shellsso("list")
    assert listing.returncode == 0 and listing.stdout == ""
    assert listing.stderr == f"no profiles: {config} does not exist; {SETUP}\n"

    status = run_shellsso("status")
    assert status.returncode == 1
    missing = f"{config} does not exist; {SETUP}"
    assert status.stderr == f"shellsso: error: no profile 'default': {missing}\n"
    named = run_shellsso("status", "--profile", "dev")
    assert named.returncode == 1 and f"no profile 'dev': {config} does not exist" in named.stderr

    export = run_shellsso("export")
    assert export.returncode == 1 and export.stdout == ""
    assert export.stderr == f"shellsso: error: no profile 'default': {missing}\n"

    shell = in_bash("awsuse; echo \"rc=$?\"; awsuse dev; echo \"rc=$? [$AWS_PROFILE]\"",
                    dict(os.environ))
    assert shell.stdout == "rc=0\nrc=1 []\n", shell.stdout + shell.stderr
    assert shell.stderr.splitlines() == [
        f"awsuse: warning: no profiles: {config} does not exist; {SETUP}",
        f"awsuse: error: profile 'dev' not found: {config} does not exist; {SETUP}",
    ]


def test_aws_config_file_is_the_file_named(home: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "team" / "config"
    env = {**os.environ, "AWS_CONFIG_FILE": str(elsewhere)}
    for args in (("list",), ("status",)):
        result = run_shellsso(*args, env=env)
        assert f"{elsewhere} (AWS_CONFIG_FILE) does not exist; {SETUP}" in result.stderr
    shell = in_bash("awsuse", env)
    assert f"{elsewhere} (AWS_CONFIG_FILE) does not exist" in shell.stderr
    # The file exists but holds no profile: that is what it says then.
    elsewhere.parent.mkdir()
    elsewhere.write_text("# nothing yet\n")
    assert run_shellsso("list", env=env).stderr == f"no profiles: none in {elsewhere}\n"


def test_export_without_a_profile_says_use_profile(home: Path) -> None:
    config = write_config(home, "[profile dev]\nregion = us-east-1\n")
    result = run_shellsso("export")
    assert result.returncode == 1
    assert result.stderr == (
        "shellsso: error: no profile selected (AWS_PROFILE is not set) and no [default] "
        f"profile in {config}; try: shellsso export --profile PROFILE\n")


def test_awsuse_messages_say_awsuse(home: Path) -> None:
    write_config(home)
    shell = in_bash("awsuse prdo; awsuse dev --bogus", dict(os.environ))
    assert shell.stderr.splitlines() == [
        f"awsuse: error: profile 'prdo' not found in {home}/.aws/config (did you mean: prod?)",
        "awsuse: error: unknown option '--bogus' (see awsuse --help)",
    ]


def test_awsuse_warns_on_a_region_aws_does_not_have(home: Path) -> None:
    from shellsso.awsconfig.regions import REGIONS, botocore_regions

    write_config(home)
    write_token(home, "corp", 3600)
    newer = sorted(set(botocore_regions()) - set(REGIONS))  # known to botocore only
    assert newer, "botocore knows no region beyond the completion list"
    shell = in_bash(
        'awsuse dev --region nowhere; echo "[$AWS_REGION]"\n'
        'awsuse dev --region us-east1\n'
        f'awsuse dev --region eu-west-1; awsuse dev --region {newer[0]}; echo "[$AWS_REGION]"',
        dict(os.environ))
    assert shell.stdout == f"[nowhere]\n[{newer[0]}]\n", shell.stdout + shell.stderr
    assert shell.stderr.splitlines() == [
        "awsuse: warning: region 'nowhere' is not an AWS region botocore knows; set anyway",
        "awsuse: warning: region 'us-east1' is not an AWS region botocore knows (did you mean: "
        "us-east-1, us-west-1, us-east-2?); set anyway",
    ]
