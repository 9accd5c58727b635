"""How much `shellsso export` costs when the CLI cache serves the credentials.

Runs `shellsso export --profile dev` against a private HOME whose
`~/.aws/cli/cache` holds fresh role credentials in the AWS CLI's format, with
the SSO and STS endpoints pointed at a closed port (any network call would
fail), and compares its median wall time with a bare `<python> -c pass`
measured in the same run, interleaved. Also checks that boto3 is never imported.

    python benchmarks/bench_export.py [--runs 40] [--max-ratio R]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List

CONFIG = """\
[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = AdministratorAccess
region = us-west-2
"""


def prepare(home: str) -> Dict[str, str]:
    """A HOME with the config and a fresh CLI-format role-credential entry; its env."""
    aws = os.path.join(home, ".aws")
    cache = os.path.join(aws, "cli", "cache")
    os.makedirs(cache)
    with open(os.path.join(aws, "config"), "w") as handle:
        handle.write(CONFIG)
    key = {"accountId": "111111111111", "roleName": "AdministratorAccess", "sessionName": "corp"}
    digest = hashlib.sha1(json.dumps(key, sort_keys=True, separators=(",", ":")).encode())
    expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    entry = {"ProviderType": "sso", "Credentials": {
        "AccessKeyId": "ASIABENCHMARK0000001", "SecretAccessKey": "secret",
        "SessionToken": "token", "Expiration": expiration, "AccountId": "111111111111"}}
    with open(os.path.join(cache, digest.hexdigest() + ".json"), "w") as handle:
        json.dump(entry, handle)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "SHELLSSO_", "_AWS_CLI"))}
    env.update({
        "HOME": home,
        "XDG_CACHE_HOME": os.path.join(home, ".cache"),
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
    args = parser.parse_args()
    export = [sys.executable, "-m", "shellsso", "export", "--profile", "dev"]
    bare = [sys.executable, "-c", "pass"]
    with tempfile.TemporaryDirectory() as home:
        env = prepare(home)
        if not args.no_bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        check = subprocess.run([sys.executable, "-X", "importtime", *export[1:]], env=env,
                               capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if check.returncode != 0 or "ASIABENCHMARK0000001" not in check.stdout:
            print(f"export failed: {check.stderr.strip()}", file=sys.stderr)
            return 1
        imported = {line.rsplit("|", 1)[-1].strip().split(".")[0]
                    for line in check.stderr.splitlines() if line.startswith("import time:")}
        for _ in range(3):  # warm the config index and the OS caches
            timed(export, env)
            timed(bare, env)
        exports, bares = [], []
        for _ in range(args.runs):
            exports.append(timed(export, env))
            bares.append(timed(bare, env))
    export_ms = statistics.median(exports) * 1000
    bare_ms = statistics.median(bares) * 1000
    ratio = export_ms / bare_ms
    print(f"python -c pass          median {bare_ms:7.1f} ms")
    print(f"shellsso export (cache) median {export_ms:7.1f} ms")
    print(f"ratio                          {ratio:7.2f}x  ({args.runs} runs each, interleaved, "
          f"{'no ' if args.no_bytecode else ''}bytecode cache)")
    print(f"boto3 imported: {'boto3' in imported}; botocore imported: {'botocore' in imported}")
    if "boto3" in imported or "botocore" in imported:
        return 1
    if args.max_ratio is not None and ratio > args.max_ratio:
        print(f"ratio above {args.max_ratio}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
