"""How long `shellsso populate` takes for a large organisation.

Starts the emulator in its own process with a generated organisation
(`--accounts 500 --roles 3` by default), logs in once, then times
`shellsso populate --sso-session corp --yes` on a config holding only the
session (the first run: every page of ListAccounts, one ListAccountRoles per
account, 1,500 profiles written) and again on the populated config (the
re-run: the same calls, nothing to write). Medians of --runs runs.

    python benchmarks/bench_populate.py [--accounts 500] [--roles 3] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from typing import Dict, List

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import PYTHON, START_URL, make_home  # noqa: E402

SESSION = f"""\
[sso-session corp]
sso_start_url = {START_URL}
sso_region = us-east-1
sso_registration_scopes = sso:account:access
"""


def start_emulator(accounts: int, roles: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [PYTHON, "-m", "shellsso", "emulator", "--quiet", "--accounts", str(accounts),
         "--roles", str(roles)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
    if not match:
        proc.terminate()
        raise SystemExit(f"the emulator did not start: {first!r}")
    return proc, match.group(1)


def timed(argv: List[str], env: Dict[str, str]) -> float:
    start = time.perf_counter()
    out = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(argv[2:])} failed: {out.stderr.strip()}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--roles", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    proc, url = start_emulator(args.accounts, args.roles)
    try:
        env = make_home(0)
        config = os.path.join(env["HOME"], ".aws", "config")
        env.update(AWS_ENDPOINT_URL_SSO_OIDC=url, AWS_ENDPOINT_URL_SSO=url,
                   BROWSER=f"{PYTHON} -m shellsso.emulator.browser %s")
        with open(config, "w") as handle:
            handle.write(SESSION)
        timed([PYTHON, "-m", "shellsso", "login", "--sso-session", "corp"], env)
        populate = [PYTHON, "-m", "shellsso", "populate", "--sso-session", "corp", "--yes"]
        first: List[float] = []
        again: List[float] = []
        for _ in range(args.runs):
            with open(config, "w") as handle:
                handle.write(SESSION)
            first.append(timed(populate, env))
            again.append(timed(populate, env))
        with open(config) as handle:
            profiles = handle.read().count("[profile ")
    finally:
        proc.terminate()
        proc.wait()
    size = f"{args.accounts}x{args.roles}"
    print(f"populate {size}, first run ({profiles} profiles written): "
          f"median {statistics.median(first):.2f} s over {args.runs} runs "
          f"(min {min(first):.2f}, max {max(first):.2f})")
    print(f"populate {size}, re-run (nothing to change): "
          f"median {statistics.median(again):.2f} s (min {min(again):.2f}, max {max(again):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
