"""How long `shellsso doctor` takes on a healthy profile.

Starts the bundled emulator, logs in for real (device flow), gives the HOME
private modes and puts a stub `aws` (answering `aws-cli/2.36.7`) first on
PATH, then times `shellsso doctor --profile dev` against a clean virtual environment's
`python -c pass` measured in the same run, interleaved. Two figures: with the role
credentials in the CLI cache (the usual case: no boto3, one GET for the
portal's clock) and with the cache emptied before each run (one
GetRoleCredentials through boto3). The stub stands for the AWS CLI, whose own
start-up (`aws --version`) is not shellsso's to measure.

    python benchmarks/bench_doctor.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from typing import Dict, List

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import START_URL, clean_python, cli_python, make_home  # noqa: E402
from shellsso.emulator import Emulator  # noqa: E402


def login(emulator: Emulator, env: Dict[str, str]) -> None:
    """A real token from the emulator, written where the AWS CLI writes it."""
    import hashlib

    import boto3

    client = boto3.session.Session().client(
        "sso-oidc", region_name="us-east-1", endpoint_url=emulator.url,
        aws_access_key_id="x", aws_secret_access_key="x")
    reg = client.register_client(clientName="bench", clientType="public",
                                 scopes=["sso:account:access"])
    auth = client.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=START_URL)
    emulator.approve(auth["userCode"])
    token = client.create_token(
        grantType="urn:ietf:params:oauth:grant-type:device_code", deviceCode=auth["deviceCode"],
        clientId=reg["clientId"], clientSecret=reg["clientSecret"])
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    data = {"startUrl": START_URL, "region": "us-east-1", "accessToken": token["accessToken"],
            "expiresAt": time.strftime(fmt, time.gmtime(time.time() + token["expiresIn"])),
            "clientId": reg["clientId"], "clientSecret": reg["clientSecret"],
            "registrationExpiresAt": time.strftime(fmt, time.gmtime(reg["clientSecretExpiresAt"])),
            "refreshToken": token["refreshToken"]}
    path = os.path.join(env["HOME"], ".aws", "sso", "cache",
                        hashlib.sha1(b"corp").hexdigest() + ".json")
    with open(path, "w") as handle:
        json.dump(data, handle)


def prepare(emulator: Emulator) -> Dict[str, str]:
    env = make_home(10)
    config = os.path.join(env["HOME"], ".aws", "config")
    with open(config) as handle:  # `dev` in an account of the emulator's organisation
        text = handle.read().replace("100000000000", "111111111111", 1)
    with open(config, "w") as handle:
        handle.write(text)
    login(emulator, env)
    stub = os.path.join(env["HOME"], "bin")
    os.makedirs(stub)
    with open(os.path.join(stub, "aws"), "w") as handle:
        handle.write("#!/bin/sh\necho 'aws-cli/2.36.7 Python/3.13.7 Linux/6.8 exe/x86_64'\n")
    os.chmod(os.path.join(stub, "aws"), 0o755)
    for root, _dirs, files in os.walk(os.path.join(env["HOME"], ".aws")):
        os.chmod(root, 0o700)
        for name in files:
            os.chmod(os.path.join(root, name), 0o600)
    env.update(AWS_ENDPOINT_URL_SSO=emulator.url, AWS_ENDPOINT_URL_SSO_OIDC=emulator.url,
               AWS_EC2_METADATA_DISABLED="true", PATH=f"{stub}:/usr/bin:/bin")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed(argv: List[str], env: Dict[str, str], expect: int = 0) -> float:
    start = time.perf_counter()
    result = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != expect:
        sys.exit(f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout.decode()}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    # As a user runs it: from an environment holding shellsso and its dependencies
    # only, against a clean virtual environment's start-up (benchmarks/common.py).
    doctor = [cli_python(), "-m", "shellsso", "doctor", "--profile", "dev"]
    bare = [clean_python(), "-c", "pass"]
    with Emulator() as emulator:
        env = prepare(emulator)
        cache = os.path.join(env["HOME"], ".aws", "cli", "cache")
        for _ in range(3):  # warm the config index, the bytecode and the OS caches
            timed(doctor, env)
            timed(bare, env)
        warm, cold, bares = [], [], []
        for _ in range(args.runs):
            warm.append(timed(doctor, env))
            bares.append(timed(bare, env))
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(timed(doctor, env))
    bare_ms = statistics.median(bares) * 1000
    for label, samples in (("credentials cached", warm), ("one GetRoleCredentials", cold)):
        ms = statistics.median(samples) * 1000
        print(f"shellsso doctor, {label:<22} median {ms:7.1f} ms  {ms / bare_ms:5.2f}x")
    print(f"python -c pass                           median {bare_ms:7.1f} ms  "
          f"({args.runs} runs each, interleaved)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
