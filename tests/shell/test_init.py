"""`shellsso init`: the hooks for each shell, clean under each shell's linter, from a wheel too."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shellsso.commands import init
from shellsso.shell import syntax
from tests.conftest import REPO, require, run_shellsso

LINTERS = {
    "bash": ["shellcheck", "-s", "bash"],
    "zsh": ["zsh", "-n"],
    "fish": ["fish", "--no-execute"],
}


@pytest.mark.parametrize("shell", list(syntax.SHELLS))
def test_init_prints_a_hook_that_its_linter_accepts(shell: str, tmp_path: Path) -> None:
    result = run_shellsso("init", shell)
    assert result.returncode == 0, result.stderr
    assert "'::" not in result.stdout  # every placeholder filled
    assert syntax.get(shell).quote(sys.executable) in result.stdout
    assert "awsuse" in result.stdout and "shellsso_prompt_info" in result.stdout
    require(LINTERS[shell][0])
    hook = tmp_path / f"hook.{shell}"
    hook.write_text(result.stdout)
    lint = subprocess.run([*LINTERS[shell], str(hook)], capture_output=True, text=True)
    assert (lint.returncode, lint.stdout + lint.stderr) == (0, "")


def test_a_shared_line_marked_for_one_shell_is_that_shells_alone() -> None:
    source = "f() {\n    #zsh: emulate -L zsh\n    #bash: now\n    # note: kept\n    body\n}\n"
    assert "".join(syntax.get("zsh").own_lines(source)) == (
        "f() {\n    emulate -L zsh\n    # note: kept\n    body\n}\n")
    assert "".join(syntax.get("bash").own_lines(source)) == (
        "f() {\n    now\n    # note: kept\n    body\n}\n")


@pytest.mark.parametrize("shell", list(syntax.SHELLS))
def test_init_leaves_no_include_or_marked_line(shell: str) -> None:
    """Every `#include FILE` is replaced by FILE, every `#SHELL: CODE` resolved."""
    directive = re.compile(r"^\s*#(include |[a-z]+: )", re.M)
    assert directive.findall(init.render(shell)) == []


def test_init_rejects_an_unknown_shell() -> None:
    result = run_shellsso("init", "tcsh")
    assert result.returncode == 2
    assert "invalid choice: 'tcsh'" in result.stderr


def test_undetectable_shell_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import shellingham

    def fail() -> None:
        raise shellingham.ShellDetectionFailure()

    monkeypatch.setattr(shellingham, "detect_shell", fail)
    with pytest.raises(Exception) as info:
        init.detect_shell()
    assert "cannot detect a supported shell; name it: shellsso init bash|zsh|fish" in str(
        info.value)


def test_init_without_argument_uses_the_running_shell() -> None:
    require("zsh")
    out = subprocess.run(["zsh", "-f", "-c", f"{sys.executable} -m shellsso init; :"],
                         capture_output=True, text=True, check=True)
    assert "compdef __shellsso_complete_awsuse awsuse" in out.stdout


def test_completion_spec_covers_every_subcommand() -> None:
    spec = init.completion_spec().splitlines()
    first = spec[0].split()
    assert first[0] == "shellsso" and "login" in first and "--version" in first
    assert "login/--profile @profiles" in spec
    assert any(line.startswith("export/--format env ") for line in spec)


def test_completion_spec_offers_the_actions_of_keys_and_team() -> None:
    """`shellsso team <TAB>` offers its actions, `keys` its `retire` and that one's options,
    and `keys retire --to <TAB>` profile names."""
    spec = {line.split()[0]: line.split()[1:] for line in init.completion_spec().splitlines()}
    assert {"add", "sync", "list", "remove", "--name", "--yes"} <= set(spec["team"])
    assert {"retire", "--json", "--to", "--deactivate", "--delete", "--dry-run"} <= set(
        spec["keys"])
    assert spec["keys/--to"] == ["@profiles"]
    assert "--server" in spec["exec"]


@pytest.mark.slow
def test_init_bash_works_from_an_installed_wheel(tmp_path: Path) -> None:
    """Hooks are package data: a wheel installed elsewhere must print a working hook."""
    root = REPO
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(wheels), str(root)], check=True, timeout=50,
                   env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"))
    wheel = next(wheels.glob("shellsso-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   check=True, timeout=50)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
                   check=True, timeout=50, env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    out = subprocess.run([str(venv / "bin" / "shellsso"), "init", "bash"], capture_output=True,
                         text=True, cwd=tmp_path, env=env, timeout=30)
    assert out.returncode == 0, out.stderr
    site_dir = subprocess.run(
        [str(python), "-c", "import shellsso, os; print(os.path.dirname(os.path.dirname("
                            "shellsso.__file__)))"],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=True).stdout.strip()
    assert site_dir.startswith(str(venv)), site_dir  # the wheel, not the checkout
    assert f"_SHELLSSO_PKGDIR='{site_dir}'" in out.stdout
    assert f"_SHELLSSO_PYTHON='{python}'" in out.stdout
    # ... and the hook it printed works: awsuse runs the installed package.
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text("[profile dev]\nregion = us-east-1\n")
    script = out.stdout + '\nawsuse dev && printf "[%s]" "$AWS_PROFILE"'
    run = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True,
                         text=True, cwd=tmp_path, env=dict(env, HOME=str(home)), timeout=30)
    assert run.stdout.endswith("[dev]"), run.stderr
