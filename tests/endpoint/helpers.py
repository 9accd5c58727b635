"""What the endpoint's tests share: raw HTTP to the server, clients in subprocesses, waits.

`shellsso serve` itself is started with `tests.endpoint_interop.serving.serve`, as a
terminal would start it.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import textwrap
import time
from typing import Dict, Optional, Tuple

from tests.endpoint_interop.serving import Served

STS_LOOP = textwrap.dedent(
    """
    import sys, time
    import boto3
    session = boto3.session.Session()
    print("method", session.get_credentials().method, flush=True)
    sts = session.client("sts", region_name="us-east-1")
    keys, calls, failures = set(), 0, 0
    start, least, most = time.monotonic(), float(sys.argv[1]), float(sys.argv[2])
    while time.monotonic() - start < most and (len(keys) < 3 or time.monotonic() - start < least):
        try:
            account = sts.get_caller_identity()["Account"]
        except Exception as exc:
            failures += 1
            print("failed", type(exc).__name__, exc, flush=True)
            if sys.argv[3:] == ["stop-on-failure"]:
                break
        else:
            calls += 1
            keys.add(sts._request_signer._credentials.get_frozen_credentials().access_key)
            print("ok", account, flush=True)
        time.sleep(0.2)
    print("done", calls, failures, len(keys), flush=True)
    """
)
"""A client of one boto3 STS client calling GetCallerIdentity in a loop, for at least
argv[1] seconds and until it has signed with 3 keys, for at most argv[2] seconds."""


def request(served: Served, *, token: Optional[str] = "", method: str = "GET",
            path: Optional[str] = None, headers: Optional[Dict[str, str]] = None,
            timeout: float = 10) -> Tuple[int, str]:
    """One request to the endpoint: (status, body). `token` "" means the right one, None none."""
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = token or served.token
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=timeout)
    try:
        connection.request(method, path or served.path, headers=sent)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8")
    finally:
        connection.close()


def credentials(served: Served) -> Dict[str, str]:
    status, body = request(served)
    assert status == 200, body
    doc: Dict[str, str] = json.loads(body)
    return doc


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_until(condition: object, within: float, what: str, step: float = 0.05) -> float:
    """Poll `condition()` until true; the seconds it took (fails after `within`)."""
    start = time.monotonic()
    while not condition():  # type: ignore[operator]
        if time.monotonic() - start > within:
            raise AssertionError(f"{what}: not within {within}s")
        time.sleep(step)
    return time.monotonic() - start


def python_client(script: str, env: Dict[str, str], *args: str, timeout: float = 60
                  ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
