"""Core speed: config reading, CLI import cost, `shellsso status` and `list` by config size.

Run: python benchmarks/bench_core.py [--runs N]
Figures are medians, as ratios to `python -c pass` in a clean virtual environment
(benchmarks.common).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import (  # noqa: E402
    PYTHON,
    baseline,
    clean_python,
    cli_python,
    make_home,
    median_seconds,
    table,
)

SIZES = (10, 1000, 10000)


def cli_import_modules() -> bool:
    """True when importing the CLI module pulls in boto3 or botocore (it must not)."""
    code = "import sys, shellsso.cli; print(any(m.split('.')[0] in ('boto3','botocore') "\
        "for m in sys.modules))"
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip() == "True"


# Timed inside a fresh interpreter (as the hooks start it), with the config index warm.
CONFIG_OPS = {
    "config: list profile names": "load_config().names()",
    "config: resolve one profile": "load_config().sso_target('dev')",
}
CONFIG_CODE = (
    "import sys, time; sys.path[0] = sys.argv[1]; t = time.perf_counter(); "
    "from shellsso.awsconfig.model import load_config; {op}; "
    "print(time.perf_counter() - t)"
)


def in_process_seconds(op: str, env: dict, runs: int) -> float:
    """Median seconds of `op` (imports included) measured inside the interpreter."""
    import statistics

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    argv = [clean_python(), "-E", "-S", "-c", CONFIG_CODE.format(op=op), root]
    samples = [float(subprocess.run(argv, env=env, capture_output=True, text=True,
                                    check=True).stdout) for _ in range(runs)]
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    base = baseline(runs)
    rows = [["python -c pass", "-", f"{base * 1000:.1f}", "1.00"]]
    cli = cli_python()  # the CLI as installed: shellsso and its dependencies only
    imp = median_seconds([cli, "-c", "import shellsso.cli"], runs)
    rows.append(["import shellsso.cli", "-", f"{imp * 1000:.1f}", f"{imp / base:.2f}"])
    for size in SIZES:
        env = make_home(size)
        for label, op in CONFIG_OPS.items():
            t = in_process_seconds(op, env, runs)
            rows.append([label, size, f"{t * 1000:.2f}", f"{t / base:.3f}"])
        for label, argv in (
            ("shellsso status --profile dev", ["status", "--profile", "dev"]),
            ("shellsso list", ["list"]),
        ):
            cmd = [cli, "-m", "shellsso", *argv]
            subprocess.run(cmd, env=env, capture_output=True, check=False)  # warm the index
            t = median_seconds(cmd, runs, env)
            rows.append([label, size, f"{t * 1000:.1f}", f"{t / base:.2f}"])
    print(table(rows, ["command", "profiles", "median ms", "ratio to python -c pass"]))
    print(f"\nimporting shellsso.cli imports boto3/botocore: {cli_import_modules()}")


if __name__ == "__main__":
    main()
