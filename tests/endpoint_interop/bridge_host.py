"""The bridge-network recipe of docs/serve-recipes.md, played in network namespaces.

Run by tests/endpoint_interop/test_docker_bridge.py as root inside a new network namespace
(`unshare --net`), which stands for the docker host, so that nothing of the real machine's
network is touched. Here it starts the emulator and `shellsso serve` on this "host"'s
127.0.0.1, gives a bridge interface (a veth pair, as docker0 and a container's eth0 are) the
host address 172.31.0.1 and the recipe's 169.254.170.2, relays 169.254.170.2:PORT to the
endpoint (socat when installed, as the recipe says; else a few lines of Python doing the
same), and runs a client in a second namespace, the "container", whose only way out is the
bridge. It prints one JSON line of what the client saw.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Dict, List

from shellsso.emulator import Emulator
from tests.conftest import AwsEnv, write_config
from tests.creds.test_rolecreds import emulator_login

ECS_ADDRESS = "169.254.170.2"
RELAY_PORT = 80
CLIENT = """
import json, os, sys
import botocore.session
from botocore.exceptions import BotoCoreError
try:
    creds = botocore.session.get_session().get_credentials()
    print(json.dumps({"key": creds.get_frozen_credentials().access_key, "method": creds.method}))
except BotoCoreError as error:
    print(json.dumps({"error": str(error)}))
"""


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def python_relay(listen: socket.socket, target: int) -> None:
    """What `socat TCP-LISTEN:...,fork TCP:127.0.0.1:PORT` does, for a machine without socat."""
    def pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    while True:
        conn, _ = listen.accept()
        upstream = socket.create_connection(("127.0.0.1", target))
        threading.Thread(target=pipe, args=(conn, upstream), daemon=True).start()
        threading.Thread(target=pipe, args=(upstream, conn), daemon=True).start()


def start_relay(target: int) -> subprocess.Popen[bytes] | None:
    if shutil.which("socat"):
        return subprocess.Popen(["socat", f"TCP-LISTEN:{RELAY_PORT},bind={ECS_ADDRESS},"
                                 f"reuseaddr,fork", f"TCP:127.0.0.1:{target}"])
    listen = socket.create_server((ECS_ADDRESS, RELAY_PORT))
    threading.Thread(target=python_relay, args=(listen, target), daemon=True).start()
    return None


def in_container(pid: int, env: Dict[str, str], program: Path) -> Dict[str, str]:
    """Run CLIENT in the container's network namespace with `env` as its whole environment
    (the token in the environment, as `docker run -e NAME` passes it, never in argv)."""
    run = subprocess.run(["nsenter", f"--net=/proc/{pid}/ns/net", sys.executable,
                          str(program)], capture_output=True, text=True, timeout=60,
                         env=env, check=False)
    line = run.stdout.strip().splitlines()[-1:] or [json.dumps({"error": run.stderr})]
    said: Dict[str, str] = json.loads(line[0])
    return said


def main() -> None:
    ip("link", "set", "lo", "up")
    home = Path(tempfile.mkdtemp()) / "home"
    home.mkdir()
    os.environ.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"),
                      AWS_EC2_METADATA_DISABLED="true")
    emu = Emulator().start()
    os.environ.update(AWS_ENDPOINT_URL_SSO=emu.url, AWS_ENDPOINT_URL_SSO_OIDC=emu.url)
    emulator_login(AwsEnv(home=home, config=write_config(home), emulator=emu))
    serve = subprocess.Popen([sys.executable, "-m", "shellsso", "serve", "--profile", "dev",
                              "--format", "env-no-export"], stdout=subprocess.PIPE, text=True)
    assert serve.stdout is not None
    served: Dict[str, str] = {}
    while len(served) < 2:
        name, _, value = shlex.split(serve.stdout.readline())[0].partition("=")
        served[name] = value
    uri = served["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    port = int(uri.split(":")[2].split("/")[0])
    path = "/" + uri.split("/", 3)[3]

    # The "container": a network namespace of its own, its end of the bridge inside.
    container = subprocess.Popen(["unshare", "--net", "sleep", "60"])
    try:
        ip("link", "add", "shellsso-br", "type", "veth", "peer", "name", "eth0")
        ip("link", "set", "eth0", "netns", str(container.pid))
        ip("addr", "add", "172.31.0.1/24", "dev", "shellsso-br")
        ip("addr", "add", f"{ECS_ADDRESS}/32", "dev", "shellsso-br")  # the recipe's step 1
        ip("link", "set", "shellsso-br", "up")
        inside = ["nsenter", f"--net=/proc/{container.pid}/ns/net", "ip"]
        for args in (["link", "set", "lo", "up"], ["link", "set", "eth0", "up"],
                     ["addr", "add", "172.31.0.2/24", "dev", "eth0"],
                     ["route", "add", "default", "via", "172.31.0.1"]):
            subprocess.run([*inside, *args], check=True, capture_output=True)
        relay = start_relay(port)
        program = Path(tempfile.mkdtemp()) / "client.py"
        program.write_text(CLIENT)
        base = {"PATH": os.environ["PATH"], "HOME": str(program.parent),
                "AWS_EC2_METADATA_DISABLED": "true"}
        results: Dict[str, object] = {"relay": "socat" if relay else "python"}
        results["direct"] = in_container(container.pid, dict(
            base, AWS_CONTAINER_CREDENTIALS_FULL_URI=uri,
            AWS_CONTAINER_AUTHORIZATION_TOKEN=served["AWS_CONTAINER_AUTHORIZATION_TOKEN"]),
            program)
        relayed = dict(base, AWS_CONTAINER_CREDENTIALS_FULL_URI=(
            f"http://{ECS_ADDRESS}:{RELAY_PORT}{path}"))
        results["relayed"] = in_container(container.pid, dict(
            relayed,
            AWS_CONTAINER_AUTHORIZATION_TOKEN=served["AWS_CONTAINER_AUTHORIZATION_TOKEN"]),
            program)
        results["relayed_without_token"] = in_container(container.pid, relayed, program)
        issued: List[str] = emu.issued_access_key_ids
        results["issued"] = issued
        print(json.dumps(results), flush=True)
        if relay is not None:
            relay.terminate()
    finally:
        container.kill()
        serve.terminate()
        serve.wait(timeout=10)
        emu.stop()


if __name__ == "__main__":
    main()
