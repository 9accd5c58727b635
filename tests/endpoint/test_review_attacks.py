"""The endpoint attacked: a web page, another local user, a planted descriptor, long-term keys.

Each test plays what a hostile page, a second user of the machine or a careless caller
does, against a real `shellsso serve` or `shellsso exec --server`, and checks what the
user (or the attacker) would get.
"""

from __future__ import annotations

import json
import os
import select
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import DEMO_CONFIG, AwsEnv, require_root, run_shellsso, write_config
from tests.creds.test_rolecreds import emulator_login, one_error_line
from tests.endpoint.helpers import credentials, request, wait_until
from tests.endpoint_interop.serving import parse_env_lines, serve

STATIC = ("\n[profile keys]\naws_access_key_id = AKIALONGTERMKEY00042\n"
          "aws_secret_access_key = longTermSecretThatNeverExpires0000000042\n")


# --- a web page (DNS rebinding) -----------------------------------------------------------


@pytest.mark.parametrize("host", ["attacker.example:80", "attacker.example",
                                  "127.0.0.1.nip.io:8080", "LOCALHOST.evil"])
def test_a_page_whose_name_points_at_127_0_0_1_gets_nothing_even_with_the_token(
    aws_env: AwsEnv, host: str
) -> None:
    """DNS rebinding: a page's name resolves to 127.0.0.1, so its script reaches the port
    as a same-origin request (no Origin header). The Host it sends is its own name."""
    emulator_login(aws_env)
    with serve("dev") as served:
        status, body = request(served, headers={"Host": host})
        assert status == 403 and "AccessKeyId" not in body
        assert "host" in json.loads(body)["message"].lower()
        for legit in (f"127.0.0.1:{served.port}", "localhost", f"localhost:{served.port}",
                      "169.254.170.2:9911", "[::1]:9911", "[fd00:ec2::23]", "127.0.0.1"):
            assert request(served, headers={"Host": legit})[0] == 200, legit


# --- a descriptor the caller handed to exec --server ---------------------------------------


READY_AND_WAIT = textwrap.dedent(
    """
    import os, sys, time
    os.close(int(sys.argv[1]))  # "I am ready": the caller waits for the end of this pipe
    print("closed", flush=True)
    time.sleep(float(sys.argv[2]))
    """
)


def test_the_detached_endpoint_keeps_no_descriptor_meant_for_the_command(
    aws_env: AwsEnv
) -> None:
    """A caller that hands the command a pipe (make's jobserver, a readiness pipe, `3>file`)
    sees it close when the command closes it: the endpoint, which never execs, must not
    keep a copy of every descriptor the command inherited."""
    emulator_login(aws_env)
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-m", "shellsso", "exec", "--server", "--profile", "dev", "--",
         sys.executable, "-c", READY_AND_WAIT, str(write_end), "30"],
        pass_fds=(write_end,), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    os.close(write_end)
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "closed\n"
        ready, _, _ = select.select([read_end], [], [], 10)
        assert ready and os.read(read_end, 1) == b"", "the pipe is still held open"
        assert process.poll() is None  # the command still runs: only it had the pipe
    finally:
        os.close(read_end)
        process.kill()
        process.wait()


# --- long-term keys -----------------------------------------------------------------------


def test_long_term_keys_are_not_served(aws_env: AwsEnv) -> None:
    """A token that leaks (a container's `docker inspect`, a remote's forwarded port) is
    worth credentials only while the server runs: never keys that never expire."""
    write_config(aws_env.home, DEMO_CONFIG + STATIC)
    for argv in (["serve", "--profile", "keys"],
                 ["exec", "--server", "--profile", "keys", "--", "true"]):
        result = run_shellsso(*argv, timeout=30)
        line = one_error_line(result)
        assert result.returncode == 1 and result.stdout == ""
        assert "long-term access keys" in line and "profile 'keys'" in line, line
        assert "longTermSecret" not in result.stderr


def test_a_profile_changed_to_long_term_keys_while_serving_is_not_served(
    aws_env: AwsEnv
) -> None:
    emulator_login(aws_env)
    with serve("dev") as served:
        assert credentials(served)["AccessKeyId"]
        write_config(aws_env.home, DEMO_CONFIG.replace(
            "[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\n"
            "sso_role_name = AdministratorAccess\n",
            "[profile dev]\naws_access_key_id = AKIALONGTERMKEY00042\n"
            "aws_secret_access_key = longTermSecretThatNeverExpires0000000042\n"))
        status, body = request(served)
        said = served.stop()
    assert status == 502, body
    assert "AKIALONGTERMKEY" not in body and "longTermSecret" not in body
    assert "long-term access keys" in json.loads(body)["message"]
    assert "longTermSecret" not in said


# --- the token in a file other users can read ----------------------------------------------


def test_stdout_to_a_file_other_users_can_read_is_warned_about(
    aws_env: AwsEnv, tmp_path: Path
) -> None:
    emulator_login(aws_env)
    out = tmp_path / "serve.out"
    out.touch(mode=0o644)
    out.chmod(0o644)
    with out.open("w") as handle:
        process = subprocess.Popen([sys.executable, "-m", "shellsso", "serve", "--profile",
                                    "dev"], stdin=subprocess.DEVNULL, stdout=handle,
                                   stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: out.read_text().count("\n") >= 2, 30, "serve's two lines")
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    token = parse_env_lines(out.read_text().splitlines())["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    assert token not in err
    assert err.startswith(f"shellsso: warning: standard output is {out}, which other users "
                          "can read (mode 0644)"), err
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # the user's file is theirs to change


def test_stdout_to_a_private_file_or_a_pipe_is_not_warned_about(
    aws_env: AwsEnv, tmp_path: Path
) -> None:
    emulator_login(aws_env)
    out = tmp_path / "serve.out"
    out.touch(mode=0o600)
    with out.open("w") as handle:
        process = subprocess.Popen([sys.executable, "-m", "shellsso", "serve", "--profile",
                                    "dev"], stdin=subprocess.DEVNULL, stdout=handle,
                                   stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: out.read_text().count("\n") >= 2, 30, "serve's two lines")
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert err == ""
    with serve("dev") as served:  # a pipe
        said = served.stop()
    assert said == ""


# --- another local user ----------------------------------------------------------------------


def test_another_user_never_reads_the_token_in_proc(aws_env: AwsEnv) -> None:
    """uid 65534 reads every process's cmdline and environ while serve and exec --server
    run: argv never holds the token, and environ is the owner's only."""
    require_root()
    from tests.creds.test_console_attacks import Scanner

    emulator_login(aws_env)
    scanner = Scanner()
    try:
        with serve("dev") as served:
            process = subprocess.Popen(
                [sys.executable, "-m", "shellsso", "exec", "--server", "--profile", "dev", "--",
                 sys.executable, "-c", "import os, sys; print(os.environ["
                 "'AWS_CONTAINER_AUTHORIZATION_TOKEN'], flush=True); sys.stdin.read()"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            assert process.stdout is not None and process.stdin is not None
            exec_token = process.stdout.readline().strip()
            scanner.wait_passes(2)
            process.stdin.close()
            process.wait(timeout=10)
            assert credentials(served)["AccessKeyId"]
            scanner.wait_passes(1)
    finally:
        seen = scanner.stop()
    assert len(exec_token) == 43
    assert any("serve" in text for text in seen)  # it did read our processes' argv
    assert [text for text in seen if served.token in text or exec_token in text] == []


def test_the_session_end_line_shows_no_escape_from_the_config(aws_env: AwsEnv) -> None:
    """The line told to the terminal on a logout holds names from the config (a team's
    fragment may bring them): their control characters are not sent raw."""
    emulator_login(aws_env)
    with serve("dev") as served:
        assert run_shellsso("logout", "--profile", "dev").returncode == 0
        hostile = "c\x1b]0;x\x07\x9b2Jorp"
        write_config(aws_env.home, DEMO_CONFIG.replace("corp", hostile))
        status, body = request(served)
        said = served.stop()
    assert status == 503 and "\x1b" not in body and "\x9b" not in body
    assert "serve:" in said
    assert "\x1b" not in said and "\x07" not in said and "\x9b" not in said, repr(said)


# --- issue-level: the SSO token refreshed silently while serving ---------------------------


def test_an_expired_sso_token_is_refreshed_silently_while_serving(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    with serve("dev") as served:
        token_file = next((aws_env.home / ".aws" / "sso" / "cache").glob("*.json"))
        doc = json.loads(token_file.read_text())
        doc["expiresAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
        token_file.write_text(json.dumps(doc))
        for entry in (aws_env.home / ".aws" / "cli" / "cache").iterdir():
            entry.unlink()  # so that the next request needs the portal, hence the token
        before = aws_env.counters().get("CreateToken", 0)
        fresh = credentials(served)
        said = served.stop()
    assert fresh["AccessKeyId"] in aws_env.emulator.issued_access_key_ids
    assert aws_env.counters().get("CreateToken", 0) == before + 1
    refreshed = json.loads(token_file.read_text())
    assert refreshed["accessToken"] != doc["accessToken"]
    assert said == ""  # nobody was asked to log in


# --- ends and signals ------------------------------------------------------------------------


def test_the_endpoint_ends_when_its_command_is_killed_and_left_unreaped(
    aws_env: AwsEnv
) -> None:
    """kill -9 of the command, whose parent does not reap it (a zombie): the endpoint ends."""
    from tests.endpoint.helpers import port_open

    emulator_login(aws_env)
    process = subprocess.Popen(
        [sys.executable, "-m", "shellsso", "exec", "--server", "--profile", "dev", "--",
         sys.executable, "-c", "import os, time; print(os.environ["
         "'AWS_CONTAINER_CREDENTIALS_FULL_URI'], flush=True); time.sleep(60)"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().split(":")[2].split("/")[0])
        assert port_open(port)
        os.kill(process.pid, 9)  # and no wait(): a zombie until the finally
        took = wait_until(lambda: not port_open(port), 5, "the endpoint's port closed")
    finally:
        process.wait()
    assert took < 3, took


def test_a_signal_at_once_after_the_variables_stops_it_quietly(aws_env: AwsEnv) -> None:
    """Whoever reads the two lines may signal at once: no traceback, status 0, each time."""
    emulator_login(aws_env)
    for signum in (15, 2, 1):
        process = subprocess.Popen([sys.executable, "-m", "shellsso", "serve", "--profile",
                                    "dev"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        assert process.stdout is not None
        process.stdout.readline()
        process.send_signal(signum)
        _, err = process.communicate(timeout=10)
        assert (process.returncode, err) == (0, ""), signum


def test_hostile_bytes_in_requests_neither_stop_it_nor_reach_its_terminal(
    aws_env: AwsEnv
) -> None:
    """Random request heads, with and without the token: every one is answered or closed,
    a real request is still served, and the terminal gets no traceback and no raw byte."""
    import random
    import socket

    emulator_login(aws_env)
    rng = random.Random(18)
    with serve("dev") as served:
        starts = [b"", b"GET /credentials HTTP/1.1\r\n",
                  f"GET /credentials HTTP/1.1\r\nAuthorization: {served.token}\r\n".encode()]
        statuses = set()
        for _ in range(300):
            junk = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 120)))
            with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
                sock.sendall(rng.choice(starts) + junk + b"\r\n\r\n")
                statuses.add(sock.recv(12)[9:12])
        assert credentials(served)["AccessKeyId"]
        said = served.stop()
    assert statuses <= {b"200", b"400", b"401", b"403", b"404", b"405"}, statuses
    assert "Traceback" not in said and "\x1b" not in said
