"""How much the commands that only read caches cost: `shellsso export`,
`credential-process` and `status`, when the CLI cache serves the credentials.

Runs each (`shellsso export --profile dev`, ...) against a private HOME whose
`~/.aws/cli/cache` holds fresh role credentials in the AWS CLI's format, with
the SSO and STS endpoints pointed at a closed port (any network call would
fail), and compares its median wall time with `python -c pass` in a clean
virtual environment on the same interpreter, measured in the same run,
interleaved. Also checks that boto3 is never imported.

    python benchmarks/bench_export.py [--runs 40] [--max-ratio R]

The console script is what users and SDKs run (`credential_process = shellsso
credential-process ...`); `-m shellsso` pays for runpy on top and is timed with
`--module`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Dict, List

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import START_URL, clean_python, cli_python, cli_script, make_home  # noqa: E402
from shellsso.awsconfig.model import SsoTarget  # noqa: E402
from shellsso.creds.role_credentials import role_cache_key  # noqa: E402

KEY_ID = "ASIABENCHMARK0000001"
# `dev` as benchmarks.common.config_text writes it.
DEV = SsoTarget("dev", "corp", START_URL, "us-east-1", None, "100000000000",
                "AdministratorAccess")

def prepare() -> Dict[str, str]:
    """The benchmark HOME (common.make_home) plus a fresh role-credential entry for
    `dev` in the AWS CLI's format, every AWS endpoint on a closed port; its env."""
    env = make_home(1)
    cache = os.path.join(env["HOME"], ".aws", "cli", "cache")
    os.makedirs(cache)
    expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    entry = {"ProviderType": "sso", "Credentials": {
        "AccessKeyId": KEY_ID, "SecretAccessKey": "secret", "SessionToken": "token",
        "Expiration": expiration, "AccountId": DEV.account_id}}
    with open(os.path.join(cache, role_cache_key(DEV) + ".json"), "w") as handle:
        json.dump(entry, handle)
    env.pop("NO_COLOR", None)
    env.update({
        "AWS_ENDPOINT_URL_SSO": "http://127.0.0.1:9",
        "AWS_ENDPOINT_URL_SSO_OIDC": "http://127.0.0.1:9",
        "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9",
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    return env


def timed(argv: List[str], env: Dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--max-ratio", type=float, default=None,
                        help="exit 1 when the median ratio exceeds this")
    parser.add_argument("--no-bytecode", action="store_true",
                        help="keep PYTHONDONTWRITEBYTECODE (every run compiles shellsso's "
                             "sources); by default .pyc files are used, as after pip install")
    parser.add_argument("--module", action="store_true",
                        help="run `python -m shellsso` instead of the `shellsso` script")
    args = parser.parse_args()
    # shellsso as installed: a clean environment that sees it and its dependencies only.
    python = cli_python()
    program = [python, "-m", "shellsso"] if args.module else [cli_script(python)]
    commands = {
        "export": [*program, "export", "--profile", "dev"],
        "credential-process": [*program, "credential-process", "--profile", "dev"],
        "status": [*program, "status", "--profile", "dev"],
    }
    bare = [clean_python(), "-c", "pass"]
    env = prepare()
    if not args.no_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    failed = False
    for name, argv in commands.items():
        check = subprocess.run([python, "-X", "importtime", "-m", "shellsso", *argv[-3:]],
                               env=env, capture_output=True, text=True,
                               stdin=subprocess.DEVNULL)
        if check.returncode != 0 or (name != "status" and KEY_ID not in check.stdout):
            print(f"{name} failed: {check.stderr.strip()}", file=sys.stderr)
            return 1
        imported = {line.rsplit("|", 1)[-1].strip().split(".")[0]
                    for line in check.stderr.splitlines() if line.startswith("import time:")}
        for _ in range(3):  # warm the config index and the OS caches
            timed(argv, env)
            timed(bare, env)
        runs, bares = [], []
        for _ in range(args.runs):
            runs.append(timed(argv, env))
            bares.append(timed(bare, env))
        run_ms = statistics.median(runs) * 1000
        bare_ms = statistics.median(bares) * 1000
        ratio = run_ms / bare_ms
        print(f"shellsso {name:<20} median {run_ms:6.1f} ms, python -c pass {bare_ms:5.1f} ms: "
              f"{ratio:.2f}x ({args.runs} runs each, interleaved, "
              f"{'no ' if args.no_bytecode else ''}bytecode cache; boto3 imported: "
              f"{'boto3' in imported or 'botocore' in imported})")
        if "boto3" in imported or "botocore" in imported:
            failed = True
        if args.max_ratio is not None and ratio > args.max_ratio:
            print(f"ratio above {args.max_ratio}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
