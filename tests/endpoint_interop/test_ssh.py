"""SSH: the endpoint forwarded to a remote machine with `ssh -R`, so that the remote uses the
local login: no login on the remote, nothing stored there.

A real OpenSSH server (Debian's openssh-server) is started on a free port of 127.0.0.1 with a
host key, an authorized key and a config of its own; the "remote" side is a session of that
server whose HOME is a new empty folder. The two recipes of docs/serve-recipes.md run as
written there, under `shellsso exec --server`, which keeps the endpoint up exactly as long as
the ssh session:

- one command: the token goes to the remote command on its standard input;
- a session: the token travels as an environment variable (`SendEnv`, which the remote's
  sshd must accept with `AcceptEnv`).

In neither is the token in any process's argv (which every local user can read): a watcher
reads /proc/*/cmdline during the whole run, and the remote program looks too.
"""

from __future__ import annotations

import getpass
import json
import os
import shlex
import socket
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Set

import pytest

from tests.conftest import REPO, AwsEnv, in_ci, require
from tests.creds.test_rolecreds import emulator_login
from tests.endpoint_interop.serving import ACCOUNTS, files_under

pytestmark = pytest.mark.slow

SSHD = "/usr/sbin/sshd"

REMOTE_PROGRAM = textwrap.dedent(
    """
    import json, os, sys
    import botocore.session

    session = botocore.session.get_session()
    creds = session.get_credentials()
    who = session.create_client("sts", region_name="us-east-1").get_caller_identity()
    token = os.environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN", "").encode()
    in_argv = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if token and token in f.read():
                    in_argv.append(pid)
        except OSError:
            pass
    print(json.dumps({"account": who["Account"], "method": creds.method,
                      "token": token.decode(), "in_argv": in_argv}))
    """
)
"""What runs on the remote: botocore with only what the recipe gave it. It prints the token
(a test's throw-away) so that the watcher's records can be searched for it afterwards."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Sshd:
    port: int
    key: Path
    known_hosts: Path
    user: str
    remote_home: Path

    def ssh_options(self) -> str:
        """The client options the recipes leave to the user's ~/.ssh/config, spelled out
        (paths of the test's temporary folder: nothing to quote)."""
        return (f"-F /dev/null -i {self.key} -o IdentitiesOnly=yes "
                f"-o UserKnownHostsFile={self.known_hosts} -o StrictHostKeyChecking=yes "
                f"-o BatchMode=yes -p {self.port}")


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
                   check=True, capture_output=True)


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[Sshd]:
    """An sshd of the test's own on 127.0.0.1, accepting one key, for the current user."""
    require("ssh")
    require("ssh-keygen")
    if not os.path.exists(SSHD):
        if in_ci():
            pytest.fail(f"{SSHD} is missing (openssh-server is required in CI)")
        pytest.skip(f"{SSHD} is missing (openssh-server)")
    if os.geteuid() == 0:
        # As root, sshd separates privileges and insists on this (empty) folder.
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    folder = tmp_path / "sshd"
    folder.mkdir()
    _keygen(folder / "host_key")
    _keygen(folder / "user_key")
    (folder / "authorized_keys").write_text((folder / "user_key.pub").read_text())
    port = free_port()
    (folder / "known_hosts").write_text(
        f"[127.0.0.1]:{port} {(folder / 'host_key.pub').read_text()}")
    config = folder / "sshd_config"
    config.write_text(textwrap.dedent(f"""\
        Port {port}
        ListenAddress 127.0.0.1
        HostKey {folder / 'host_key'}
        PidFile none
        AuthorizedKeysFile {folder / 'authorized_keys'}
        UsePAM no
        StrictModes no
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        PubkeyAuthentication yes
        PermitRootLogin prohibit-password
        AllowTcpForwarding remote
        AcceptEnv AWS_CONTAINER_AUTHORIZATION_TOKEN
        LogLevel VERBOSE
        """))
    server = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert server.stderr is not None
    log: List[str] = []
    listening = threading.Event()

    def read_log() -> None:
        assert server.stderr is not None
        for line in server.stderr:
            log.append(line)
            if f"listening on 127.0.0.1 port {port}" in line:
                listening.set()

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    try:
        if not listening.wait(20):
            pytest.fail(f"sshd did not start: {''.join(log)[-1500:]}")
        remote_home = tmp_path / "remote-home"
        remote_home.mkdir()
        yield Sshd(port, folder / "user_key", folder / "known_hosts", getpass.getuser(),
                   remote_home)
    finally:
        server.terminate()
        server.wait(timeout=10)


class ArgvWatcher:
    """Every command line of every process, read again and again while a test runs."""

    def __init__(self) -> None:
        self.seen: Set[bytes] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in os.listdir("/proc"):
                if pid.isdigit():
                    try:
                        with open(f"/proc/{pid}/cmdline", "rb") as f:
                            self.seen.add(f.read())
                    except OSError:
                        pass
            self._stop.wait(0.005)

    def __enter__(self) -> ArgvWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


RECIPES = REPO / "docs" / "serve-recipes.md"
HEADINGS = {"stdin": "**One command**", "sendenv": "**A session**"}


def doc_recipe(kind: str) -> str:
    """The command of docs/serve-recipes.md for `kind`: the first code block after its
    heading, up to its first comment (what the user types on the remote after)."""
    text = RECIPES.read_text()
    after = text[text.index(HEADINGS[kind]):]
    block = after.split("```sh\n", 1)[1].split("```", 1)[0]
    lines = []
    for line in block.splitlines():
        if line.startswith("#"):
            break
        lines.append(line)
    return "\n".join(lines)


def adapt(command: str, sshd: Sshd, remote_port: int, remote_run: str) -> str:
    """The recipe with the test's ssh options, host and port, and the test's program as the
    remote command (`aws sts get-caller-identity` in the doc)."""
    options = sshd.ssh_options()
    assert "'" not in options + remote_run, "the recipe is single-quoted: no quotes here"
    replaced = (command.replace("ssh -o", f"ssh {options} -o", 1)
                .replace("9911", str(remote_port)))
    if "exec aws sts get-caller-identity" in replaced:
        replaced = replaced.replace("exec aws sts get-caller-identity", f"exec {remote_run}")
        return replaced.replace("user@host", f"{sshd.user}@127.0.0.1")
    # The session recipe opens a login shell; the test gives ssh a command instead, from
    # the environment (the URI line the doc has the user type on the remote, then the program).
    return replaced.replace("user@host'", f'{sshd.user}@127.0.0.1 "$REMOTE_COMMAND"\'')


def run_recipe(command: str, remote_command: str = "") -> subprocess.CompletedProcess[str]:
    """The recipe in bash, as a user types it, with the package's `shellsso` on PATH."""
    path = f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120,
                          check=False, stdin=subprocess.DEVNULL,
                          env=dict(os.environ, PATH=path, REMOTE_COMMAND=remote_command))


@pytest.mark.parametrize("kind", ["stdin", "sendenv"])
def test_ssh_remote_uses_the_local_login_through_the_forwarded_endpoint(
    aws_env: AwsEnv, sshd: Sshd, tmp_path: Path, kind: str
) -> None:
    """docs/serve-recipes.md's SSH recipes, run as written (host, port and program
    replaced)."""
    emulator_login(aws_env)
    program = tmp_path / "remote.py"
    program.write_text(REMOTE_PROGRAM)
    # The remote's own environment: an empty HOME (no ~/.aws), the emulator as STS.
    remote_run = (f"env HOME={sshd.remote_home} AWS_ENDPOINT_URL_STS={aws_env.url} "
                  f"AWS_EC2_METADATA_DISABLED=true {sys.executable} {program}")
    remote_port = free_port()
    command = adapt(doc_recipe(kind), sshd, remote_port, remote_run)
    remote_command = (f"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:{remote_port}"
                      f"/credentials exec {remote_run}")
    with ArgvWatcher() as watcher:
        run = run_recipe(command, remote_command)
    assert run.returncode == 0, (command, run.stderr)
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    assert answer["account"] == ACCOUNTS["dev"]
    assert answer["method"] == "container-role"
    token = answer["token"].encode()
    assert len(token) >= 20
    assert answer["in_argv"] == []
    assert [argv for argv in watcher.seen if token in argv] == []
    assert any(argv.startswith(b"ssh\0") and b"-R\0" in argv for argv in watcher.seen), \
        "the watcher saw the ssh client"
    assert files_under(sshd.remote_home) == [], "something was stored on the remote"


def naive_recipe(sshd: Sshd, remote_port: int, remote_run: str) -> str:
    """What the recipes avoid: the token written into ssh's remote command."""
    return ("shellsso exec --server --profile dev -- sh -c '"
            "u=${AWS_CONTAINER_CREDENTIALS_FULL_URI#http://}; u=${u%%/*}; "
            f"ssh {sshd.ssh_options()} -R \"127.0.0.1:{remote_port}:$u\" "
            f"{sshd.user}@127.0.0.1 "
            "\"AWS_CONTAINER_AUTHORIZATION_TOKEN=$AWS_CONTAINER_AUTHORIZATION_TOKEN "
            f"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:{remote_port}/credentials "
            f"exec {remote_run}\"'")


def test_the_argv_watcher_sees_a_token_put_on_a_command_line(
    aws_env: AwsEnv, sshd: Sshd, tmp_path: Path
) -> None:
    """The control for the test above: the obvious way, the token written into ssh's remote
    command, works too, and puts the token in the argv of ssh (locally) and of the remote
    shell, where any user can read it. The watcher sees that."""
    emulator_login(aws_env)
    program = tmp_path / "remote.py"
    program.write_text(REMOTE_PROGRAM)
    remote_run = (f"env HOME={sshd.remote_home} AWS_ENDPOINT_URL_STS={aws_env.url} "
                  f"AWS_EC2_METADATA_DISABLED=true {sys.executable} {program}")
    with ArgvWatcher() as watcher:
        run = run_recipe(naive_recipe(sshd, free_port(), remote_run))
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    token = answer["token"].encode()
    assert answer["in_argv"], "the remote program saw the token in an argv"
    leaked = [argv for argv in watcher.seen if token in argv]
    assert any(argv.startswith(b"ssh\0") for argv in leaked), leaked


def test_ssh_without_the_forward_the_remote_fails_clearly(
    aws_env: AwsEnv, sshd: Sshd, tmp_path: Path
) -> None:
    """The remote side's variables alone give nothing: no forward, no credentials, a clear
    error from botocore, quickly."""
    emulator_login(aws_env)
    program = tmp_path / "remote.py"
    program.write_text(REMOTE_PROGRAM)
    port = free_port()
    remote = (f"HOME={shlex.quote(str(sshd.remote_home))} AWS_EC2_METADATA_DISABLED=true "
              f"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:{port}/credentials "
              f"AWS_CONTAINER_AUTHORIZATION_TOKEN=unused "
              f"{shlex.quote(sys.executable)} {shlex.quote(str(program))}")
    started = time.monotonic()
    run = subprocess.run(["sh", "-c", f"ssh {sshd.ssh_options()} "
                          f"{sshd.user}@127.0.0.1 {shlex.quote(remote)}"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode != 0
    assert "Error when retrieving credentials from container-role" in run.stderr, run.stderr
    assert time.monotonic() - started < 20
