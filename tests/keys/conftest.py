"""Fixtures of the keys tests: moto's IAM and STS on 127.0.0.1, an IAM that refuses, and
a HOME whose SSO side (the emulator) serves the account moto's keys belong to.

moto's server runs once per worker (starting it costs a second); each test
starts from a reset moto. Keys are made with boto3 as an administrator would,
and written into the files as a user has them.
"""

from __future__ import annotations

import http.server
import os
import socket
import threading
import urllib.request
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import boto3
import pytest

from shellsso.emulator.org import Account
from tests.conftest import DEMO_CONFIG, AwsEnv, write_config

MOTO_ACCOUNT = "123456789012"
"""The account moto's IAM users and keys belong to."""

SSO_CONFIG = DEMO_CONFIG + f"""
[profile moto-admin]
sso_session = corp
sso_account_id = {MOTO_ACCOUNT}
sso_role_name = AdministratorAccess
region = eu-west-1
"""


class Moto:
    """moto's IAM and STS at `url`, and the keys made there."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                                aws_access_key_id="admin", aws_secret_access_key="admin")

    def new_key(self, user: str = "alice") -> Tuple[str, str]:
        """(key id, secret) of a new access key of `user` (made when absent)."""
        try:
            self.iam.create_user(UserName=user)
        except self.iam.exceptions.EntityAlreadyExistsException:
            pass
        key = self.iam.create_access_key(UserName=user)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]

    def statuses(self, user: str = "alice") -> Dict[str, str]:
        """{key id: Active|Inactive} of the user's keys (a deleted key is absent)."""
        keys = self.iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
        return {k["AccessKeyId"]: k["Status"] for k in keys}


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto(home: Path, moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Moto:
    """A reset moto, with IAM and STS pointed at it as a user would (AWS_ENDPOINT_URL_*)."""
    request = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", moto_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_url)
    return Moto(moto_url)


def closed_port() -> str:
    """A URL on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


DENIED = ('<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error>'
          "<Type>Sender</Type><Code>AccessDenied</Code><Message>User: "
          f"arn:aws:iam::{MOTO_ACCOUNT}:user/alice is not authorized to perform this action"
          "</Message></Error><RequestId>4d2c5e1f</RequestId></ErrorResponse>")


HOSTILE = DENIED.replace("is not authorized", "\u009b2J\u202eis not\u2028authorized")
"""An answer whose message holds a CSI, a right-to-left override and a line separator."""


class _Refuse(http.server.BaseHTTPRequestHandler):
    answer = DENIED

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = self.answer.encode()
        self.send_response(403)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def refusing_iam() -> Iterator[str]:
    """An IAM endpoint on 127.0.0.1 that answers every call with AccessDenied, as IAM
    answers a user without IAM permissions."""
    yield from _serve(_Refuse)


@pytest.fixture
def hostile_iam() -> Iterator[str]:
    """An IAM endpoint whose AccessDenied message holds characters a terminal acts on."""

    class Hostile(_Refuse):
        answer = HOSTILE

    yield from _serve(Hostile)


def _serve(handler: type) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def keyed(aws_env: AwsEnv, moto: Moto) -> AwsEnv:
    """The demo HOME, with moto's account served by the emulator and an SSO profile for it."""
    aws_env.emulator.org.add(Account(MOTO_ACCOUNT, "moto", "moto@example.com",
                                     ("AdministratorAccess", "ReadOnlyAccess")))
    write_config(aws_env.home, SSO_CONFIG)
    return aws_env


def write_credentials(home: Path, text: str) -> Path:
    path = home / ".aws" / "credentials"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


def files_holding(home: Path, secret: str) -> List[str]:
    """Every file under HOME whose bytes hold `secret` (leftovers, backups, temp files)."""
    found = []
    for folder, _, names in os.walk(home):
        for name in names:
            path = os.path.join(folder, name)
            try:
                with open(path, "rb") as handle:
                    if secret.encode() in handle.read():
                        found.append(path)
            except OSError:
                continue
    return found


def snapshot(home: Path) -> Dict[str, bytes]:
    """Every file under HOME/.aws and its bytes."""
    found = {}
    for folder, _, names in os.walk(home / ".aws"):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                found[path] = handle.read()
    return found
