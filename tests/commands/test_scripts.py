"""scripts/test, the README's test command, on a system whose python3 refuses
`pip install` (PEP 668, stock Debian and Ubuntu): everything goes through the
project's .venv. The venv's tools are stand-ins that record how they were called,
so the test needs no network and takes well under a second."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

from tests.conftest import REPO

REFUSING_PYTHON3 = f"""#!/bin/sh
# A Debian python3: pip refuses to install into it; venv works if allowed.
case " $* " in
    *" -m pip "*) echo "error: externally-managed-environment" >&2; exit 1 ;;
    *" -m venv "*) [ -n "${{NO_VENV:-}}" ] && {{ echo "ensurepip is not available" >&2; exit 1; }}
                   echo "python3 $*" >>"$LOG"; mkdir -p .venv/bin
                   cp "$STUB" .venv/bin/python; exit 0 ;;
esac
exec {sys.executable} "$@"
"""

VENV_PYTHON = """#!/bin/sh
# The project venv's python: logs pip and pytest calls instead of running them.
echo "venv-python $*" >>"$LOG"
"""

CHECK = """#!/bin/sh
echo "check PATH=${PATH%%:*}:..." >>"$LOG"
"""


@pytest.fixture
def tree(tmp_path: Path) -> Dict[str, str]:
    """A checkout with the real scripts/test, a stand-in scripts/check, and a PATH
    whose python3 refuses pip."""
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    shutil.copy2(REPO / "scripts" / "test", root / "scripts" / "test")
    shutil.copy2(REPO / "scripts" / "demo", root / "scripts" / "demo")
    (root / "scripts" / "check").write_text(CHECK)
    (root / "scripts" / "check").chmod(0o755)
    (root / "pyproject.toml").write_text("[project]\nname = 'shellsso'\n")
    stub = tmp_path / "venv-python"
    stub.write_text(VENV_PYTHON)
    stub.chmod(0o755)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").write_text(REFUSING_PYTHON3)
    (bin_dir / "python3").chmod(0o755)
    return {
        **os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin", "LOG": str(tmp_path / "log"),
        "STUB": str(stub), "ROOT": str(root),
    }


def run_test_script(env: Dict[str, str]) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    return subprocess.run([str(Path(env["ROOT"]) / "scripts" / "test"), "-q", "tests/x.py"],
                          env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_scripts_test_uses_the_project_venv(tree: Dict[str, str]) -> None:
    result = run_test_script(tree)
    assert result.returncode == 0, result.stderr
    assert "externally-managed" not in result.stderr
    root = tree["ROOT"]
    log = Path(tree["LOG"]).read_text().splitlines()
    assert log == [
        "python3 -m venv .venv",
        "venv-python -m pip install -q --disable-pip-version-check -e .[test]",
        f"check PATH={root}/.venv/bin:...",  # the venv's python3, ruff and mypy first
        "venv-python -m pytest -n 4 -q tests/x.py",
    ], log

    # A second run reuses the venv.
    Path(tree["LOG"]).unlink()
    again = run_test_script(tree)
    assert again.returncode == 0, again.stderr
    assert not any(line.startswith("python3 -m venv") for line in
                   Path(tree["LOG"]).read_text().splitlines())


def test_scripts_test_without_venv_support_says_what_to_install(tree: Dict[str, str]) -> None:
    tree["NO_VENV"] = "1"
    result = run_test_script(tree)
    assert result.returncode == 1
    assert "apt-get install python3-venv" in result.stderr
    assert not (Path(tree["ROOT"]) / ".venv").exists()


def test_scripts_demo_shares_the_venv_with_scripts_test(tree: Dict[str, str]) -> None:
    """Both install the checkout editable into .venv: after either, the venv runs the
    checkout's code, never an older copy of it."""
    script = Path(tree["ROOT"]) / "scripts" / "demo"
    result = subprocess.run([str(script), "--script"], env=tree, capture_output=True,
                            text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert Path(tree["LOG"]).read_text().splitlines() == [
        "python3 -m venv .venv",
        "venv-python -m pip install -q --disable-pip-version-check -e .",
        "venv-python -m shellsso demo --script",
    ]


def run_demo_script(env: Dict[str, str]) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    return subprocess.run([str(Path(env["ROOT"]) / "scripts" / "demo"), "--script"], env=env,
                          capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_scripts_demo_installs_once_and_a_second_run_needs_no_index(
        tree: Dict[str, str]) -> None:
    """The first run installs; later runs start the demo at once, offline too (pip
    pointed at an index that does not answer); a changed pyproject.toml installs again."""
    root = Path(tree["ROOT"])
    first = run_demo_script(tree)
    assert first.returncode == 0, first.stderr
    assert "venv-python -m pip install -q --disable-pip-version-check -e ." in \
        Path(tree["LOG"]).read_text().splitlines()

    Path(tree["LOG"]).unlink()
    offline = {**tree, "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_NO_INDEX": ""}
    second = run_demo_script(offline)
    assert second.returncode == 0, second.stderr
    assert Path(tree["LOG"]).read_text().splitlines() == [
        "venv-python -m shellsso demo --script",
    ]

    # A new dependency or entry point: the venv is stale, the next run installs.
    Path(tree["LOG"]).unlink()
    (root / "pyproject.toml").write_text("[project]\nname = 'shellsso'\nversion = '2'\n")
    third = run_demo_script(tree)
    assert third.returncode == 0, third.stderr
    assert Path(tree["LOG"]).read_text().splitlines()[0].startswith("venv-python -m pip install")


def test_scripts_demo_failed_install_is_retried_next_time(tree: Dict[str, str]) -> None:
    """A failed install (offline on the first run) leaves no stamp: the next run installs."""
    root = Path(tree["ROOT"])
    failing = Path(tree["STUB"])
    failing.write_text('#!/bin/sh\necho "venv-python $*" >>"$LOG"\n'
                       'case "$*" in *"pip install"*) exit 1 ;; esac\n')
    first = run_demo_script(tree)
    assert first.returncode != 0
    Path(tree["LOG"]).unlink()
    (root / ".venv" / "bin" / "python").write_text(VENV_PYTHON)
    second = run_demo_script(tree)
    assert second.returncode == 0, second.stderr
    assert Path(tree["LOG"]).read_text().splitlines()[0].startswith("venv-python -m pip install")
