"""docker, without a Docker engine: what a container sees of the endpoint, shown with the same
kernel namespaces a container is made of (util-linux `unshare`, which needs root).

- `docker run --network host`: the container shares the host's network namespace but has
  its own process and mount namespaces. A client started that way (new pid and mount
  namespaces, /proc of its own) reaches the endpoint on 127.0.0.1 and gets credentials.
- the default bridge network: the container has a network namespace of its own, whose
  127.0.0.1 is not the host's. There the endpoint cannot be reached, and botocore says so
  after its three quick attempts (connection refused), with no hang.

The client gets the two variables from `shellsso exec --server`, as the recipe's
`docker run -e AWS_CONTAINER_CREDENTIALS_FULL_URI -e AWS_CONTAINER_AUTHORIZATION_TOKEN` would
(names only on the command line: docker copies the values from its own environment), and an
empty HOME, as an image has no ~/.aws.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO, AwsEnv, require, require_root, run_shellsso
from tests.creds.test_rolecreds import emulator_login
from tests.endpoint_interop.serving import ACCOUNTS, files_under

pytestmark = pytest.mark.slow

CLIENT = textwrap.dedent(
    """
    import fcntl, json, os, socket, struct, sys
    if "--loopback-up" in sys.argv:
        # A container's network namespace has its loopback up (a new one starts down):
        # SIOCGIFFLAGS, then SIOCSIFFLAGS with IFF_UP, without needing iproute2.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            flags = struct.unpack("16sH", fcntl.ioctl(s, 0x8913, struct.pack("16sH", b"lo", 0)))[1]
            fcntl.ioctl(s, 0x8914, struct.pack("16sH", b"lo", flags | 1))
    import time
    import botocore.session
    from botocore.exceptions import BotoCoreError
    session = botocore.session.get_session()
    started = time.monotonic()
    try:
        creds = session.get_credentials()
        who = session.create_client("sts", region_name="us-east-1").get_caller_identity()
    except BotoCoreError as error:
        print(json.dumps({"pid": os.getpid(), "error": str(error),
                          "seconds": time.monotonic() - started}))
        sys.exit(1)
    print(json.dumps({"pid": os.getpid(), "account": who["Account"], "method": creds.method}))
    """
)


def in_namespaces(aws_env: AwsEnv, tmp_path: Path, unshare: str, *client_args: str
                  ) -> tuple[int, dict[str, object], str]:
    """`shellsso exec --server -- unshare ... CLIENT`: (status, what the client printed, the
    server's and client's stderr)."""
    require("unshare")
    require_root()
    program = tmp_path / "client.py"
    program.write_text(CLIENT)
    image_home = tmp_path / "image-home"
    image_home.mkdir()
    inside = (f"exec env HOME={shlex.quote(str(image_home))} AWS_ENDPOINT_URL_STS={aws_env.url} "
              f"AWS_EC2_METADATA_DISABLED=true {shlex.quote(sys.executable)} "
              f"{shlex.quote(str(program))} {' '.join(client_args)}")
    run = run_shellsso("exec", "--server", "--profile", "dev", "--",
                       *shlex.split(unshare), "sh", "-c", inside, timeout=120)
    lines = run.stdout.strip().splitlines()
    assert lines, run.stderr
    assert files_under(image_home) == []
    return run.returncode, json.loads(lines[-1]), run.stderr


def test_a_container_on_the_host_network_reaches_the_endpoint(aws_env: AwsEnv,
                                                              tmp_path: Path) -> None:
    emulator_login(aws_env)
    status, said, stderr = in_namespaces(
        aws_env, tmp_path, "unshare --pid --fork --mount-proc --mount --uts --ipc")
    assert status == 0, (said, stderr)
    assert said["pid"] == 1, "the client ran in a process namespace of its own"
    assert said["account"] == ACCOUNTS["dev"]
    assert said["method"] == "container-role"


def test_a_container_with_its_own_network_cannot_reach_it_and_says_so_in_seconds(
    aws_env: AwsEnv, tmp_path: Path
) -> None:
    emulator_login(aws_env)
    status, said, stderr = in_namespaces(
        aws_env, tmp_path, "unshare --net --pid --fork --mount-proc --mount --uts --ipc",
        "--loopback-up")
    assert status == 1, (said, stderr)
    error = str(said["error"])
    assert "Error when retrieving credentials from container-role" in error, error
    assert "Could not connect to the endpoint URL" in error, error
    assert "http://127.0.0.1:" in error
    # Connection refused: botocore's three attempts a second apart, no timeout to wait for.
    assert float(str(said["seconds"])) < 6, said


def test_the_bridge_recipe_ecs_address_and_relay(tmp_path: Path) -> None:
    """The bridge recipe, end to end in namespaces (tests/endpoint_interop/bridge_host.py):
    from a container behind a bridge, the endpoint's own URI is unreachable; the same path at
    169.254.170.2, relayed on the host, gives the profile's credentials; and anything on the
    bridge can reach the relay, so only the token keeps it out (401 without it)."""
    require("unshare")
    require("nsenter")
    require("ip")
    require_root()
    run = subprocess.run(["unshare", "--net", sys.executable, "-m",
                          "tests.endpoint_interop.bridge_host"], cwd=REPO,
                         capture_output=True, text=True, timeout=180, check=False)
    assert run.returncode == 0, run.stderr
    said = json.loads(run.stdout.strip().splitlines()[-1])
    assert "Could not connect to the endpoint URL" in said["direct"]["error"]
    assert said["relayed"]["method"] == "container-role"
    assert said["relayed"]["key"] in said["issued"]
    assert "Received non 200 response 401" in said["relayed_without_token"]["error"]
