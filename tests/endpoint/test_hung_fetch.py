"""A fetch that does not end does not take the endpoint with it.

A profile's `credential_process` is run without a timeout (as botocore runs it), so a
script that hangs holds its fetch for as long as it runs. The server is a real
`shellsso serve`; the profile's credential_process is a real script, which the test makes
answer, hang until released, or hang for good (killed at teardown).
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import threading
import time
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import psutil
import pytest

from shellsso.core.clock import format_timestamp
from shellsso.creds.role_credentials import Credentials
from shellsso.endpoint.provider import PATIENCE, STUCK, ProfileFetch, Provider
from tests.conftest import write_config
from tests.endpoint.helpers import python_client, request, wait_until
from tests.endpoint_interop.serving import BOTOCORE_WHOAMI, Served, client_env, serve

SCRIPT = """\
#!/bin/sh
here=$(dirname "$0")
echo $$ >> "$here/pids"
while [ -e "$here/hold" ]; do sleep 0.05; done
if [ -e "$here/forever" ]; then exec sleep 3600; fi
cat "$here/answer.json"
"""
HINT = "a credential_process that does not end?"


class Script:
    """A credential_process in a folder of its own: it answers `answer.json`, waits while
    `hold` exists, or sleeps for an hour when `forever` exists."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True)
        self.folder = folder
        self.path = folder / "creds.sh"
        self.path.write_text(SCRIPT)
        self.path.chmod(self.path.stat().st_mode | stat.S_IXUSR)

    def answer(self, key: str) -> None:
        doc = {"Version": 1, "AccessKeyId": key, "SecretAccessKey": "secret-" + key,
               "SessionToken": "token-" + key,
               "Expiration": format_timestamp(time.time() + 3600)}
        (self.folder / "answer.json").write_text(json.dumps(doc))

    def flag(self, name: str, on: bool = True) -> None:
        if on:
            (self.folder / name).touch()
        else:
            (self.folder / name).unlink()

    def pids(self) -> List[int]:
        runs = self.folder / "pids"
        return [int(line) for line in runs.read_text().split()] if runs.exists() else []


@pytest.fixture
def scripts(home: Path) -> Iterator[Tuple[Script, Script]]:
    """Two credential_process scripts, the config's profile 'proc' on the first; every run
    of either still alive is killed at teardown."""
    made = (Script(home / "first"), Script(home / "second"))
    use_script(home, made[0])
    try:
        yield made
    finally:
        for script in made:
            for pid in script.pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass


def use_script(home: Path, script: Script) -> None:
    write_config(home, f"[profile proc]\nregion = us-east-1\ncredential_process = {script.path}\n")


def timed(served: Served, **kwargs: object) -> Tuple[float, int, str]:
    start = time.monotonic()
    status, body = request(served, **kwargs)  # type: ignore[arg-type]
    return time.monotonic() - start, status, body


def pending(status: int, body: str) -> str:
    """The message of a CredentialsPending answer; no credentials in it."""
    assert status == 504, body
    doc = json.loads(body)
    assert doc["code"] == "CredentialsPending"
    assert set(doc) == {"code", "message"}
    return str(doc["message"])


def test_a_hanging_credential_process_gets_a_clear_answer_and_serving_resumes(
    scripts: Tuple[Script, Script], tmp_path: Path
) -> None:
    script = scripts[0]
    script.answer("ASIAFIRST")
    with serve("proc") as served:
        assert json.loads(request(served)[1])["AccessKeyId"] == "ASIAFIRST"
        script.answer("ASIASECOND")
        script.flag("hold")  # from now on the script runs until released
        runs = len(script.pids())  # serve's own check at start, and that request

        first: List[Tuple[float, int, str]] = []
        asking = threading.Thread(target=lambda: first.append(timed(served)))
        asking.start()
        wait_until(lambda: len(script.pids()) == runs + 1, 10, "the script ran again")
        wrong = timed(served, token="x" * 43)  # while a request waits on the fetch
        asking.join()
        took, status, body = first[0]
        message = pending(status, body)
        assert PATIENCE - 0.2 <= took < PATIENCE + 1.5, took
        assert message.startswith("credentials for profile 'proc' are still being fetched (")
        assert HINT in message
        assert wrong[1] == 403 and wrong[0] < 1.0, wrong

        # A client: botocore's three attempts each read the reason, not a timeout.
        env = client_env(served, tmp_path / "client", "http://127.0.0.1:9")
        started = time.monotonic()
        client = python_client(BOTOCORE_WHOAMI, env, timeout=30)
        client_took = time.monotonic() - started
        last = client.stderr.strip().splitlines()[-1]
        assert client.returncode != 0
        assert "Received non 200 response 504 from container metadata" in last, last
        assert "CredentialsPending" in last and HINT in last
        assert client_took < 10, client_took

        # Once the fetch has run STUCK seconds, requests are answered at once.
        wait_until(lambda: timed(served)[0] < 0.5, STUCK + 5, "an answer at once", step=0.2)
        took, status, body = timed(served)
        assert took < 0.5 and "ASIA" not in body
        seconds = re.search(r"\((\d+) s so far\)", pending(status, body))
        assert seconds is not None and int(seconds.group(1)) >= STUCK

        assert len(script.pids()) == runs + 1  # one fetch, however many asked
        script.flag("hold", on=False)  # the script answers: the fetch ends
        wait_until(lambda: request(served)[0] == 200, 5, "credentials served again")
        assert json.loads(request(served)[1])["AccessKeyId"] == "ASIASECOND"
        said = served.stop()
    lines = said.splitlines()
    assert len(lines) == 3, said  # the refusal, then the hang told once however many asked
    assert "refused a request" in lines.pop(0)
    told = re.fullmatch(r"shellsso: serve: fetching credentials for profile 'proc' has taken "
                        r"(\d+) s and goes on: (.*)", lines[0])
    assert told is not None, lines[0]
    assert STUCK <= int(told.group(1)) < STUCK + 2
    assert told.group(2) == (f"{HINT} (until it ends, or the config is edited, every request "
                             "for credentials gets 504)")
    assert lines[1] == "shellsso: serve: credentials for profile 'proc' are served again"
    assert served.process.returncode == 0


def test_a_credential_process_that_never_ends_is_left_when_the_config_is_fixed(
    scripts: Tuple[Script, Script], home: Path
) -> None:
    hung, fixed = scripts
    hung.answer("ASIAFIRST")
    fixed.answer("ASIAFIXED")
    with serve("proc") as served:
        hung.flag("forever")
        runs = len(hung.pids())
        took, status, body = timed(served)
        assert took < PATIENCE + 1.5 and HINT in pending(status, body)
        wrong = timed(served, token="x" * 43)
        assert wrong[1] == 403 and wrong[0] < 1.0, wrong
        forever = hung.pids()[-1]
        assert psutil.Process(forever).name() == "sleep"

        use_script(home, fixed)  # the user points the profile at a script that works
        took, status, body = timed(served)
        assert status == 200, body
        assert json.loads(body)["AccessKeyId"] == "ASIAFIXED" and took < 2
        assert psutil.pid_exists(forever)  # still hung: the endpoint no longer waits for it

        use_script(home, hung)  # back to the one that hangs: a new fetch, hung too
        assert HINT in pending(*timed(served)[1:])
        assert len(hung.pids()) == runs + 2
        started = time.monotonic()
        served.stop()
        stopped = time.monotonic() - started
    assert served.process.returncode == 0
    assert stopped < 3, stopped



class GatedFetch(ProfileFetch):
    """A fetch in this process that ends when the test opens its gate; the config's
    "version" is the test's to change."""

    def __init__(self) -> None:
        super().__init__("gated")
        self.version = 0
        self.gates: List[threading.Event] = []
        self.held = True

    def __call__(self) -> Credentials:
        gate = threading.Event()
        self.gates.append(gate)
        key = f"ASIAFETCH{len(self.gates)}"
        if self.held:
            gate.wait(30)
        return Credentials(key, "secret", "token", time.time() + 3600)

    def stamp(self) -> object:
        return self.version


def test_a_request_waiting_on_a_fetch_given_up_for_a_newer_one_is_answered_when_it_ends(
) -> None:
    fetch = GatedFetch()
    provider = Provider(fetch, patience=10, stuck=20)
    got: Dict[str, Tuple[str, float]] = {}

    def ask(name: str) -> None:
        got[name] = (provider.get().access_key_id, time.monotonic())

    first = threading.Thread(target=ask, args=("first",))
    first.start()
    wait_until(lambda: len(fetch.gates) == 1, 5, "the first fetch")
    fetch.version = 1  # the config was edited: the next request starts a new fetch
    second = threading.Thread(target=ask, args=("second",))
    second.start()
    wait_until(lambda: len(fetch.gates) == 2, 5, "the second fetch")
    opened = time.monotonic()
    fetch.gates[0].set()
    first.join(5)
    assert got["first"][0] == "ASIAFETCH1" and got["first"][1] - opened < 0.5, got
    assert "second" not in got  # the newer fetch is still running: it waits for that one
    fetch.gates[1].set()
    second.join(5)
    assert got["second"][0] == "ASIAFETCH2"
    fetch.held = False
    assert provider.get().access_key_id == "ASIAFETCH3"  # nothing kept: a fetch again
