"""Attacks on `shellsso keys` and `keys retire`: races with a hand edit, a key shared by
two profiles, hostile STS/IAM answers, odd key ids, a corrupt keys cache, kill -9.

IAM and STS are moto's (or a hostile server on 127.0.0.1); the SSO side is the
emulator, serving moto's account, as in the other tests of this folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import AwsEnv, run_shellsso, write_config
from tests.creds.test_rolecreds import emulator_login
from tests.keys.conftest import (
    SSO_CONFIG,
    Moto,
    files_holding,
    write_credentials,
)
from tests.keys.test_retire import OLD_PROFILE, aws_files, botocore_identity, masked, retire


@pytest.fixture
def logged_in(keyed: AwsEnv) -> AwsEnv:
    write_config(keyed.home, SSO_CONFIG + OLD_PROFILE)
    emulator_login(keyed)
    return keyed


def test_a_key_two_profiles_share_is_not_deactivated_under_the_other(
        logged_in: AwsEnv, moto: Moto) -> None:
    """Before: retiring 'old' with --deactivate set the key Inactive while profile 'twin'
    still used it (broken without a word), and said the key was no longer on disk."""
    key_id, secret = moto.new_key("alice")
    write_credentials(logged_in.home, f"[old]\naws_access_key_id = {key_id}\n"
                                      f"aws_secret_access_key = {secret}\n\n"
                                      f"[twin]\naws_access_key_id = {key_id}\n"
                                      f"aws_secret_access_key = {secret}\n")
    before = aws_files(logged_in.home)
    result = retire("old", "--deactivate", "--yes")
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert f"key {masked(key_id)} is also in profile 'twin' of the credentials file" \
        in result.stderr
    assert "nothing was changed" in result.stderr
    assert aws_files(logged_in.home) == before
    assert moto.statuses("alice") == {key_id: "Active"}
    # without an IAM step the profile moves, and the output does not pretend the key is gone
    result = retire("old", "--yes")
    assert result.returncode == 0, result.stderr
    assert "its key is no longer on disk" not in result.stdout
    assert f"key {masked(key_id)} is still in profile 'twin'" in result.stdout
    assert botocore_identity(logged_in, "old")["method"] == "sso"
    assert (logged_in.home / ".aws" / "credentials").read_text() == (
        f"[twin]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n")


def test_a_key_changed_by_hand_while_retire_asks_is_not_removed(
        logged_in: AwsEnv, moto: Moto) -> None:
    """Before: a key rotated by hand while the question was on screen was removed from the
    file (its secret lost for good) though the plan and the question named the old one."""
    import pexpect

    old_id, old_secret = moto.new_key("alice")
    credentials = write_credentials(logged_in.home, f"[old]\naws_access_key_id = {old_id}\n"
                                                    f"aws_secret_access_key = {old_secret}\n")
    new_id, new_secret = moto.new_key("alice")
    child = pexpect.spawn(sys.executable, ["-m", "shellsso", "keys", "retire", "old"],
                          env=dict(os.environ), encoding="utf-8", timeout=60)
    child.expect(r"Rewrite profile 'old'.*\[y/N\] ")
    rotated = f"[old]\naws_access_key_id = {new_id}\naws_secret_access_key = {new_secret}\n"
    credentials.write_text(rotated)
    config = (logged_in.home / ".aws" / "config").read_bytes()
    child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert "changed while this command ran" in child.before
    assert "nothing was changed" in child.before
    assert credentials.read_text() == rotated
    assert (logged_in.home / ".aws" / "config").read_bytes() == config


def test_a_key_from_a_default_section_is_not_said_gone(logged_in: AwsEnv, moto: Moto) -> None:
    """botocore gives a `[DEFAULT]` section's keys to every section. Before: retire said the
    key was no longer on disk, and left it there, in [DEFAULT]."""
    key_id, secret = moto.new_key("alice")
    write_credentials(logged_in.home, f"[DEFAULT]\naws_access_key_id = {key_id}\n"
                                      f"aws_secret_access_key = {secret}\n\n[old]\n"
                                      "region = eu-west-1\n")
    before = aws_files(logged_in.home)
    result = retire("old", "--yes")
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert f"key {masked(key_id)} of profile 'old' is not in the profile's own section of " \
        in result.stderr
    assert "a [DEFAULT] section gives it to every profile" in result.stderr
    assert result.stderr.rstrip().endswith("nothing was changed")
    assert aws_files(logged_in.home) == before


@pytest.fixture
def dripping() -> Iterator[str]:
    """An endpoint that answers 200 and then sends its body one byte every 0.2 s, for ever:
    each read gets data within any read timeout."""
    import socket
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
                             b"Content-Length: 100000000\r\n\r\n<")
                while not stop.wait(0.2):
                    conn.sendall(b" ")
            except OSError:
                pass

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        server.close()
        time.sleep(0)


def test_an_endpoint_that_drips_its_answer_does_not_hang_the_listing(
        home: Path, dripping: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: a body sent a byte at a time never hit the read timeout: `shellsso keys` hung
    for ever."""
    import time

    write_credentials(home, "".join(f"[k{n}]\naws_access_key_id = AKIAEXAMPLEEXAMPLE{n:02d}\n"
                                    f"aws_secret_access_key = example-secret-{n:02d}\n"
                                    for n in range(3)))
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", dripping)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", dripping)
    monkeypatch.setenv("SHELLSSO_HTTP_TIMEOUT", "1")
    started = time.monotonic()
    result = run_shellsso("keys", timeout=40)
    elapsed = time.monotonic() - started
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert result.stdout.count(f"could not learn account: {dripping} did not answer within ") \
        == 3, result.stdout
    assert elapsed < 15, elapsed


def test_an_iam_that_drips_its_answer_does_not_hang_the_last_step(
        logged_in: AwsEnv, moto: Moto, dripping: str) -> None:
    key_id, secret = moto.new_key("alice")
    write_credentials(logged_in.home, f"[old]\naws_access_key_id = {key_id}\n"
                                      f"aws_secret_access_key = {secret}\n")
    environ = dict(os.environ, SHELLSSO_HTTP_TIMEOUT="0.5")
    assert retire("old", "--yes", "--dry-run", env=environ).returncode == 0  # STS: moto
    environ["AWS_ENDPOINT_URL_IAM"] = dripping
    result = retire("old", "--deactivate", "--yes", env=environ, timeout=60)
    assert result.returncode == 1
    assert f"with the key itself: {dripping} did not answer within " in result.stderr
    assert "to finish: shellsso keys retire old --deactivate" in result.stderr
    assert files_holding(logged_in.home, secret) == []
