"""How long each command takes to give up on an endpoint that never answers.

A listening socket on 127.0.0.1 accepts connections and never answers (a
firewall dropping replies, a hung proxy). With a private HOME and the test
config, it times a silent refresh (`awsuse dev` with an expired, refreshable
token), `shellsso login`, `shellsso export` (expired token) and
`shellsso credential-process` (valid token, so GetRoleCredentials is tried),
then ten refreshes started together, and prints each time next to its
documented bound (T + 1 s for a refresh, 2 x T + 2 s for the rest, T being
SHELLSSO_HTTP_TIMEOUT, default 5) plus Python's start-up.

    python benchmarks/bench_network.py [--timeout T] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.conftest import DEMO_CONFIG, write_token  # noqa: E402
from tests.corpus import killtrials  # noqa: E402
from tests.sso.test_network import BlackHole  # noqa: E402


def timed(argv: List[str], env: Dict[str, str]) -> tuple[float, str]:
    start = time.monotonic()
    done = subprocess.run(argv, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=600)
    return time.monotonic() - start, done.stderr.strip().splitlines()[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=None,
                        help="SHELLSSO_HTTP_TIMEOUT to set (default: unset, i.e. 5 s)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    hole = BlackHole()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        (home / ".aws").mkdir(parents=True)
        (home / ".aws" / "config").write_text(DEMO_CONFIG)
        env = killtrials.environment(home, hole.url)
        env["SHELLSSO_AUTO_LOGIN"] = "ask"  # not a terminal: no question, one line
        if args.timeout is not None:
            env["SHELLSSO_HTTP_TIMEOUT"] = str(args.timeout)
        t = args.timeout or 5.0
        cases = [
            ("refresh (awsuse dev)", killtrials.awsuse_argv("dev"), -60, t + 1),
            ("login", killtrials.shellsso_argv("login", "--profile", "dev"), -60, 2 * t + 2),
            ("export (expired token)", killtrials.shellsso_argv("export", "--profile", "dev"),
             -60, 2 * t + 2),
            ("credential-process (valid token)",
             killtrials.shellsso_argv("credential-process", "--profile", "dev"), 3600, 2 * t + 2),
        ]
        for name, argv, expires_in, bound in cases:
            samples, line = [], ""
            for _ in range(args.runs):
                write_token(home, "corp", expires_in, refresh_token="r")
                took, line = timed(argv, env)
                samples.append(took)
            print(f"{name:34} median {statistics.median(samples):5.2f} s "
                  f"(bound {bound:g} s + start-up): {line}")
        write_token(home, "corp", -60, refresh_token="r")
        before = len(hole.connections)
        start = time.monotonic()
        procs = [subprocess.Popen(killtrials.awsuse_argv("dev"), env=env,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for _ in range(10)]
        ends = []
        for proc in procs:
            proc.wait(600)
            ends.append(time.monotonic() - start)
        print(f"{'10 parallel refreshes':34} all done {max(ends):5.2f} s "
              f"(bound {t + 1:g} s + start-up), {len(hole.connections) - before} connection(s)")
    hole.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
