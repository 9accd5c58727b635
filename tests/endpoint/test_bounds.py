"""A slow, idle or hostile client cannot hold the endpoint, and nobody off this machine
can reach it.

Each test attacks a real `shellsso serve` over real sockets, then checks that a real
request is still answered in time.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import List, Tuple

import psutil

from tests.conftest import AwsEnv
from tests.creds.test_rolecreds import emulator_login
from tests.endpoint.helpers import credentials, port_open, request, wait_until
from tests.endpoint_interop.serving import serve


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def timed_credentials(served: object) -> float:
    start = time.monotonic()
    assert credentials(served)["AccessKeyId"]  # type: ignore[arg-type]
    return time.monotonic() - start


def test_a_hundred_idle_connections_do_not_keep_a_real_request_out(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    with serve("dev") as served:
        idle = [connect(served.port) for _ in range(100)]
        try:
            idle[-1].sendall(b"GET /credentials HTTP/1.1\r\n")  # half a head, then nothing
            assert timed_credentials(served) < 2
        finally:
            for sock in idle:
                sock.close()


def test_a_slow_client_does_not_stop_others_and_is_dropped(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    with serve("dev") as served:
        slow = connect(served.port)
        stop = threading.Event()
        closed: List[float] = []

        def trickle() -> None:  # one byte every 0.3 s: the head never ends in time
            start = time.monotonic()
            try:
                for byte in b"GET /credentials HTTP/1.1\r\nX-Slow: " + b"a" * 200:
                    if stop.is_set():
                        return
                    slow.sendall(bytes([byte]))
                    time.sleep(0.3)
            except OSError:
                closed.append(time.monotonic() - start)

        thread = threading.Thread(target=trickle)
        thread.start()
        try:
            for _ in range(5):
                assert timed_credentials(served) < 2
                time.sleep(0.2)
            wait_until(lambda: bool(closed), 15, "the slow client dropped")
        finally:
            stop.set()
            thread.join()
            slow.close()
    assert 4 <= closed[0] < 12  # the head's 5 seconds, and the next write meets the close


def test_a_megabyte_of_header_is_refused_and_the_server_goes_on(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    with serve("dev") as served:
        sock = connect(served.port)
        head = (f"GET {served.path} HTTP/1.1\r\nAuthorization: {served.token}\r\n"
                f"X-Big: ").encode() + b"a" * (1 << 20)
        answer = b""
        try:
            sock.sendall(head + b"\r\n\r\n")
            answer = sock.recv(4096)
        except OSError:  # the server closed with our bytes unread: a reset
            pass
        finally:
            sock.close()
        assert answer == b"" or answer.startswith(b"HTTP/1.1 431 "), answer[:80]
        assert b"AccessKeyId" not in answer
        assert timed_credentials(served) < 2
        said = served.stop()
    assert "request head over 8 KiB (431)" in said


def test_fifty_parallel_requests_on_a_cold_cache_make_one_fetch(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    cache = aws_env.home / ".aws" / "cli" / "cache"
    with serve("dev") as served:
        for entry in cache.iterdir():  # what serve fetched before listening
            entry.unlink()
        before = aws_env.counters()["GetRoleCredentials"]
        barrier = threading.Barrier(50)
        results: List[Tuple[int, str]] = []

        def one() -> None:
            barrier.wait()
            results.append(request(served))

        threads = [threading.Thread(target=one) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert [status for status, _ in results] == [200] * 50
    assert aws_env.counters()["GetRoleCredentials"] - before == 1
    assert len({body for _, body in results if '"AccessKeyId"' in body}) >= 1


def other_addresses() -> List[Tuple[int, str]]:
    """This machine's addresses other than loopback: (family, address)."""
    found = []
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family in (socket.AF_INET, socket.AF_INET6):
                ip = address.address.split("%")[0]
                if not (ip.startswith("127.") or ip == "::1"):
                    found.append((address.family, ip))
    return found


def test_it_listens_on_127_0_0_1_only(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    with serve("dev") as served:
        process = psutil.Process(served.process.pid)
        connections = getattr(process, "net_connections", None) or process.connections
        listening = [c.laddr for c in connections("inet") if c.status == psutil.CONN_LISTEN]
        assert [(a.ip, a.port) for a in listening] == [("127.0.0.1", served.port)]
        for family, ip in other_addresses():
            with socket.socket(family, socket.SOCK_STREAM) as sock:
                sock.settimeout(2)
                assert sock.connect_ex((ip, served.port)) != 0, ip
        assert not port_open_on("::1", served.port)
        assert request(served)[0] == 200


def port_open_on(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def test_port_option_and_a_port_in_use(aws_env: AwsEnv) -> None:
    emulator_login(aws_env)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    with serve("dev", "--port", str(free)) as served:
        assert served.port == free and port_open(free)
        from tests.conftest import run_shellsso
        from tests.creds.test_rolecreds import one_error_line

        busy = run_shellsso("serve", "--profile", "dev", "--port", str(free))
        assert f"cannot listen on 127.0.0.1:{free}: " in one_error_line(busy)
    assert os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") is None
