"""Shell hot paths as a user meets them: `awsuse PROFILE`, TAB, the prompt, by config size.

Run: python benchmarks/bench_shell.py [--runs N] [--sizes 10,1000,10000]

Everything runs in a real interactive bash, zsh and fish under a pty, with
the hook as `shellsso init` prints it, its interpreter being a clean virtual
environment made by the benchmark (the same one gives the baseline):

- `awsuse dev` (valid token) is the shell function, timed by the shell around
  the call, next to `python -c pass` and `python -S -E -c pass` timed the
  same way in the same shell, interleaved. bash and zsh read their own clock
  (EPOCHREALTIME); fish has none, so it reads `date +%s%N` before and after,
  less the median of an empty interval.
- TAB: from the TAB keystroke to the echo of the key typed right after it
  (pexpect, no delay before sending): the time a user waits.
- the prompt hook, timed by the shell over many calls; processes per prompt
  counted from the page faults of the shell's waited-for children.

Figures are medians.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from benchmarks.common import PYTHON, clean_python, make_home, table  # noqa: E402

SHELLS = ("bash", "zsh", "fish")
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
# `__bench NAME CMD...` prints `T NAME MICROSECONDS` for one call of CMD.
TIMER = {
    "bash": '__bench() { local n=$1 s e; shift; s=$EPOCHREALTIME; "$@" >/dev/null 2>&1; '
            'e=$EPOCHREALTIME; printf "T %s %d\\n" "$n" $(( ${e/./} - ${s/./} )); }',
    "zsh": 'zmodload zsh/datetime; __bench() { local n=$1 s e; shift; s=$EPOCHREALTIME; '
           '"$@" >/dev/null 2>&1; e=$EPOCHREALTIME; '
           'printf "T %s %d\\n" "$n" $(( (e - s) * 1000000 )); }',
    "fish": 'function __bench; set -l n $argv[1]; set -l s (date +%s%N); '
            'eval $argv[2..-1] >/dev/null 2>&1; set -l e (date +%s%N); '
            'printf "T %s %d\\n" $n (math --scale 0 "($e - $s) / 1000"); end',
}


def hook(shell: str, python: str) -> str:
    """The hook as `shellsso init` prints it, run by `python` (the clean environment)."""
    out = subprocess.run([PYTHON, "-m", "shellsso", "init", shell], capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout
    if shell == "fish":
        return re.sub(r"^set -g _SHELLSSO_PYTHON .*$", f"set -g _SHELLSSO_PYTHON '{python}'",
                      out, count=1, flags=re.M)
    return re.sub(r"^(typeset -g )?_SHELLSSO_PYTHON=.*$", rf"\g<1>_SHELLSSO_PYTHON='{python}'",
                  out, count=1, flags=re.M)


def session(shell: str, env: Dict[str, str], python: str) -> object:
    """An interactive shell under a pty with the hook loaded from a file."""
    from tests.shell.harness import ShellSession

    home = Path(env["HOME"])
    path = home / f"hook.{shell}"
    path.write_text(hook(shell, python))
    sh = ShellSession(shell, home, env=dict(env, LC_ALL="C"), load=False, timeout=60)
    sh.run(f"source {path}")
    sh.child.delaybeforesend = None
    return sh


def awsuse_rows(sizes: List[int], runs: int, python: str) -> List[List[object]]:
    """`awsuse dev` in each shell against python -c pass / -S -E -c pass, same shell."""
    rows: List[List[object]] = []
    for size in sizes:
        env = make_home(size)
        for shell in SHELLS:
            if shutil.which(shell) is None:
                continue
            sh = session(shell, env, python)
            try:
                sh.run("awsuse dev")  # warm the index and the OS caches
                sh.run(TIMER[shell])
                quoted = f"'{python}'"
                loop = (f"__bench awsuse awsuse dev; __bench pass {quoted} -c pass; "
                        f"__bench nosite {quoted} -S -E -c pass; __bench empty true")
                if shell == "fish":
                    out = sh.run(f"for i in (seq {runs}); {loop}; end", timeout=600)
                else:
                    out = sh.run(f"for i in $(seq {runs}); do {loop}; done", timeout=600)
            finally:
                sh.close()
            samples: Dict[str, List[float]] = {}
            for name, micros in re.findall(r"^T (\w+) (\d+)", out, re.M):
                samples.setdefault(name, []).append(int(micros) / 1000)
            med = {name: statistics.median(values) for name, values in samples.items()}
            empty = med["empty"] if shell == "fish" else 0.0
            awsuse, bare, nosite = (med[k] - empty for k in ("awsuse", "pass", "nosite"))
            rows.append([shell, size, f"{awsuse:.1f}", f"{bare:.1f}", f"{nosite:.1f}",
                         f"{awsuse / bare:.2f}x"])
    return rows


def tab_rows(sizes: List[int], runs: int, python: str) -> List[List[object]]:
    """TAB to the echo of the next key, in a real pty, for a unique and an ambiguous prefix."""
    rows: List[List[object]] = []
    for size in sizes:
        env = make_home(size)
        for shell in SHELLS:
            if shutil.which(shell) is None:
                continue
            sh = session(shell, env, python)
            child = sh.child  # type: ignore[attr-defined]
            try:
                sh.complete("awsuse de")  # type: ignore[attr-defined]  # writes the names cache
                for prefix in ("de", "p"):
                    samples = []
                    for _ in range(runs):
                        child.send("awsuse " + prefix)
                        child.expect_exact("awsuse " + prefix)
                        time.sleep(0.02)
                        start = time.perf_counter()
                        child.send("\t")
                        child.send("Z")
                        # zsh asks before listing thousands of names: the key answers it.
                        child.expect([r"Z", r"possibilities"], timeout=60)
                        samples.append(time.perf_counter() - start)
                        # Ctrl-C drops the line; Enter makes sure a fresh prompt follows.
                        child.sendcontrol("c")
                        time.sleep(0.05)
                        child.sendline("")
                        sh._prompt()  # type: ignore[attr-defined]
                    what = "unique (de)" if prefix == "de" else "all match (p)"
                    rows.append([shell, size, what,
                                 f"{statistics.median(samples) * 1000:.1f}"])
            finally:
                sh.close()  # type: ignore[attr-defined]
    return rows


def shell_micros(shell: str, env: Dict[str, str], setup: str, call: str, n: int) -> float:
    """Microseconds per `call` after `setup`, in one shell process."""
    from benchmarks.common import median_seconds

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


def prompt_rows(python: str) -> List[List[object]]:
    """Time per prompt hook call, with an SSO profile active (valid and expiring)."""
    rows: List[List[object]] = []
    calls = {"bash": "__shellsso_prompt", "zsh": "__shellsso_prompt",
             "fish": "__shellsso_on_prompt; __shellsso_segment >/dev/null"}
    for valid_for, label in ((8 * 3600, "valid"), (600, "expiring: re-reads the token")):
        env = make_home(10, token_valid_for=valid_for)
        for shell, call in calls.items():
            if shutil.which(shell) is None:
                continue
            setup = hook(shell, python) + "\nawsuse dev"
            micros = shell_micros(shell, env, setup, call, 200 if shell != "fish" else 20)
            rows.append([shell, f"prompt hook, {label}", f"{micros / 1000:.3f}"])
    return rows


def process_rows(python: str) -> List[List[object]]:
    """Child page faults per prompt in a real interactive shell (0 = no process started)."""
    rows: List[List[object]] = []
    env = make_home(10, token_valid_for=600)
    for shell in SHELLS:
        if shutil.which(shell) is None:
            continue
        sh: Optional[object] = None
        try:
            sh = session(shell, env, python)
            sh.run("awsuse dev")  # type: ignore[attr-defined]
            faults = sh.child_faults_per_prompt(20)  # type: ignore[attr-defined]
            processes = "0" if faults == 0 else "1 (date)" if shell == "fish" else "> 0"
            rows.append([shell, f"{faults:.0f}", processes])
        finally:
            if sh is not None:
                sh.close()  # type: ignore[attr-defined]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--only", choices=["awsuse", "tab", "prompt"], default=None)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    python = clean_python()
    print(f"interpreter: {python} (clean virtual environment)\n")
    if args.only in (None, "awsuse"):
        print(table(awsuse_rows(sizes, args.runs, python),
                    ["shell", "profiles", "awsuse dev ms", "python -c pass ms",
                     "python -S -E -c pass ms", "awsuse / -c pass"]))
        print()
    if args.only in (None, "tab"):
        print(table(tab_rows(sizes, args.runs, python),
                    ["shell", "profiles", "prefix", "TAB to next echo ms"]))
        print()
    if args.only in (None, "prompt"):
        print(table(prompt_rows(python), ["shell", "what", "median ms per call"]))
        print()
        print(table(process_rows(python),
                    ["shell", "child page faults per prompt", "processes per prompt"]))


if __name__ == "__main__":
    main()
