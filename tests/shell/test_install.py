"""install.sh from a checkout, as a user runs it: a private venv (no pipx on PATH),
the ~/.local/bin link, one marked block per rc file however often it runs, a
working `shellsso init` from the installed wheel, and an uninstall that puts
everything else back exactly as it was."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

from tests.conftest import REPO, in_ci

BEGIN = "# >>> shellsso >>>"
END = "# <<< shellsso <<<"
USER_BASHRC = "# my bashrc\nalias ll='ls -l'\nexport EDITOR=vi"  # no final newline on purpose
# What install.sh may call; PATH holds only these, so no pipx can be found.
TOOLS = ("sh", "awk", "grep", "cat", "mktemp", "cmp", "tail", "rm", "rmdir", "mkdir", "ln",
         "readlink", "basename", "dirname", "env")


def pip_args() -> str:
    """Fast: the venv sees the system interpreter's packages, so no dependencies are
    fetched. How the wheel is built (in the venv, or isolated with a build backend
    from the index) is install.sh's own choice, as for a user."""
    return "--no-deps"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the source tree (pip builds in place; the real tree stays clean)."""
    dest = tmp_path / "shellsso checkout"  # a space in the path, as on many laptops
    dest.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in ("shellsso", "shells"):
        shutil.copytree(REPO / name, dest / name, ignore=ignore)
    for name in ("pyproject.toml", "install.sh", "README.md"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, dest / name)
    if not (dest / "README.md").exists():  # pyproject names it as the long description
        (dest / "README.md").write_text("# shellsso\n")
    return dest


@pytest.fixture
def user(tmp_path: Path, home: Path) -> Dict[str, str]:
    """The environment of a user whose PATH has the basic tools and no pipx."""
    tools = tmp_path / "tools"
    tools.mkdir()
    for name in TOOLS:
        found = shutil.which(name)
        assert found is not None, name
        (tools / name).symlink_to(found)
    for name in ("bash", "zsh", "fish"):  # looked for when detecting the user's shells
        found = shutil.which(name)
        if found is not None:
            (tools / name).symlink_to(found)
    env = dict(os.environ)
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "ZDOTDIR", "PYTHONPATH"):
        env.pop(name, None)
    env.update({
        "HOME": str(home),
        "SHELL": "/bin/bash",
        "PATH": str(tools),
        "SHELLSSO_PYTHON": sys.executable,
        "SHELLSSO_INSTALL_PIP_ARGS": pip_args(),
        "SHELLSSO_INSTALL_VENV_ARGS": "--system-site-packages",
        "TMPDIR": str(tmp_path),
    })
    return env


def install(checkout: Path, env: Dict[str, str], *args: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    result = subprocess.run(
        ["/bin/sh", str(checkout / "install.sh"), *args], env=env, capture_output=True,
        text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert "Traceback" not in result.stderr
    return result


def blocks(path: Path) -> int:
    return path.read_text().splitlines().count(BEGIN)


STOCK_PATH = "/usr/local/bin:/usr/bin:/bin"


def shell_env(env: Dict[str, str]) -> Dict[str, str]:
    """A new terminal's stock PATH: a fresh ~/.local/bin is not on it (Debian's
    ~/.profile adds it only when it existed at login)."""
    return {**env, "PATH": STOCK_PATH, "TERM": "dumb"}


def test_install_twice_then_uninstall(checkout: Path, user: Dict[str, str], home: Path) -> None:
    dotfiles = home / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "bashrc").write_text(USER_BASHRC)
    bashrc = home / ".bashrc"
    bashrc.symlink_to(dotfiles / "bashrc")  # a dotfile manager's symlink must survive
    venv = home / ".local" / "share" / "shellsso" / "venv"
    link = home / ".local" / "bin" / "shellsso"

    first = install(checkout, user)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"added the shellsso line to {bashrc}" in first.stdout
    assert f"{home}/.local/bin is not on this shell's PATH; the rc block adds it" in first.stdout
    assert first.stdout.rstrip().endswith("then try `awsuse`")
    assert (venv / "bin" / "python").exists()
    assert link.is_symlink() and link.resolve() == (venv / "bin" / "shellsso").resolve()
    text = bashrc.read_text()
    assert text.startswith(USER_BASHRC + "\n" + BEGIN + "\n")
    assert 'eval "$(shellsso init bash)"' in text
    assert text.endswith(END + "\n")
    assert bashrc.is_symlink()
    assert not (home / ".zshrc").exists()  # $SHELL is bash and there was no .zshrc

    # The package really is the installed wheel, hooks included, not the checkout.
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import shellsso; print(shellsso.__file__)"],
        capture_output=True, text=True, env=user, cwd=str(home), check=True,
    ).stdout
    assert where.startswith(str(venv)), where
    hook = subprocess.run([str(link), "init", "bash"], capture_output=True, text=True,
                          env=user, cwd=str(home), timeout=30)
    assert hook.returncode == 0, hook.stderr
    assert "awsuse" in hook.stdout

    # A new terminal, with a stock PATH, reads ~/.bashrc and has awsuse and shellsso.
    bash = subprocess.run(["/bin/bash", "-ic", "type -t awsuse; command -v shellsso"],
                          capture_output=True, text=True, env=shell_env(user), cwd=str(home),
                          timeout=30, stdin=subprocess.DEVNULL)
    assert bash.stdout.strip().splitlines()[-2:] == ["function", str(link)], (
        bash.stdout + bash.stderr)
    # ...and a second one does not put the folder on PATH twice.
    nested = subprocess.run(["/bin/bash", "-ic", "bash -ic 'echo \"$PATH\"'"],
                            capture_output=True, text=True, env=shell_env(user),
                            cwd=str(home), timeout=30, stdin=subprocess.DEVNULL)
    assert nested.stdout.strip().splitlines()[-1] == f"{home}/.local/bin:{STOCK_PATH}", (
        nested.stdout + nested.stderr)

    second = install(checkout, user)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "already loads shellsso" in second.stdout
    assert bashrc.read_text() == text  # one block, untouched

    gone = install(checkout, user, "--uninstall")
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert not venv.exists()
    assert not link.exists() and not link.is_symlink()
    assert bashrc.is_symlink()
    # The user's lines are back as they were (plus the final newline they lacked).
    assert bashrc.read_text() == USER_BASHRC + "\n"
    again = install(checkout, user, "--uninstall")
    assert again.returncode == 0
    assert "no shellsso install found" in again.stdout


def test_zsh_and_fish_blocks(checkout: Path, user: Dict[str, str], home: Path) -> None:
    zdotdir = home / "zsh config"
    user["ZDOTDIR"] = str(zdotdir)
    (home / ".bashrc").write_text("echo keep\n")
    result = install(checkout, user, "--shell", "zsh", "--shell", "fish")
    assert result.returncode == 0, result.stdout + result.stderr
    zshrc = zdotdir / ".zshrc"
    fish_file = home / ".config" / "fish" / "conf.d" / "shellsso.fish"
    assert blocks(zshrc) == 1 and 'eval "$(shellsso init zsh)"' in zshrc.read_text()
    assert blocks(fish_file) == 1 and "shellsso init fish | source" in fish_file.read_text()
    assert (home / ".bashrc").read_text() == "echo keep\n"  # not asked for

    env = shell_env(user)
    for shell, argv in (("zsh", ["-ic", "whence -w awsuse; command -v shellsso"]),
                        ("fish", ["-ic", "functions -q awsuse; and echo has-awsuse; "
                                         "command -v shellsso"])):
        executable = shutil.which(shell)
        if executable is None:
            if in_ci():
                pytest.fail(f"{shell} is not installed in CI")
            continue
        run = subprocess.run([executable, *argv], capture_output=True, text=True, env=env,
                             cwd=str(home), timeout=30, stdin=subprocess.DEVNULL)
        assert "function" in run.stdout or "has-awsuse" in run.stdout, (
            shell, run.stdout, run.stderr)
        assert f"{home}/.local/bin/shellsso" in run.stdout, (shell, run.stdout, run.stderr)

    # Without --shell: $SHELL (bash) plus the shells that already have rc files.
    detected = install(checkout, user, "--no-modify-rc")
    assert detected.returncode == 0
    assert f"{home}/.bashrc:" in detected.stdout
    if shutil.which("zsh"):
        assert f"{zshrc}:" in detected.stdout
    if shutil.which("fish"):
        assert f"{fish_file}:" in detected.stdout
    assert (home / ".bashrc").read_text() == "echo keep\n"
    assert blocks(zshrc) == 1

    gone = install(checkout, user, "--uninstall")
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert not zshrc.exists()  # install.sh created it, and it held only the block
    assert not fish_file.exists()  # shellsso's own file goes
    assert (home / ".bashrc").read_text() == "echo keep\n"


def test_uninstall_keeps_an_emptied_bashrc_and_removes_the_caches(
        user: Dict[str, str], home: Path) -> None:
    """Nothing to uninstall but the rc block and shellsso's caches: the ~/.bashrc that
    held only the block stays (empty), ~/.cache/shellsso goes and is named, ~/.aws stays."""
    bashrc = home / ".bashrc"
    bashrc.write_text(f"{BEGIN}\n# Added by shellsso's install.sh\n"
                      f'eval "$(shellsso init bash)"\n{END}\n')
    cache = home / ".cache" / "shellsso"
    (cache / "locks").mkdir(parents=True)
    (cache / "names.bash").write_text("dev\n")
    token = home / ".aws" / "sso" / "cache" / "0123.json"
    token.parent.mkdir(parents=True)
    token.write_text("{}")
    gone = subprocess.run(["/bin/sh", str(REPO / "install.sh"), "--uninstall"], env=user,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert bashrc.exists() and bashrc.read_text() == ""
    assert f"removed the shellsso block from {bashrc}" in gone.stdout
    assert not cache.exists()
    assert f"removed {cache} (shellsso's caches; ~/.aws is left as it is)" in gone.stdout
    assert token.read_text() == "{}"


def test_help_and_bad_options(tmp_path: Path, user: Dict[str, str]) -> None:
    script = REPO / "install.sh"
    ok = subprocess.run(["/bin/sh", str(script), "--help"], capture_output=True, text=True,
                        env=user, timeout=30)
    assert ok.returncode == 0
    assert "--uninstall" in ok.stdout and "# >>> shellsso >>>" not in ok.stdout
    for args, message in ((["--bogus"], "unknown option: --bogus"),
                          (["--shell", "tcsh"], "unsupported shell: 'tcsh'"),
                          (["--shell"], "--shell needs a value")):
        bad = subprocess.run(["/bin/sh", str(script), *args], capture_output=True, text=True,
                             env=user, timeout=30)
        assert bad.returncode == 1
        assert f"shellsso install: error: {message}" in bad.stderr
    assert list(Path(user["HOME"]).iterdir()) == []


def test_uninstall_removes_the_rc_file_install_created(
        checkout: Path, user: Dict[str, str], home: Path) -> None:
    """A ~/.bashrc that install.sh created (there was none) goes with the uninstall when
    nothing else was added to it; a user's own rc file stays, even an empty one."""
    zshrc = home / ".zshrc"
    zshrc.write_text("")  # the user's, empty
    bashrc = home / ".bashrc"
    assert not bashrc.exists()
    result = install(checkout, user, "--shell", "bash", "--shell", "zsh")
    assert result.returncode == 0, result.stdout + result.stderr
    assert blocks(bashrc) == 1 and blocks(zshrc) == 1
    again = install(checkout, user, "--shell", "bash", "--shell", "zsh")  # replaces the blocks
    assert again.returncode == 0, again.stdout + again.stderr

    gone = install(checkout, user, "--uninstall")
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert not bashrc.exists(), bashrc.read_text()
    assert f"removed {bashrc} (install.sh created it)" in gone.stdout
    assert zshrc.exists() and zshrc.read_text() == ""

    # Something the user added after the install keeps the file.
    install(checkout, user, "--shell", "bash")
    with bashrc.open("a") as rc:
        rc.write("alias ll='ls -l'\n")
    install(checkout, user, "--uninstall")
    assert bashrc.read_text() == "alias ll='ls -l'\n"
