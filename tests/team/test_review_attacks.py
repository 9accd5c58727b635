"""A second look at `shellsso team`, as an attacker: a server that answers slowly or too much,
redirects elsewhere; a repository whose PATH is a link or a submodule, owned by someone else,
or a fetch killed half-way; a cache folder planted by another user; a config whose source line
holds escapes; kill -9 during a sync; fragments that botocore might read otherwise."""

from __future__ import annotations

import http.server
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator, List

import pytest

from tests.conftest import require, require_root, write_config
from tests.team.helpers import (
    FRAGMENT,
    HAND,
    block_of,
    botocore_config,
    make_certificate,
    make_repository,
    team,
)

OTHER = 65534  # nobody

# --- https: a server that takes its time, says too much, or sends the client elsewhere -------


class HostileServer:
    """TLS on 127.0.0.1. /drip-body: headers, then one byte every 0.2 s; /drip-head: the status
    line one byte every 0.2 s; /huge: 2 MB without a length; /to-file and /to-http: redirects."""

    def __init__(self, folder: Path) -> None:
        self.cert, key = make_certificate(folder)
        self.stop = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def drip(self, data: bytes) -> None:
                for byte in data:
                    if outer.stop.wait(0.2):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                try:
                    self.answer()
                except OSError:
                    pass  # the client gave up: what a slow server sees

            def answer(self) -> None:
                if self.path == "/drip-head":
                    self.drip(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 10000)
                elif self.path == "/drip-body":
                    self.send_response(200)
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.drip(b"#" * 100000)
                elif self.path == "/garbage":
                    self.wfile.write(b"\x1b[2JHELLO THERE\r\n\r\n")
                elif self.path == "/long-header":
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Long: " + b"x" * 70000 + b"\r\n\r\n")
                elif self.path == "/many-headers":
                    self.wfile.write(b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 200 + b"\r\n")
                elif self.path == "/short-body":
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n[profile")
                elif self.path == "/cut-valid":  # a dropped connection: a valid start
                    body = FRAGMENT.encode()
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body)
                                     + body[:body.index(b"[profile corp-deploy]")])
                elif self.path == "/huge":
                    self.send_response(200)
                    self.end_headers()
                    for _ in range(32):
                        self.wfile.write(b"# " + b"x" * 65533 + b"\n")
                else:
                    target = {"/to-file": f"file://{os.environ['HOME']}/.aws/credentials",
                              "/to-http": f"http://127.0.0.1:{outer.port}/x.config"}
                    self.send_response(302)
                    self.send_header("Location", target[self.path])
                    self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.cert), str(key))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hostile(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    server = HostileServer(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))
    yield server
    server.close()


@pytest.mark.parametrize("path", ["/drip-body", "/drip-head"])
def test_a_server_that_drips_is_given_up_on_as_a_whole(home: Path, hostile: HostileServer,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        path: str) -> None:
    """Each byte comes well within the read timeout, so a timeout per read never fires: the
    download as a whole has a deadline (4 x SHELLSSO_HTTP_TIMEOUT)."""
    config = write_config(home, HAND)
    monkeypatch.setenv("SHELLSSO_HTTP_TIMEOUT", "0.5")
    started = time.monotonic()
    out = team("add", hostile.url(path), "--name", "slow")
    took = time.monotonic() - started
    assert out.returncode == 1
    assert "took more than 2 s" in out.stderr and "nothing was written" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert took < 10, took
    assert config.read_bytes() == HAND.encode()


def test_a_huge_answer_is_refused_without_reading_it_all(home: Path,
                                                          hostile: HostileServer) -> None:
    out = team("add", hostile.url("/huge"), "--name", "huge")
    assert out.returncode == 1 and "larger than 256 KB" in out.stderr
    assert not (home / ".aws" / "config").exists()


@pytest.mark.parametrize("path", ["/garbage", "/long-header", "/many-headers", "/short-body",
                                  "/cut-valid"])
def test_a_malformed_answer_is_one_clear_line(home: Path, hostile: HostileServer,
                                              path: str) -> None:
    out = team("add", hostile.url(path), "--name", "x")
    assert out.returncode == 1
    assert out.stderr.startswith(f"shellsso: error: cannot fetch {hostile.url(path)}: ")
    assert "unexpected" not in out.stderr and "\x1b" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert not (home / ".aws" / "config").exists()


@pytest.mark.parametrize("source", ["https://[::1", "https://exa mple.com/x.config"])
def test_a_url_python_cannot_take_is_one_clear_line(home: Path, source: str) -> None:
    out = team("add", source, "--name", "x")
    assert out.returncode == 1
    assert "unexpected" not in out.stderr and "cannot fetch" in out.stderr, out.stderr


@pytest.mark.parametrize("path", ["/to-file", "/to-http"])
def test_a_redirect_off_https_is_refused(home: Path, hostile: HostileServer, path: str) -> None:
    credentials = home / ".aws" / "credentials"
    credentials.parent.mkdir()
    credentials.write_text("[profile corp-dev]\nregion = eu-west-1\naws_access_key_id = AKIAX\n"
                           "aws_secret_access_key = SECRETKEY\n")
    out = team("add", hostile.url(path), "--name", "x")
    assert out.returncode == 1
    # urllib itself refuses file:// before shellsso's https-only check is asked
    assert "redirected to a URL that is not https://" in out.stderr or (
        path == "/to-file" and "Redirection to url 'file://" in out.stderr
        and "is not allowed" in out.stderr)
    assert len(out.stderr.strip().splitlines()) == 1
    assert "SECRETKEY" not in out.stdout + out.stderr
    assert not (home / ".aws" / "config").exists()


# --- git: what PATH is, who owns the repository, a fetch killed half-way ----------------------


def test_a_link_or_a_submodule_at_path_is_refused(home: Path, tmp_path: Path) -> None:
    """git keeps a symbolic link as a blob holding the target's path: it is not the file a
    member checking out the repository would read, so it is refused by name."""
    require("git")
    credentials = home / ".aws" / "credentials"
    credentials.parent.mkdir()
    credentials.write_text("[corp]\naws_access_key_id = AKIAX\naws_secret_access_key = S3KRIT\n")
    repo = make_repository(tmp_path / "infra", {"README": "x\n"})
    os.symlink(credentials, repo / "team.config")
    os.symlink("README", repo / "readme.config")
    from tests.team.helpers import git

    git("add", "team.config", "readme.config", cwd=repo)
    git("update-index", "--add", "--cacheinfo",
        f"160000,{git('rev-parse', 'HEAD', cwd=repo).strip()},vendored", cwd=repo)
    git("commit", "--quiet", "-m", "links", cwd=repo)
    for path, what in (("team.config", "a symbolic link"), ("readme.config", "a symbolic link"),
                       ("vendored", "a submodule")):
        out = team("add", f"git+{repo}#{path}", "--name", "x")
        assert out.returncode == 1, path
        assert f"{path} is {what} in the repository" in out.stderr, out.stderr
        assert "S3KRIT" not in out.stderr and str(credentials) not in out.stderr
    assert not (home / ".aws" / "config").exists()


def test_a_huge_repository_costs_the_one_file(home: Path, tmp_path: Path) -> None:
    """A team keeps its fragment in its infrastructure repository: git fetches the commit,
    its trees and the fragment, not the 20 MB beside it (a server that allows filters, as
    the big hosts do; one that does not gets everything, as before)."""
    require("git")
    repo = make_repository(tmp_path / "infra", {"aws/team.config": FRAGMENT})
    from tests.team.helpers import commit, git

    (repo / "assets").mkdir()
    for number in range(4):
        (repo / "assets" / f"blob{number}").write_bytes(os.urandom(5 << 20))
    git("add", "assets", cwd=repo)
    commit(repo, {"aws/other.config": FRAGMENT.replace("corp", "else")}, "assets")
    git("config", "uploadpack.allowFilter", "true", cwd=repo)
    out = team("add", f"git+{repo}#aws/team.config")
    assert out.returncode == 0, out.stderr
    assert botocore_config()["profiles"]["corp-dev"]["sso_role_name"] == "Developer"
    cached = next((home / ".cache" / "shellsso" / "team").iterdir())
    size = sum(os.path.getsize(os.path.join(folder, name))
               for folder, _, names in os.walk(cached) for name in names)
    assert size < 1 << 20, size
    commit(repo, {"aws/team.config": FRAGMENT.replace("Developer", "Admin")}, "admin")
    synced = team("sync")
    assert "~ corp-dev  (sso_role_name: Developer -> Admin)" in synced.stdout, synced.stderr


def test_git_says_why_it_failed(home: Path, tmp_path: Path) -> None:
    """The cause, not the last line of git's advice ("and the repository exists.")."""
    require("git")
    refused = "ssh: connect to host 127.0.0.1 port 1: Connection refused"
    ssh = f"{sys.executable} -c 'import sys; sys.exit(\"{refused}\")'"
    out = team("add", f"git+ssh://127.0.0.1:1/{tmp_path}/x.git#x.config", "--name", "x",
               env={**os.environ, "GIT_SSH_VARIANT": "ssh", "GIT_SSH_COMMAND": ssh})
    assert out.returncode == 1
    assert "Connection refused" in out.stderr, out.stderr
    assert "and the repository exists" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_a_repository_of_another_user_is_refused_by_git(home: Path, tmp_path: Path) -> None:
    """git will not run upload-pack in a repository another user owns (its hooks and config
    are theirs); the line says so rather than git's last line of advice."""
    require("git")
    require_root()
    repo = make_repository(tmp_path / "theirs", {"team.config": FRAGMENT})
    tmp_path.chmod(0o755)
    for folder, _, files in os.walk(repo):
        os.chown(folder, OTHER, OTHER)
        for name in files:
            os.chown(os.path.join(folder, name), OTHER, OTHER)
    out = team("add", f"git+{repo}#team.config")
    assert out.returncode == 1
    assert "dubious ownership" in out.stderr, out.stderr
    assert not (home / ".aws" / "config").exists()


def test_a_cache_folder_planted_by_another_user_is_refused_before_git_runs(
        home: Path, tmp_path: Path) -> None:
    """A repository in the cache runs its own hooks and reads its own config
    (core.sshCommand): a team folder another user owns, or a link to one, is refused."""
    require("git")
    require_root()
    repo = make_repository(tmp_path / "infra", {"team.config": FRAGMENT})
    marker = tmp_path / "PWNED"
    planted = tmp_path / "planted"
    planted.mkdir()
    hooks = planted / "infra-0000" / "hooks"
    hooks.mkdir(parents=True)
    for hook in ("reference-transaction", "post-merge", "fsmonitor-watchman"):
        (hooks / hook).write_text(f"#!/bin/sh\ntouch {marker}\n")
        (hooks / hook).chmod(0o755)
    for folder, _, files in os.walk(planted):
        os.chown(folder, OTHER, OTHER)
        for name in files:
            os.chown(os.path.join(folder, name), OTHER, OTHER)
    cache = home / ".cache" / "shellsso"
    cache.mkdir(parents=True, mode=0o700)
    for how in ("folder", "link"):
        team_folder = cache / "team"
        if how == "folder":
            os.rename(planted, team_folder)
        else:
            os.rename(team_folder, planted)
            os.symlink(planted, team_folder)
        out = team("add", f"git+{repo}#team.config")
        assert out.returncode == 1, how
        assert "owned by another user (uid 65534)" in out.stderr
        assert not marker.exists()
        assert not (home / ".aws" / "config").exists()


FAKE_SSH = """\
#!{python}
# ssh's stand-in: upload-pack in a local repository, stalled once the pack starts when
# {stall} exists (it then writes {stalled}); bounded, so that nothing outlives the test long.
import os, subprocess, sys, threading, time
p = subprocess.Popen(["git", "upload-pack", {repo!r}], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE)
def up():
    while True:
        d = os.read(0, 65536)
        if not d:
            p.stdin.close()
            break
        p.stdin.write(d)
        p.stdin.flush()
threading.Thread(target=up, daemon=True).start()
seen = b""
while True:
    d = os.read(p.stdout.fileno(), 65536)
    if not d:
        break
    seen = (seen + d)[-65536:]
    if b"PACK" in seen and os.path.exists({stall!r}):
        open({stalled!r}, "w").close()
        time.sleep(60)
        sys.exit(1)
    os.write(1, d)
"""


def wait_for(check: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.05)


class StalledFetch:
    """A team taken in over ssh (a fake ssh: upload-pack in a local repository), then a
    `team sync` started while the repository has a new commit and the fake ssh stalls
    once the pack starts: `child` is that sync, `left` its processes (git, ssh...)."""

    def __init__(self, home: Path, tmp_path: Path) -> None:
        require("git")
        self.repo = make_repository(tmp_path / "infra", {"team.config": FRAGMENT})
        self.stall, self.stalled = tmp_path / "stall", tmp_path / "stalled"
        ssh = tmp_path / "fake-ssh"
        ssh.write_text(FAKE_SSH.format(python=sys.executable, repo=str(self.repo),
                                       stall=str(self.stall), stalled=str(self.stalled)))
        ssh.chmod(0o755)
        self.env = {**os.environ, "GIT_SSH_COMMAND": str(ssh), "GIT_SSH_VARIANT": "ssh"}
        self.config = write_config(home, HAND)
        added = team("add", "git+ssh://git.example.com/infra.git#team.config", env=self.env)
        assert added.returncode == 0, added.stderr
        self.before = self.config.read_bytes()
        self.cached = next((home / ".cache" / "shellsso" / "team").iterdir())
        self.child: subprocess.Popen[bytes] | None = None
        self.left: List[Any] = []

    def start(self) -> subprocess.Popen[bytes]:
        import psutil

        from tests.team.helpers import commit

        commit(self.repo, {"team.config": FRAGMENT.replace("Developer", "Admin")}, "admin")
        self.stall.touch()
        self.child = subprocess.Popen([sys.executable, "-m", "shellsso", "team", "sync"],
                                      env=self.env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
        wait_for(self.stalled.exists, "the pack to start")
        wait_for((self.cached / "shallow.lock").exists, "git's shallow.lock")
        self.left = psutil.Process(self.child.pid).children(recursive=True)
        assert any("fetch" in p.cmdline() for p in self.left)
        return self.child

    def close(self) -> None:
        import psutil

        for process in self.left:  # what the command left running, by pid
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        if self.child is not None and self.child.poll() is None:
            self.child.kill()


@pytest.fixture
def stalled_fetch(home: Path, tmp_path: Path) -> Iterator[StalledFetch]:
    fetch = StalledFetch(home, tmp_path)
    yield fetch
    fetch.close()


def test_a_fetch_killed_half_way_leaves_the_next_sync_working(
        stalled_fetch: StalledFetch) -> None:
    """kill -9 while git receives the pack: git leaves its lock files (shallow.lock) in the
    cached repository; the next sync starts that cache copy afresh instead of failing with
    git's "remove the file manually" forever. The config is as it was."""
    child = stalled_fetch.start()
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    config = stalled_fetch.config
    assert config.read_bytes() == stalled_fetch.before
    stalled_fetch.stall.unlink()
    out = team("sync", env=stalled_fetch.env)
    assert out.returncode == 0, out.stderr
    assert "~ corp-dev  (sso_role_name: Developer -> Admin)" in out.stdout
    assert botocore_config()["profiles"]["corp-dev"]["sso_role_name"] == "Admin"
    assert config.read_bytes().startswith(HAND.encode())


def test_ctrl_c_mid_fetch_stops_git_and_its_helpers(stalled_fetch: StalledFetch) -> None:
    """git runs in a process group of its own (so a terminal's Ctrl-C reaches shellsso
    only): shellsso stops the whole group, ssh included, rather than leaving it running."""
    import psutil

    child = stalled_fetch.start()
    child.send_signal(signal.SIGINT)
    assert child.wait(15) == 130
    def running() -> List[int]:
        found = []
        for process in stalled_fetch.left:
            try:
                if process.status() != psutil.STATUS_ZOMBIE:  # an orphan nobody reaps is dead
                    found.append(process.pid)
            except psutil.NoSuchProcess:
                pass
        return found

    wait_for(lambda: not running(), "git, ssh and upload-pack to stop", timeout=10)
    assert stalled_fetch.config.read_bytes() == stalled_fetch.before
    assert not (stalled_fetch.cached / "shallow.lock").exists()  # SIGTERM first: git tidied


# --- the config: kill -9 mid-sync, a source line with escapes, markers in values -------------


def test_kill_9_during_sync_leaves_one_whole_config(home: Path) -> None:
    """Killed at any moment, a sync leaves the old file or the new one, each read by botocore;
    the next sync sweeps what a killed write left."""
    config = write_config(home, HAND)
    source = home / "platform.config"
    versions = [FRAGMENT, FRAGMENT.replace("Developer", "Admin")]
    source.write_text(versions[0])
    assert team("add", str(source)).returncode == 0
    wholes = {config.read_bytes()}
    for attempt in range(8):
        source.write_text(versions[(attempt + 1) % 2])
        child = subprocess.Popen([sys.executable, "-m", "shellsso", "team", "sync", "--yes"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.15 + 0.03 * attempt)  # a different moment each time: the point of it
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        text = config.read_bytes()
        assert text.startswith(HAND.encode())
        assert botocore_config()["profiles"]["corp-dev"]["sso_role_name"] in (
            "Developer", "Admin")
        wholes.add(text)
    assert len(wholes) <= 2  # only ever the old or the new block, never a third file
    assert team("sync", "--yes").returncode == 0
    assert sorted(p.name for p in config.parent.iterdir()) == ["config", "config.bak"]


def test_the_remembered_source_reaches_no_terminal_raw(home: Path) -> None:
    """A source line edited to hold a terminal escape or a bidi override (the config may come
    from a dotfiles repository) is shown made safe by list, sync and remove."""
    config = write_config(home, HAND)
    source = home / "platform.config"
    source.write_text(FRAGMENT)
    assert team("add", str(source)).returncode == 0
    hostile = f"# source: {home}/\x1b]0;pwned\x07\x1b[2Jplat\u202eform.config"
    config.write_text(config.read_text().replace(f"# source: {source}", hostile))
    for args in (("list",), ("list", "--json"), ("sync",), ("remove", "platform", "--dry-run")):
        out = team(*args)
        shown = out.stdout + out.stderr
        assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown, args
    assert "?]0;pwned" in team("remove", "platform", "--dry-run").stdout
    # a marker's name edited the same way: sync names the block made safe too
    text = config.read_text().replace(hostile, f"# source: {source}")
    config.write_text(text.replace("team begin: platform", "team begin: plat\x1b[2Jform")
                      .replace("team end: platform", "team end: plat\x1b[2Jform"))
    for args in (("sync",), ("list",)):
        out = team(*args)
        assert "\x1b" not in out.stdout + out.stderr and "plat?[2Jform" in out.stdout, args


def test_marker_text_in_a_value_is_no_marker(home: Path) -> None:
    """`sso_account_name` takes any printable text: a value that reads like an end marker
    is a value for botocore, and for the block finder too."""
    config = write_config(home, HAND)
    source = home / "platform.config"
    source.write_text(FRAGMENT.replace("sso_role_name = Developer\n",
                                       "sso_role_name = Developer\nsso_account_name = "
                                       "# shellsso team end: platform\n"))
    assert team("add", str(source)).returncode == 0
    assert team("sync").returncode == 0
    out = team("remove", "platform")
    assert out.returncode == 0, out.stderr
    assert config.read_bytes() == HAND.encode()


@pytest.mark.parametrize("tail", [
    "[profile last]\ns3 =\n  max_concurrent_requests = 10",  # a nested block, no last newline
    "[profile last]\nregion = eu-west-1\n    us-east-1",  # a continued value, no last newline
    "[profile last]",  # a header alone
])
def test_the_block_after_an_open_section_starts_a_section_of_its_own(home: Path,
                                                                      tail: str) -> None:
    """The user's last section is left exactly as botocore read it before; the block's first
    header is a header, not a line of that section."""
    config = write_config(home, HAND + tail)
    mine = botocore_config()["profiles"]["last"]
    source = home / "platform.config"
    source.write_text(FRAGMENT)
    out = team("add", str(source))
    assert out.returncode == 0, out.stderr
    seen = botocore_config()
    assert seen["profiles"]["last"] == mine
    assert seen["profiles"]["corp-dev"]["sso_role_name"] == "Developer"
    assert team("remove", "platform").returncode == 0
    # what add put on the user's last line, a line ending, stays
    after = config.read_bytes()
    assert after.rstrip(b"\r\n") == (HAND + tail).encode() and after.endswith(b"\n")


def test_keys_in_any_case_are_read_and_written_as_botocore_reads_them(home: Path) -> None:
    """configparser lower-cases keys: `Credential_Process` is credential_process, refused;
    `SSO_Role_Name` is sso_role_name, written lower-case."""
    write_config(home, HAND)
    source = home / "platform.config"
    source.write_text(FRAGMENT.replace("[profile corp-deploy]",
                                       "[profile corp-x]\nCredential_Process = /bin/evil\n\n"
                                       "[profile corp-deploy]"))
    out = team("add", str(source))
    assert out.returncode == 1 and "'credential_process' refused" in out.stderr
    source.write_text(FRAGMENT.replace("sso_role_name = Developer", "SSO_Role_Name : Developer"))
    out = team("add", str(source))
    assert out.returncode == 0, out.stderr
    assert "sso_role_name = Developer" in block_of(config_text(home), "platform")
    assert botocore_config()["profiles"]["corp-dev"]["sso_role_name"] == "Developer"


def config_text(home: Path) -> str:
    return (home / ".aws" / "config").read_text()
