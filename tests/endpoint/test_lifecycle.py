"""serve stops quietly when told to, and by itself when the shell that started it is gone."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.conftest import AwsEnv, require
from tests.creds.test_rolecreds import emulator_login
from tests.endpoint.helpers import port_open, wait_until
from tests.endpoint_interop.serving import parse_env_lines, serve


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_stops_it_quietly_with_status_0(aws_env: AwsEnv, signum: int) -> None:
    emulator_login(aws_env)
    with serve("dev") as served:
        assert port_open(served.port)
        served.process.send_signal(signum)
        assert served.process.wait(timeout=10) == 0
        said = served.stop()
    assert said == ""
    assert not port_open(served.port)


def test_it_stops_when_the_shell_that_started_it_is_killed(
    aws_env: AwsEnv, tmp_path: Path
) -> None:
    require("bash")
    emulator_login(aws_env)
    out = tmp_path / "serve.out"
    command = (f"{shlex.quote(sys.executable)} -m shellsso serve --profile dev "
               f"> {shlex.quote(str(out))} & wait")
    shell = subprocess.Popen(["bash", "-c", command], stdin=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    try:
        wait_until(lambda: out.exists() and out.read_text().count("\n") >= 2, 30,
                   "serve's two lines")
        found = parse_env_lines(out.read_text().splitlines())
        port = int(found["AWS_CONTAINER_CREDENTIALS_FULL_URI"].split(":")[2].split("/")[0])
        server = psutil.Process(shell.pid).children()[0]
        assert port_open(port)
        os.kill(shell.pid, signal.SIGKILL)  # the terminal's shell dies without a word
        took = wait_until(lambda: not port_open(port), 10, "the port closed")
        server.wait(timeout=10)
    finally:
        shell.kill()
        shell.wait()
    assert took < 3, took
    assert shell.stderr is not None and b"Traceback" not in shell.stderr.read()


def test_it_stops_when_its_parent_exits_normally(aws_env: AwsEnv, tmp_path: Path) -> None:
    """A parent (here Python) that ends without killing its child: the child still ends."""
    emulator_login(aws_env)
    script = (
        "import subprocess, sys\n"
        "p = subprocess.Popen([sys.executable, '-m', 'shellsso', 'serve', '--profile', 'dev'],"
        " stdout=subprocess.PIPE, text=True)\n"
        "print(p.stdout.readline(), p.pid, flush=True)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    words = result.stdout.split()
    pid = int(words[-1])
    port = int(words[1].split(":")[2].split("/")[0])
    wait_until(lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status()
               == psutil.STATUS_ZOMBIE, 10, "serve ended")
    assert not port_open(port)


def test_interactive_ctrl_c_stops_it_quietly(aws_env: AwsEnv) -> None:
    """A person in a terminal: ^C ends it with no traceback, status 0."""
    import pexpect

    emulator_login(aws_env)
    child = pexpect.spawn(sys.executable, ["-m", "shellsso", "serve", "--profile", "dev"],
                          env=dict(os.environ), encoding="utf-8", timeout=30)
    try:
        child.expect("AWS_CONTAINER_AUTHORIZATION_TOKEN=")
        child.expect("\n")
        child.sendintr()
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
        assert "Traceback" not in (child.before or "")
    finally:
        child.close(force=True)

