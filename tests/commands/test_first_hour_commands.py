"""The first hour, with no ~/.aws/config yet: every command that needs a profile
answers as `status`, `export` and `list` do, with the missing file and the commands
that create it, in one line and with no traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Tuple

import pytest

from tests.conftest import run_shellsso

SETUP = ("create it with `shellsso configure` (or `aws configure sso`), then "
         "`shellsso populate --sso-session NAME` adds a profile for every account and role")


@pytest.mark.parametrize(("args", "what"), [
    (("console",), "no profile 'default'"),
    (("console", "--profile", "dev"), "no profile 'dev'"),
    (("exec", "--", "true"), "no profile 'default'"),
    (("exec", "--profile", "dev", "--", "true"), "no profile 'dev'"),
    (("pick",), "no profiles"),
    (("pick", "--filter", "dev"), "no profiles"),
    (("login",), "no profile 'default'"),
    (("login", "--profile", "dev"), "no profile 'dev'"),
    (("login", "--sso-session", "corp"), "no sso-session 'corp'"),
    (("logout",), "no profile 'default'"),
    (("logout", "--profile", "dev"), "no profile 'dev'"),
    (("populate",), "no sso-session"),
])
def test_without_a_config_every_command_points_to_configure(
        home: Path, args: Tuple[str, ...], what: str) -> None:
    result = run_shellsso(*args)
    config = home / ".aws" / "config"
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert result.stderr == f"shellsso: error: {what}: {config} does not exist; {SETUP}\n"


def test_awsuse_picker_without_a_config_points_to_configure(home: Path) -> None:
    """`awsuse -i`, as the hook runs its back end: the same line, and no code to evaluate."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "shellsso", "_use", "bash", "-i"],
                            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    config = home / ".aws" / "config"
    assert result.stdout == ""
    assert result.stderr == f"awsuse: error: no profiles: {config} does not exist; {SETUP}\n"


def test_benchmark_helpers_leave_no_folders_behind(tmp_path: Path) -> None:
    """The benchmarks' temporary HOMEs and virtual environments are removed when the
    benchmark ends: nothing named shellsso-bench-* stays in the temp folder."""
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    code = ("from benchmarks import common\n"
            "common.make_home(3)\ncommon.clean_python()\ncommon.cli_python()\n"
            "import os; print(len(os.listdir(os.environ['TMPDIR'])))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=str(REPO), capture_output=True,
                            text=True, timeout=120, stdin=subprocess.DEVNULL,
                            env={**os.environ, "TMPDIR": str(tmp)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3"  # they exist while the benchmark runs
    assert os.listdir(tmp) == []
