"""Shell hot paths: the prompt hook, `awsuse PROFILE` and `awsuse <TAB>` by config size.

Run: python benchmarks/bench_shell.py [--runs N]
Figures are medians. `awsuse` is timed as the hook runs it (`python -E -S ...`)
and reported as a ratio to `python -c pass` measured in the same run.
Processes per prompt are counted exactly: the page faults of the children a
shell has waited for (/proc/PID/stat cminflt) stay 0 unless a child ran.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from benchmarks.common import PYTHON, baseline, make_home, median_seconds, table  # noqa: E402

SIZES = (10, 1000, 10000)
LAUNCH = ("import sys;sys.path[0]=sys.argv.pop(1);import shellsso.use as u;"
          "sys.exit(getattr(u,sys.argv.pop(1))(sys.argv[1:]))")
SHELL_ARGV = {
    "bash": ["bash", "--norc", "--noprofile", "-c"],
    "zsh": ["zsh", "-f", "-c"],
    "fish": ["fish", "--no-config", "-c"],
}
# One loop of N calls, timed by the shell itself (microseconds on stdout).
TIMED_LOOP = {
    "bash": 't0=$EPOCHREALTIME; for ((i = 0; i < {n}; i++)); do {call}; done; '
            't1=$EPOCHREALTIME; echo $(( (${{t1/./}} - ${{t0/./}}) / {n} ))',
    "zsh": 'zmodload zsh/datetime; t0=$EPOCHREALTIME; for ((i = 0; i < {n}; i++)); do {call}; '
           'done; t1=$EPOCHREALTIME; printf "%d\\n" $(( (t1 - t0) * 1e6 / {n} ))',
}


def hook(shell: str) -> str:
    out = subprocess.run([PYTHON, "-m", "shellsso", "init", shell], capture_output=True,
                         text=True, check=True, cwd=ROOT)
    return out.stdout


def shell_micros(shell: str, env: Dict[str, str], setup: str, call: str, n: int) -> float:
    """Microseconds per `call` after `setup`, in one shell process."""
    if shell in TIMED_LOOP:
        script = setup + "\n" + TIMED_LOOP[shell].format(n=n, call=call)
        out = subprocess.run([*SHELL_ARGV[shell], script], capture_output=True, text=True,
                             env=env)
        if out.returncode:
            raise RuntimeError(f"{shell}: {out.stderr.strip()}")
        return float(out.stdout.split()[-1])
    # fish has no clock builtin: the difference of two process runs.
    loop = f"for i in (seq {n}); {call}; end"
    with_loop = median_seconds([*SHELL_ARGV[shell], setup + "\n" + loop], 5, env)
    without = median_seconds([*SHELL_ARGV[shell], setup], 5, env)
    return max(with_loop - without, 0) / n * 1e6


def awsuse_row(size: int, base: float, runs: int) -> List[object]:
    env = make_home(size)
    argv = [PYTHON, "-E", "-S", "-c", LAUNCH, ROOT, "main", "bash", "dev"]
    subprocess.run(argv, env=env, capture_output=True, check=True)  # warm the index
    t = median_seconds(argv, runs, env)
    return ["awsuse dev (valid token)", size, f"{t * 1000:.1f}", f"{t / base:.2f}"]


def completion_rows(size: int) -> List[List[object]]:
    """Time per TAB once warm (names file written, no Python)."""
    env = make_home(size)
    rows: List[List[object]] = []
    for shell in ("bash", "zsh", "fish"):
        if shutil.which(shell) is None:
            continue
        if shell == "bash":
            setup = hook(shell) + "\nCOMP_WORDS=(awsuse p); COMP_CWORD=1; " \
                                  "__shellsso_complete_awsuse"
            call, what = "__shellsso_complete_awsuse", "awsuse p<TAB> (all match)"
        elif shell == "zsh":
            setup = hook(shell) + "\n__shellsso_load_names"
            call, what = "__shellsso_load_names", "load names (compadd filters in C)"
        else:
            setup = hook(shell) + "\ncomplete -C 'awsuse p' >/dev/null"
            call, what = "complete -C 'awsuse p' >/dev/null", "complete -C 'awsuse p'"
        micros = shell_micros(shell, env, setup, call, 5 if size >= 1000 else 50)
        rows.append([f"{shell}: {what}", size, f"{micros / 1000:.2f}", "-"])
    return rows


def prompt_rows() -> List[List[object]]:
    """Time per prompt hook call, with an SSO profile active (valid and expiring)."""
    rows: List[List[object]] = []
    calls = {"bash": "__shellsso_prompt", "zsh": "__shellsso_prompt",
             "fish": "__shellsso_on_prompt; __shellsso_segment >/dev/null"}
    for valid_for, label in ((8 * 3600, "valid"), (600, "expiring: re-reads the token")):
        env = make_home(10, token_valid_for=valid_for)
        for shell, call in calls.items():
            if shutil.which(shell) is None:
                continue
            setup = hook(shell) + "\nawsuse dev"
            micros = shell_micros(shell, env, setup, call, 200 if shell != "fish" else 20)
            rows.append([f"{shell}: prompt hook, {label}", 10, f"{micros / 1000:.3f}", "-"])
    return rows


def process_rows() -> List[List[object]]:
    """Child page faults per prompt in a real interactive shell (0 = no process started)."""
    from shellharness import ShellSession

    rows: List[List[object]] = []
    env = make_home(10, token_valid_for=600)
    for shell in ("bash", "zsh", "fish"):
        if shutil.which(shell) is None:
            continue
        session: Optional[ShellSession] = None
        try:
            session = ShellSession(shell, Path(env["HOME"]), env=env)
            session.run("awsuse dev")
            faults = session.child_faults_per_prompt(20)
            processes = "0" if faults == 0 else "1 (date)" if shell == "fish" else "> 0"
            rows.append([f"{shell}: interactive prompt (expiring session)", f"{faults:.0f}",
                         processes])
        finally:
            if session is not None:
                session.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    base = baseline(runs)
    rows: List[List[object]] = [["python -c pass", "-", f"{base * 1000:.1f}", "1.00"]]
    for size in SIZES:
        rows.append(awsuse_row(size, base, runs))
    for size in SIZES:
        rows += completion_rows(size)
    rows += prompt_rows()
    print(table(rows, ["what", "profiles", "median ms", "ratio to python -c pass"]))
    print()
    print(table(process_rows(),
                ["shell", "child page faults per prompt", "processes per prompt"]))


if __name__ == "__main__":
    main()
