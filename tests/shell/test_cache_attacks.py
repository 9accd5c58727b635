"""shellsso's own cache folder when another local user can write to it.

`$XDG_CACHE_HOME/shellsso` holds the switch history, the config index, the
picker's rows, the completion names, lock files and each shell's stamp. A
folder another user owns or can write is refused as the AWS caches are
(trust.py): nothing is written through a symlink planted there, nothing
planted there is read, one warning line says why, and `awsuse` still
switches. The other user is uid 65534, played by chown (the tests need root;
in CI they must run, elsewhere they skip without it).
"""

from __future__ import annotations

import marshal
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from shellsso.emulator import Emulator
from tests.conftest import require_root, run_shellsso, write_config, write_token
from tests.shell.harness import ShellSession

OTHER = 65534  # nobody
PRECIOUS = b"precious: not to be touched\n"
SHELLS = ["bash", "zsh", "fish"]




def use(*args: str, env: Dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The awsuse back end for bash, as the hook runs it."""
    return subprocess.run([sys.executable, "-m", "shellsso", "_use", "bash", *args],
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
                          env=env if env is not None else dict(os.environ))


class Planted:
    """The cache folder handed to another user, and symlinks of theirs to the victim's files."""

    def __init__(self, home: Path, how: str) -> None:
        self.home = home
        self.folder = home / ".cache" / "shellsso"
        self.folder.mkdir(parents=True)
        if how == "owned":
            os.chown(self.folder, OTHER, OTHER)
            self.folder.chmod(0o755)
        else:
            self.folder.chmod(0o777)
        self.victims: Dict[Path, Path] = {}

    def link(self, name: str) -> Path:
        """A symlink `name` in the folder, owned by the other user, to a file of the victim's."""
        victim = self.home / f"victim-{name.replace('/', '-')}"
        victim.write_bytes(PRECIOUS)
        link = self.folder / name
        link.parent.mkdir(exist_ok=True)
        if link.parent != self.folder:
            os.chown(link.parent, OTHER, OTHER)
            link.parent.chmod(0o777)
        link.symlink_to(victim)
        os.lchown(link, OTHER, OTHER)
        self.victims[link] = victim
        return link

    def file(self, name: str, data: bytes) -> Path:
        """A regular file of the other user's in the folder."""
        path = self.folder / name
        path.write_bytes(data)
        os.chown(path, OTHER, OTHER)
        return path

    def changed(self) -> List[str]:
        """The victims that changed (none, when all is well)."""
        return [str(v) for v in self.victims.values() if v.read_bytes() != PRECIOUS]


@pytest.fixture(params=["owned", "writable"])
def planted(request: pytest.FixtureRequest, home: Path) -> Iterator[Planted]:
    """A cache folder owned by another user (0755), or the user's but writable by all (0777)."""
    require_root()
    write_config(home)
    write_token(home, "corp", 3600)
    yield Planted(home, request.param)


def refusal(planted: Planted, prog: str) -> str:
    """The warning line an unsafe folder gets."""
    folder = planted.folder
    if planted.folder.stat().st_uid == OTHER:
        why = (f"it is owned by another user (uid {OTHER}); move it aside (mv '{folder}' "
               f"'{folder}.untrusted') and let shellsso create its own")
    else:
        why = f"it is writable by other users; run: chmod 700 '{folder}'"
    return f"{prog}: warning: refusing shellsso cache folder {folder}: {why}"


def index_names() -> List[str]:
    """Where the config index and the picker's rows of this HOME live (file names)."""
    from shellsso.awsconfig import index as config_index
    from shellsso.core import paths
    from shellsso.picker.row_cache import cache_path

    sources = (paths.config_file(), paths.credentials_file())
    return [os.path.basename(config_index.index_path(paths.own_cache_dir(), sources)),
            os.path.basename(cache_path(*sources))]


# --- the back end: awsuse, the picker, completion names ---------------------------------------


def test_awsuse_writes_nothing_through_planted_links(planted: Planted) -> None:
    index, rows = index_names()
    for name in ("history", index, rows, "names.bash", "stamps/4242", "locks/x.lock"):
        planted.link(name)
    env = dict(os.environ, _SHELLSSO_STAMP=str(planted.folder / "stamps" / "4242"))
    outs = [use("dev", env=env) for _ in range(2)]
    picked = run_shellsso("pick", "--filter", "dev")
    assert planted.changed() == []
    assert all(link.is_symlink() for link in planted.victims)  # nothing replaced either
    for out in outs:
        assert out.returncode == 0, out.stderr
        assert "export AWS_PROFILE='dev'" in out.stdout
        assert out.stderr.splitlines() == [refusal(planted, "awsuse")]
        # The hooks are told not to write a stamp there either.
        assert "_SHELLSSO_STAMPS_OK=" not in out.stdout
    assert (picked.returncode, picked.stdout) == (0, "dev\n")
    assert picked.stderr.splitlines() == [refusal(planted, "shellsso")]


def test_planted_picker_rows_and_history_are_not_read(planted: Planted) -> None:
    """A planted row cache once showed `prod` as a sandbox, and history reordered the picker."""
    from shellsso.awsconfig.index import source_identity
    from shellsso.core import paths
    from shellsso.picker.row_cache import VERSION

    _, rows = index_names()
    signature = (source_identity(paths.config_file()),
                 source_identity(paths.credentials_file()))
    fake = [("prod", "999999999999", "sandbox", "Playground", "us-east-1",
             "prod\t999999999999\tsandbox\tplayground\tus-east-1")]
    planted.file(rows, marshal.dumps((VERSION, signature, fake)))
    planted.file("history", b"prod\nstaging\n")
    out = run_shellsso("pick", "--filter", "sandbox")
    assert (out.returncode, out.stdout) == (1, "")
    assert out.stderr.splitlines() == [refusal(planted, "shellsso")]
    out = run_shellsso("pick", "--filter")
    assert out.stdout.split() == ["default", "dev", "legacy", "prod", "staging"]


def test_no_lock_file_goes_through_a_planted_locks_link(planted: Planted,
                                                       emulator: Emulator) -> None:
    """An expired session needs the session lock to refresh: refused, and awsuse still switches."""
    url = emulator.url
    write_token(planted.home, "corp", -60, refresh_token="refresh-me")
    elsewhere = planted.home / "victim-folder"
    elsewhere.mkdir(mode=0o700)
    (planted.folder / "locks").symlink_to(elsewhere)
    os.lchown(planted.folder / "locks", OTHER, OTHER)
    env = dict(os.environ, AWS_ENDPOINT_URL_SSO_OIDC=url, AWS_ENDPOINT_URL_SSO=url,
               SHELLSSO_AUTO_LOGIN="never")
    out = use("dev", env=env)
    assert list(elsewhere.iterdir()) == []
    assert out.returncode == 0 and "export AWS_PROFILE='dev'" in out.stdout
    assert out.stderr.splitlines()[0] == refusal(planted, "awsuse")
    assert refusal(planted, "awsuse") not in out.stderr.splitlines()[1:]


def test_completion_names_are_refused(planted: Planted) -> None:
    out = run_shellsso("_names", "bash", "2:x:y")
    assert out.returncode == 1
    assert out.stderr.splitlines() == [
        refusal(planted, "shellsso").replace(": warning: ", ": error: ", 1)]
    assert not (planted.folder / "names.bash").exists()


def test_a_safe_folder_is_made_private_and_used(home: Path) -> None:
    write_config(home)
    write_token(home, "corp", 3600)
    stamp = home / ".cache" / "shellsso" / "stamps" / "4242"
    out = use("dev", env=dict(os.environ, _SHELLSSO_STAMP=str(stamp)))
    assert out.returncode == 0 and out.stderr == ""
    assert f"export _SHELLSSO_STAMPS_OK='{stamp.parent}'" in out.stdout
    for folder in (stamp.parent.parent, stamp.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stamp.is_file()
    assert run_shellsso("pick", "--filter", "s").stdout.split()[0] == "dev"  # the history works


def test_files_of_another_user_in_a_safe_folder_are_ignored(home: Path) -> None:
    require_root()
    write_config(home)
    folder = home / ".cache" / "shellsso"
    folder.mkdir(parents=True, mode=0o700)
    history = folder / "history"
    history.write_bytes(b"staging\n")
    os.chown(history, OTHER, OTHER)
    out = run_shellsso("pick", "--filter")
    assert out.stdout.split() == ["default", "dev", "legacy", "prod", "staging"]
    assert out.stderr == (f"shellsso: warning: refusing picker history {history}: it is owned "
                          f"by another user (uid {OTHER}); move it aside (mv '{history}' "
                          f"'{history}.untrusted') and let shellsso create its own\n")
    link = folder / "stamps" / "4242"
    link.parent.mkdir(mode=0o700)
    victim = home / "victim"
    victim.write_bytes(PRECIOUS)
    link.symlink_to(victim)
    out = use("dev", env=dict(os.environ, _SHELLSSO_STAMP=str(link)))
    assert out.returncode == 0
    assert victim.read_bytes() == PRECIOUS
    assert "_SHELLSSO_STAMPS_OK=" not in out.stdout  # a stamp that is a link: hooks keep off


# --- the hooks: stamps written by the prompt, completion names read by TAB ------------------


def shell_pid(sh: ShellSession) -> str:
    out = sh.run('echo "[$fish_pid]"' if sh.dialect.name == "fish" else 'echo "[$$]"')
    found = re.findall(r"^\[(\d+)\]$", out, re.M)
    assert found, out
    return found[-1]


@pytest.mark.parametrize("shell", SHELLS)
def test_prompts_never_truncate_a_planted_stamp(planted: Planted, shell: str) -> None:
    token = write_token(planted.home, "corp", 3600)
    with ShellSession(shell, planted.home, timeout=15) as sh:
        link = planted.link(f"stamps/{shell_pid(sh)}")
        out = sh.run("awsuse dev", timeout=30)
        assert sh.prompt() == "aws:dev"
        prompts = []
        for expires in (600, 3600):  # the token changes: the prompt reads it again
            write_token(planted.home, "corp", expires)
            os.utime(token, (token.stat().st_mtime + 5,) * 2)
            prompts.append(sh.run("true"))
            prompts.append(sh.run(""))
        assert planted.changed() == []
        assert link.is_symlink()
        assert out.splitlines() == [refusal(planted, "awsuse")]
        assert prompts == ["", "", "", ""]  # no warning at a prompt
        assert sh.prompt() == "aws:dev"
        # A planted stamp is not trusted either: a change it says is older is still seen.
        write_token(planted.home, "corp", 600)
        os.utime(token, (1, 1))
        sh.run("true")
        assert re.fullmatch(r"aws:dev\(\d+m\)", sh.prompt()), sh.prompt()


@pytest.mark.parametrize("shell", SHELLS)
def test_completion_never_reads_planted_names(planted: Planted, shell: str) -> None:
    config = planted.home / ".aws" / "config"
    creds = planted.home / ".aws" / "credentials"
    key = f"{config}:{creds}"
    names = planted.file(f"names.{shell}",
                         f"{'2:' if shell == 'bash' else ''}{key}\nplanted-name\n".encode())
    os.utime(names, (config.stat().st_mtime + 60,) * 2)
    with ShellSession(shell, planted.home, timeout=15) as sh:
        screen = sh.complete("awsuse pla")
    assert "planted-name" not in screen


@pytest.mark.parametrize("shell", SHELLS)
def test_stamps_in_a_safe_folder_are_written_and_trusted(home: Path, shell: str) -> None:
    """The hook's stamp still saves a read per prompt where the folder is the user's alone."""
    write_config(home)
    token = write_token(home, "corp", 3600)
    stamps = home / ".cache" / "shellsso" / "stamps"
    with ShellSession(shell, home, timeout=15) as sh:
        assert sh.run("awsuse dev", timeout=30) == ""
        assert sh.value("_SHELLSSO_STAMPS_OK") == str(stamps)
        stamp = stamps / shell_pid(sh)
        write_token(home, "corp", 600)  # changed: read again at the next prompt
        sh.run("true")
        assert re.fullmatch(r"aws:dev\(\d+m\)", sh.prompt()), sh.prompt()
        assert stamp.stat().st_mtime_ns >= token.stat().st_mtime_ns  # the hook's own stamp
        write_token(home, "corp", 3600)  # a change the stamp says is older: not read
        before = stamp.stat().st_mtime - 10
        os.utime(token, (before, before))
        sh.run("true")
        assert re.fullmatch(r"aws:dev\(\d+m\)", sh.prompt()), sh.prompt()
