"""What a credential fetch costs a client: from `shellsso serve`'s endpoint (warm) against
running `shellsso credential-process`, both answered from the AWS CLI cache.

The HOME is bench_export's (fresh role credentials for `dev` in `~/.aws/cli/cache`, every
AWS endpoint on a closed port, so any network call would fail). The endpoint is timed as
botocore fetches from it (`ContainerMetadataFetcher.retrieve_full_uri`, in this process),
and as one raw HTTP GET; `credential-process` as botocore runs it (a process per fetch,
the console script of a clean environment that sees shellsso only). Medians, interleaved.

    python benchmarks/bench_endpoint.py [--runs 40]
"""

from __future__ import annotations

import argparse
import http.client
import os
import shlex
import signal
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, List, Tuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.bench_export import KEY_ID, prepare, timed  # noqa: E402
from benchmarks.common import cli_python, cli_script, table  # noqa: E402


def start_serve(program: str, env: Dict[str, str]) -> Tuple[subprocess.Popen[str], str, str]:
    """`shellsso serve --profile dev`, and the URI and token it printed."""
    process = subprocess.Popen([program, "serve", "--profile", "dev"], env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    found = {}
    for _ in range(2):
        name, _, value = shlex.split(process.stdout.readline())[1].partition("=")
        found[name] = value
    return (process, found["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
            found["AWS_CONTAINER_AUTHORIZATION_TOKEN"])


def raw_get(uri: str, token: str) -> Callable[[], float]:
    from urllib.parse import urlsplit

    parts = urlsplit(uri)

    def run() -> float:
        start = time.perf_counter()
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
        connection.request("GET", parts.path, headers={"Authorization": token})
        body = connection.getresponse().read()
        connection.close()
        took = time.perf_counter() - start
        assert KEY_ID.encode() in body, body
        return took

    return run


def botocore_fetch(uri: str, token: str) -> Callable[[], float]:
    from botocore.utils import ContainerMetadataFetcher

    fetcher = ContainerMetadataFetcher()

    def run() -> float:
        start = time.perf_counter()
        answer = fetcher.retrieve_full_uri(uri, headers={"Authorization": token})
        took = time.perf_counter() - start
        assert answer["AccessKeyId"] == KEY_ID
        return took

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    python = cli_python()
    program = cli_script(python)
    env = prepare()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    process, uri, token = start_serve(program, env)
    try:
        process_argv = [program, "credential-process", "--profile", "dev"]
        timers: Dict[str, Callable[[], float]] = {
            "endpoint, botocore's fetcher": botocore_fetch(uri, token),
            "endpoint, one HTTP GET": raw_get(uri, token),
            "credential-process (a process)": lambda: timed(process_argv, env),
        }
        samples: Dict[str, List[float]] = {name: [] for name in timers}
        for _ in range(3):  # warm the config index, the OS caches, the server's imports
            for run in timers.values():
                run()
        for _ in range(args.runs):
            for name, run in timers.items():
                samples[name].append(run())
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    medians = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    slowest = medians["credential-process (a process)"]
    rows = [(name, f"{ms:.2f} ms", f"{slowest / ms:.1f}x faster" if ms < slowest else "")
            for name, ms in medians.items()]
    print(table(rows, ("credential fetch (warm cache)", "median", "")))
    print(f"({args.runs} runs each, interleaved)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
