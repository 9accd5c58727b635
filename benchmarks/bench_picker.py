"""The picker (`awsuse -i`) by config size: time to open, time per keystroke.

Run: python benchmarks/bench_picker.py [--runs N] [--sizes 10,1000,10000]
The back end is started as the hook starts it (`python -E -S ...`) in a pty.
Open: from the start of the process to the end of the first drawn list; also
the opening right after the config file changed, when the config index and
the picker's rows are rebuilt. Keystroke: from sending one key (pexpect, no
send delay) to the end of the frame that shows its result; a query is typed
and erased again, a key at a time. Figures are medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from typing import Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import pexpect  # noqa: E402

from benchmarks.common import PYTHON, baseline, make_home, table  # noqa: E402

SIZES = (10, 1000, 10000)
LAUNCH = ("import sys;sys.path[0]=sys.argv.pop(1);import shellsso.shell.awsuse as u;"
          "sys.exit(getattr(u,sys.argv.pop(1))(sys.argv[1:]))")
FRAME_END = "\x1b[?25h"
QUERY = "admin eu"
ROLES = ("AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "Billing")
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "eu-central-1")


def config_text(count: int) -> str:
    """`count` SSO profiles with varied names, accounts, account names, roles and regions."""
    lines = ["[sso-session corp]", "sso_start_url = https://d-1234567890.awsapps.com/start",
             "sso_region = us-east-1", ""]
    for i in range(count):
        role = ROLES[i % len(ROLES)]
        lines += [
            f"[profile team{i // 40:03d}-acct{i // 4:04d}-{role.lower()}]" if i else
            "[profile dev]",
            "sso_session = corp",
            f"sso_account_id = {100000000000 + i // 4}",
            f"sso_account_name = Team {i // 40} account {i // 4}",
            f"sso_role_name = {role}",
            f"region = {REGIONS[(i // 4) % len(REGIONS)]}",
            "",
        ]
    return "\n".join(lines)


def picker_env(count: int) -> Dict[str, str]:
    env = make_home(count)
    with open(os.path.join(env["HOME"], ".aws", "config"), "w") as handle:
        handle.write(config_text(count))
    env.update(TERM="xterm", SHELLSSO_AUTO_LOGIN="never")
    # Warm the config index, as any earlier awsuse has.
    subprocess.run([PYTHON, "-E", "-S", "-c", LAUNCH, ROOT, "main", "bash", "dev"], env=env,
                   capture_output=True, check=True)
    return env


def one_run(env: Dict[str, str], opens: List[float], keys: List[float],
            stale: bool = False) -> None:
    """Open the picker, type QUERY and erase it a key at a time, leave with Esc.

    `stale`: the config changed just before (its caches are rebuilt on opening).
    """
    if stale:
        config = os.path.join(env["HOME"], ".aws", "config")
        with open(config, "a") as handle:
            handle.write("\n")
    start = time.perf_counter()
    child = pexpect.spawn(PYTHON, ["-E", "-S", "-c", LAUNCH, ROOT, "main", "bash", "-i"],
                          env=env, encoding="utf-8", timeout=10, dimensions=(40, 160))
    child.delaybeforesend = None
    child.expect_exact(FRAME_END)
    opens.append(time.perf_counter() - start)
    typed = ""
    steps = [("text", ch) for ch in QUERY] + [("back", "\x7f")] * len(QUERY)
    for kind, key in steps:
        typed = typed + key if kind == "text" else typed[:-1]
        t0 = time.perf_counter()
        child.send(key)
        child.expect_exact(f"> {typed}\r")
        child.expect_exact(FRAME_END)
        keys.append(time.perf_counter() - t0)
    child.send("\x1b")
    child.expect(pexpect.EOF)
    child.close()


def in_process_filter_ms(count: int) -> float:
    """The matcher alone: median ms to filter every row by a growing query."""
    from shellsso.picker.rows import Entry, filter_entries

    rows = [Entry(f"team{i // 40:03d}-acct{i // 4:04d}", str(100000000000 + i // 4),
                  f"Team {i // 40}", ROLES[i % 4], REGIONS[(i // 4) % 4]) for i in range(count)]
    samples = []
    for n in range(1, len(QUERY) + 1):
        t0 = time.perf_counter()
        filter_entries(rows, QUERY[:n])
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    args = parser.parse_args()
    base = baseline()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        env = picker_env(size)
        opens: List[float] = []
        keys: List[float] = []
        for _ in range(args.runs):
            one_run(env, opens, keys)
        stale: List[float] = []
        for _ in range(max(3, args.runs // 3)):
            one_run(env, stale, [], stale=True)
        rows.append([size, f"{statistics.median(opens) * 1000:.1f}",
                     f"{statistics.median(opens) / base:.2f}",
                     f"{statistics.median(keys) * 1000:.2f}", f"{max(keys) * 1000:.1f}",
                     f"{in_process_filter_ms(size):.2f}",
                     f"{statistics.median(stale) * 1000:.1f}"])
    print(f"python -c pass: {base * 1000:.1f} ms")
    print(table(rows, ["profiles", "open ms", "open/pass", "key ms (median)", "key ms (max)",
                       "filter only ms", "open ms, config changed"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
