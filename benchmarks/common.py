"""Shared benchmark helpers: medians of repeated runs, as ratios to a baseline.

These machines are shared and noisy, so every figure is a median over many
runs and is reported next to `python -c pass` measured in the same run. The
baseline is the interpreter the hook runs, in a clean virtual environment
made here (no site-packages of its own): the `-c pass` of an interpreter with
dozens of packages is slower, and would flatter every ratio.
"""

from __future__ import annotations

import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence

PYTHON = sys.executable
START_URL = "https://d-1234567890.awsapps.com/start"


def median_seconds(
    argv: Sequence[str], runs: int = 21, env: Optional[Dict[str, str]] = None
) -> float:
    """Median wall time of running `argv` to completion (output discarded)."""
    samples: List[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


_CLEAN: List[str] = []


def temp_folder(prefix: str) -> str:
    """A new folder in the temp directory, removed when the benchmark's process ends."""
    folder = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def clean_python() -> str:
    """The python of a fresh, empty virtual environment on this interpreter (made once)."""
    if not _CLEAN:
        base = getattr(sys, "_base_executable", None) or sys.executable
        folder = temp_folder("shellsso-bench-venv-")
        subprocess.run([base, "-m", "venv", "--without-pip", folder], check=True)
        _CLEAN.append(os.path.join(folder, "bin", "python"))
    return _CLEAN[0]


def cli_python() -> str:
    """A second clean environment that sees shellsso and its dependencies, as an install does.

    One `.pth` line names this checkout and one the site-packages folder the
    benchmark runs from (so boto3 is found there when a command needs it);
    that folder's own `.pth` files are not run, so its other packages cost
    nothing at start-up: as in a venv holding only shellsso and what it needs.
    """
    import sysconfig

    folder = temp_folder("shellsso-bench-cli-")
    base = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", "--without-pip", folder], check=True)
    python = os.path.join(folder, "bin", "python")
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(site.stdout.strip(), "shellsso-bench.pth"), "w") as handle:
        handle.write(f"{root}\n{sysconfig.get_paths()['purelib']}\n")
    return python


def baseline(runs: int = 21) -> float:
    """`python -c pass` in the clean virtual environment."""
    return median_seconds([clean_python(), "-c", "pass"], runs)


def baseline_no_site(runs: int = 21) -> float:
    """`python -S -E -c pass` in the clean virtual environment (how the hook starts Python)."""
    return median_seconds([clean_python(), "-S", "-E", "-c", "pass"], runs)


def config_text(count: int) -> str:
    """An AWS config with `count` SSO profiles on one sso-session (plus the session)."""
    lines = [
        "[sso-session corp]",
        f"sso_start_url = {START_URL}",
        "sso_region = us-east-1",
        "sso_registration_scopes = sso:account:access",
        "",
    ]
    for i in range(count):
        lines += [
            f"[profile p{i:05d}]" if i else "[profile dev]",
            "sso_session = corp",
            f"sso_account_id = {100000000000 + i}",
            "sso_role_name = AdministratorAccess",
            "region = us-east-1",
            "",
        ]
    return "\n".join(lines)


def make_home(count: int, token_valid_for: float = 8 * 3600) -> Dict[str, str]:
    """A temp HOME with `count` profiles and a valid token; returns the environment."""
    import hashlib
    import json

    home = temp_folder("shellsso-bench-")
    os.makedirs(os.path.join(home, ".aws", "sso", "cache"))
    with open(os.path.join(home, ".aws", "config"), "w") as handle:
        handle.write(config_text(count))
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + token_valid_for))
    token = {"startUrl": START_URL, "region": "us-east-1", "accessToken": "bench",
             "expiresAt": expires}
    name = hashlib.sha1(b"corp").hexdigest() + ".json"
    with open(os.path.join(home, ".aws", "sso", "cache", name), "w") as handle:
        json.dump(token, handle)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SHELLSSO_"))}
    env.update(HOME=home, XDG_CACHE_HOME=os.path.join(home, ".cache"), NO_COLOR="1")
    return env


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    """A plain aligned text table."""
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cli_script(python: str) -> str:
    """The `shellsso` program as pip writes a console script, next to `python`: what users
    and SDKs run (a `credential_process` line names it)."""
    path = os.path.join(os.path.dirname(python), "shellsso")
    with open(path, "w", encoding="utf-8") as script:
        script.write(f"#!{python}\n# -*- coding: utf-8 -*-\nimport re\nimport sys\n"
                     "from shellsso.cli import main\n"
                     "if __name__ == '__main__':\n"
                     "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
                     "    sys.exit(main())\n")
    os.chmod(path, 0o755)
    return path
