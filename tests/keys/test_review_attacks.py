"""Attacks on `shellsso keys` and `keys retire`: races with a hand edit, a key shared by
two profiles, hostile STS/IAM answers, odd key ids, a corrupt keys cache, kill -9.

IAM and STS are moto's (or a hostile server on 127.0.0.1); the SSO side is the
emulator, serving moto's account, as in the other tests of this folder.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest

from tests.conftest import AwsEnv, run_shellsso, write_config
from tests.creds.test_rolecreds import emulator_login
from tests.keys.conftest import (
    MOTO_ACCOUNT,
    SSO_CONFIG,
    Moto,
    files_holding,
    write_credentials,
)
from tests.keys.test_retire import OLD_PROFILE, aws_files, botocore_identity, masked, retire


@pytest.fixture
def logged_in(keyed: AwsEnv) -> AwsEnv:
    write_config(keyed.home, SSO_CONFIG + OLD_PROFILE)
    emulator_login(keyed)
    return keyed


def test_a_key_two_profiles_share_is_not_deactivated_under_the_other(
        logged_in: AwsEnv, moto: Moto) -> None:
    """Before: retiring 'old' with --deactivate set the key Inactive while profile 'twin'
    still used it (broken without a word), and said the key was no longer on disk."""
    key_id, secret = moto.new_key("alice")
    write_credentials(logged_in.home, f"[old]\naws_access_key_id = {key_id}\n"
                                      f"aws_secret_access_key = {secret}\n\n"
                                      f"[twin]\naws_access_key_id = {key_id}\n"
                                      f"aws_secret_access_key = {secret}\n")
    before = aws_files(logged_in.home)
    result = retire("old", "--deactivate", "--yes")
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert f"key {masked(key_id)} is also in profile 'twin' of the credentials file" \
        in result.stderr
    assert "nothing was changed" in result.stderr
    assert aws_files(logged_in.home) == before
    assert moto.statuses("alice") == {key_id: "Active"}
    # without an IAM step the profile moves, and the output does not pretend the key is gone
    result = retire("old", "--yes")
    assert result.returncode == 0, result.stderr
    assert "its key is no longer on disk" not in result.stdout
    assert f"key {masked(key_id)} is still in profile 'twin'" in result.stdout
    assert botocore_identity(logged_in, "old")["method"] == "sso"
    assert (logged_in.home / ".aws" / "credentials").read_text() == (
        f"[twin]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n")


def test_a_key_changed_by_hand_while_retire_asks_is_not_removed(
        logged_in: AwsEnv, moto: Moto) -> None:
    """Before: a key rotated by hand while the question was on screen was removed from the
    file (its secret lost for good) though the plan and the question named the old one."""
    import pexpect

    old_id, old_secret = moto.new_key("alice")
    credentials = write_credentials(logged_in.home, f"[old]\naws_access_key_id = {old_id}\n"
                                                    f"aws_secret_access_key = {old_secret}\n")
    new_id, new_secret = moto.new_key("alice")
    child = pexpect.spawn(sys.executable, ["-m", "shellsso", "keys", "retire", "old"],
                          env=dict(os.environ), encoding="utf-8", timeout=60)
    child.expect(r"Rewrite profile 'old'.*\[y/N\] ")
    rotated = f"[old]\naws_access_key_id = {new_id}\naws_secret_access_key = {new_secret}\n"
    credentials.write_text(rotated)
    config = (logged_in.home / ".aws" / "config").read_bytes()
    child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert "changed while this command ran" in child.before
    assert "nothing was changed" in child.before
    assert credentials.read_text() == rotated
    assert (logged_in.home / ".aws" / "config").read_bytes() == config


def test_a_key_from_a_default_section_is_not_said_gone(logged_in: AwsEnv, moto: Moto) -> None:
    """botocore gives a `[DEFAULT]` section's keys to every section. Before: retire said the
    key was no longer on disk, and left it there, in [DEFAULT]."""
    key_id, secret = moto.new_key("alice")
    write_credentials(logged_in.home, f"[DEFAULT]\naws_access_key_id = {key_id}\n"
                                      f"aws_secret_access_key = {secret}\n\n[old]\n"
                                      "region = eu-west-1\n")
    before = aws_files(logged_in.home)
    result = retire("old", "--yes")
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert f"key {masked(key_id)} of profile 'old' is not in the profile's own section of " \
        in result.stderr
    assert "a [DEFAULT] section gives it to every profile" in result.stderr
    assert result.stderr.rstrip().endswith("nothing was changed")
    assert aws_files(logged_in.home) == before


@pytest.fixture
def dripping() -> Iterator[str]:
    """An endpoint that answers 200 and then sends its body one byte every 0.2 s, for ever:
    each read gets data within any read timeout."""
    import socket
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
                             b"Content-Length: 100000000\r\n\r\n<")
                while not stop.wait(0.2):
                    conn.sendall(b" ")
            except OSError:
                pass

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        server.close()
        time.sleep(0)


def test_an_endpoint_that_drips_its_answer_does_not_hang_the_listing(
        home: Path, dripping: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: a body sent a byte at a time never hit the read timeout: `shellsso keys` hung
    for ever."""
    import time

    write_credentials(home, "".join(f"[k{n}]\naws_access_key_id = AKIAEXAMPLEEXAMPLE{n:02d}\n"
                                    f"aws_secret_access_key = example-secret-{n:02d}\n"
                                    for n in range(3)))
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", dripping)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", dripping)
    monkeypatch.setenv("SHELLSSO_HTTP_TIMEOUT", "1")
    started = time.monotonic()
    result = run_shellsso("keys", timeout=40)
    elapsed = time.monotonic() - started
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert result.stdout.count(f"could not learn account: {dripping} did not answer within ") \
        == 3, result.stdout
    assert elapsed < 15, elapsed


def test_an_iam_that_drips_its_answer_does_not_hang_the_last_step(
        logged_in: AwsEnv, moto: Moto, dripping: str) -> None:
    key_id, secret = moto.new_key("alice")
    write_credentials(logged_in.home, f"[old]\naws_access_key_id = {key_id}\n"
                                      f"aws_secret_access_key = {secret}\n")
    environ = dict(os.environ, SHELLSSO_HTTP_TIMEOUT="0.5")
    assert retire("old", "--yes", "--dry-run", env=environ).returncode == 0  # STS: moto
    environ["AWS_ENDPOINT_URL_IAM"] = dripping
    result = retire("old", "--deactivate", "--yes", env=environ, timeout=60)
    assert result.returncode == 1
    assert f"with the key itself: {dripping} did not answer within " in result.stderr
    assert "to finish: shellsso keys retire old --deactivate" in result.stderr
    assert files_holding(logged_in.home, secret) == []


class Inotify:
    """inotify(7) on one folder through libc: the test sees each file retire creates or
    renames there as it happens, without polling."""

    CREATE, MOVED_TO = 0x100, 0x80

    def __init__(self, folder: Path) -> None:
        import ctypes

        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_CLOEXEC)
        assert self.fd >= 0
        assert self.libc.inotify_add_watch(self.fd, str(folder).encode(),
                                           self.CREATE | self.MOVED_TO) >= 0
        self.pending: list[str] = []

    def next(self, timeout: float) -> str:
        """The name of the next file created or renamed into the folder (a folder made there,
        such as the AWS CLI's cache, is not counted)."""
        import select
        import struct

        while not self.pending:
            ready, _, _ = select.select([self.fd], [], [], timeout)
            assert ready, "no file event in time"
            data = os.read(self.fd, 65536)
            while data:
                _, mask, _, size = struct.unpack("iIII", data[:16])
                if not mask & 0x40000000:  # IN_ISDIR
                    self.pending.append(data[16:16 + size].rstrip(b"\0").decode())
                data = data[16 + size:]
        return self.pending.pop(0)

    def close(self) -> None:
        os.close(self.fd)


def credentials_method(profile: str) -> str:
    """How botocore, in a process of its own, gets the profile's credentials (no call made)."""
    import subprocess

    script = ("import botocore.session as s; "
              f"print(s.Session(profile={profile!r}).get_credentials().method)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize("event", range(1, 7))
def test_kill_9_at_each_file_write_of_retire(
        logged_in: AwsEnv, moto: Moto, event: int) -> None:
    """retire killed at the Nth file it creates or renames in ~/.aws (the backup's temp file,
    config.bak, the config's temp file, the config, the credentials' temp file, the
    credentials file): the profile still resolves, no secret is anywhere but in the file it
    was in, and running retire again finishes (the IAM step too), leaving no secret and no
    temp file."""
    import signal
    import subprocess

    home = logged_in.home
    aws = home / ".aws"
    in_creds, in_config = moto.new_key("alice"), moto.new_key("alice")
    write_credentials(home, f"# mine\n[old]\naws_access_key_id = {in_creds[0]}\n"
                            f"aws_secret_access_key = {in_creds[1]}\n")
    write_config(home, SSO_CONFIG + OLD_PROFILE + f"aws_access_key_id = {in_config[0]}\n"
                       f"aws_secret_access_key = {in_config[1]}\n")
    (aws / "config.bak").write_text((aws / "config").read_text())  # an earlier backup
    watch = Inotify(aws)
    try:
        child = subprocess.Popen([sys.executable, "-m", "shellsso", "keys", "retire", "old",
                                  "--yes"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        names = [watch.next(60) for _ in range(event)]
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
    finally:
        watch.close()
    assert any(n.startswith(".shellsso-") for n in names)
    for (_, secret), home_file in ((in_creds, "credentials"), (in_config, "config")):
        holding = {Path(p).name for p in files_holding(home, secret)}
        assert holding <= {home_file, "config.bak"}, (names, holding)
        if "config.bak" in holding:  # the earlier backup, not yet replaced: nothing changed
            assert home_file in holding
    assert credentials_method("old") in ("sso", "shared-credentials-file")
    again = retire("old", "--deactivate", "--yes")  # before: after the last write, the key
    assert again.returncode == 0, again.stderr      # id was lost and this could not finish
    assert moto.statuses("alice")[in_creds[0]] == "Inactive"
    assert files_holding(home, in_creds[1]) == [] and files_holding(home, in_config[1]) == []
    assert not [p for p in aws.iterdir() if p.name.endswith(".tmp")]
    assert credentials_method("old") == "sso"
    assert (aws / "credentials").read_text() == "# mine\n"
    assert botocore_identity(logged_in, "old")["account"] == MOTO_ACCOUNT


class Scripted:
    """An IAM/STS endpoint on 127.0.0.1 whose answer to each Action is set by the test:
    (status, body); `{request}` in a body is replaced by the request it answers (headers and
    body), as a rogue endpoint quotes it back."""

    def __init__(self) -> None:
        self.answers: Dict[str, Tuple[int, str]] = {}
        self.url = ""


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    import http.server
    import threading
    import urllib.parse
    from xml.sax.saxutils import escape

    state = Scripted()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            action = urllib.parse.parse_qs(body).get("Action", [""])[0]
            status, answer = state.answers.get(action, (500, "<x/>"))
            answer = answer.replace("{request}", escape(body + " " + str(self.headers)))
            data = answer.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def error(code: str, message: str) -> Tuple[int, str]:
    return 403, (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>"
                 f"{message}</Message></Error><RequestId>1</RequestId></ErrorResponse>")


def identity(account: str, arn: str) -> Tuple[int, str]:
    return 200, ("<GetCallerIdentityResponse><GetCallerIdentityResult>"
                 f"<Arn>{arn}</Arn><UserId>AIDA1</UserId><Account>{account}</Account>"
                 "</GetCallerIdentityResult></GetCallerIdentityResponse>")


def test_an_endpoint_quoting_the_request_back_shows_no_key_id_whole(
        home: Path, scripted: Scripted, monkeypatch: pytest.MonkeyPatch) -> None:
    """IAM's request carries the key id (its body and the Authorization header). Before: an
    endpoint that quoted it back put the whole key id on screen, which shellsso otherwise
    always shows masked."""
    key_id = "AKIAQUOTEDBACK123456"
    write_credentials(home, f"[k]\naws_access_key_id = {key_id}\n"
                            "aws_secret_access_key = quoted-back-secret-0001\n")
    for action in ("GetCallerIdentity", "ListAccessKeys", "GetAccessKeyLastUsed"):
        scripted.answers[action] = error("AccessDenied", "you sent: {request}")
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", scripted.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", scripted.url)
    text = run_shellsso("keys")
    data = run_shellsso("keys", "--json")
    assert text.returncode == 0 and data.returncode == 0
    assert "you sent: " in text.stdout
    for output in (text.stdout, text.stderr, data.stdout):
        assert key_id not in output and "quoted-back-secret-0001" not in output


@pytest.mark.parametrize("account", ["111111111111", "1111111111\u202e11", "not-an-account"])
def test_sts_naming_an_account_its_arn_denies_moves_no_profile(
        logged_in: AwsEnv, moto: Moto, scripted: Scripted, account: str) -> None:
    """An STS answer whose Account is not the ARN's (or no account id at all). Before: retire
    took it as the key's account and moved the profile to the SSO profile of that account
    ('dev', 111111111111), not the key's."""
    key_id, secret = moto.new_key("alice")
    write_credentials(logged_in.home, f"[old]\naws_access_key_id = {key_id}\n"
                                      f"aws_secret_access_key = {secret}\n")
    scripted.answers["GetCallerIdentity"] = identity(
        account, f"arn:aws:iam::{MOTO_ACCOUNT}:user/alice")
    environ = dict(os.environ, AWS_ENDPOINT_URL_STS=scripted.url)
    before = aws_files(logged_in.home)
    result = retire("old", "--yes", env=environ)
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert "name the SSO profile to use with --to SSO_PROFILE; nothing was changed" \
        in result.stderr
    assert "STS answered account" in result.stderr and "\u202e" not in result.stderr
    assert aws_files(logged_in.home) == before
    listing = json.loads(run_shellsso("keys", "--json", env=environ).stdout)["keys"][0]
    assert listing["account"] is None and listing["ssoProfiles"] is None


def test_to_another_account_is_refused_when_the_key_itself_cannot_say(
        logged_in: AwsEnv, moto: Moto, scripted: Scripted) -> None:
    """A key already deactivated or deleted cannot call GetCallerIdentity, and --to is then
    required. Before: any --to was taken, one in another account too; now the key's account
    is asked with the SSO role's credentials (sts:GetAccessKeyInfo) before any file changes."""
    key_id, secret = moto.new_key("alice")
    write_credentials(logged_in.home, f"[old]\naws_access_key_id = {key_id}\n"
                                      f"aws_secret_access_key = {secret}\n")
    scripted.answers["GetCallerIdentity"] = error(
        "InvalidClientTokenId", "The security token included in the request is invalid.")
    scripted.answers["GetAccessKeyInfo"] = 200, (
        "<GetAccessKeyInfoResponse><GetAccessKeyInfoResult>"
        f"<Account>{MOTO_ACCOUNT}</Account></GetAccessKeyInfoResult></GetAccessKeyInfoResponse>")
    environ = dict(os.environ, AWS_ENDPOINT_URL_STS=scripted.url)
    before = aws_files(logged_in.home)
    wrong = retire("old", "--to", "dev", "--yes", env=environ)
    assert wrong.returncode == 1, wrong.stderr
    assert f"key {masked(key_id)} belongs to account {MOTO_ACCOUNT} (sts:GetAccessKeyInfo), " \
           "but --to dev reaches account 111111111111; nothing was changed" in wrong.stderr
    assert aws_files(logged_in.home) == before
    right = retire("old", "--to", "moto-admin", "--yes", env=environ)
    assert right.returncode == 0, right.stderr
    assert credentials_method("old") == "sso"


@pytest.mark.parametrize(("key_id", "shown"), [
    ("AKIAIOSFODNN7EXAMPLE", "AKIA...MPLE"),
    ("AKIA5678EFGH", "...EFGH"),  # shorter than any AWS key id (16): no prefix
    ("ABCDEFG", "..."),  # under 8 characters: nothing of it
    ("AKIA", "..."),  # before: "...AKIA", the whole id
    ("  AKIAIOSFODNN7EXAMPLE  ", "AKIA...MPLE"),
    ("AKIA\x1b[2J\u202eIOSFODNN7EXA\x07", "AKIA...EXA?"),
])
def test_the_masked_form_of_odd_key_ids(key_id: str, shown: str) -> None:
    from shellsso.keys.inventory import mask

    assert mask(key_id) == shown


def keys_cache(home: Path) -> Path:
    return home / ".cache" / "shellsso" / "keys.json"


def long_lived_finding(profile: str) -> Dict[str, Any]:
    result = run_shellsso("doctor", "--profile", profile, "--json")
    assert "Traceback" not in result.stderr, result.stderr
    found = [f for f in json.loads(result.stdout)["findings"]
             if f["id"] == "profile.long-lived-key"]
    assert len(found) == 1
    finding: Dict[str, Any] = found[0]
    return finding


@pytest.mark.parametrize("created", ["Infinity", "-Infinity", "NaN", "1e308", "true"])
def test_a_keys_cache_with_an_impossible_date_does_not_break_doctor(
        home: Path, created: str) -> None:
    """Before: `Infinity` or `NaN` (which json reads and writes) as a key's creation date
    made doctor end in a traceback."""
    import hashlib

    key_id = "AKIAIOSFODNN7EXAMPLE"
    write_credentials(home, f"[old]\naws_access_key_id = {key_id}\n"
                            "aws_secret_access_key = impossible-date-secret\n")
    cache = keys_cache(home)
    cache.parent.mkdir(parents=True, mode=0o700)
    name = hashlib.sha1(key_id.encode()).hexdigest()
    cache.write_text(f'{{"created": {{"{name}": {created}}}}}')
    cache.chmod(0o600)
    finding = long_lived_finding("old")
    assert finding["message"].startswith("profile 'old' uses a long-lived access key "
                                         "(AKIA...MPLE):")


def test_a_keys_cache_another_user_owns_is_not_read(home: Path) -> None:
    import hashlib

    from tests.conftest import require_root

    require_root()
    key_id = "AKIAIOSFODNN7EXAMPLE"
    write_credentials(home, f"[old]\naws_access_key_id = {key_id}\n"
                            "aws_secret_access_key = planted-cache-secret\n")
    cache = keys_cache(home)
    cache.parent.mkdir(parents=True, mode=0o700)
    name = hashlib.sha1(key_id.encode()).hexdigest()
    cache.write_text(f'{{"created": {{"{name}": 0}}, "pending": {{"old": {{"keyId": '
                     f'"AKIAPLANTEDPLANTED00", "account": "{MOTO_ACCOUNT}"}}}}}}')
    cache.chmod(0o644)
    os.chown(cache, 65534, 65534)
    finding = long_lived_finding("old")
    assert "made" not in finding["message"]  # the planted date is not believed
    write_credentials(home, "")
    result = retire("old", "--deactivate", "--yes")
    assert result.returncode == 1 and "AKIA...ED00" not in result.stdout + result.stderr
    assert "refusing keys cache file" in result.stderr
    assert "profile 'old' not found" in result.stderr


def test_a_credentials_file_that_is_a_link_stays_a_link(
        logged_in: AwsEnv, moto: Moto, monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS_SHARED_CREDENTIALS_FILE names a link into a dotfiles folder: the file it points to
    is rewritten, the link stays, and no copy of the secret is left in either folder."""
    key_id, secret = moto.new_key("alice")
    dotfiles = logged_in.home / "dotfiles"
    dotfiles.mkdir(mode=0o700)
    real = dotfiles / "aws-credentials"
    real.write_text(f"[old]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
                    "\n[kept]\nregion = eu-west-1\n")
    real.chmod(0o600)
    link = logged_in.home / ".aws" / "credentials-link"
    link.symlink_to(real)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(link))
    result = retire("old", "--yes")
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and real.read_text() == "[kept]\nregion = eu-west-1\n"
    assert files_holding(logged_in.home, secret) == []
    assert credentials_method("old") == "sso"


def test_a_credentials_link_into_a_folder_others_can_write_changes_nothing(
        logged_in: AwsEnv, moto: Moto, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    key_id, secret = moto.new_key("alice")
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    real = shared / "credentials"
    real.write_text(f"[old]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n")
    real.chmod(0o600)
    link = logged_in.home / ".aws" / "credentials-link"
    link.symlink_to(real)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(link))
    before = aws_files(logged_in.home)
    result = retire("old", "--yes")
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert f"its folder {shared} " in result.stderr and "nothing was changed" in result.stderr
    assert aws_files(logged_in.home) == before and secret in real.read_text()
    assert logged_in.counters().get("GetRoleCredentials") is None


def test_the_default_profile_in_both_files(logged_in: AwsEnv, moto: Moto) -> None:
    """[default] has no `profile ` prefix in either file; its keys go from both."""
    (key_id, secret), (other_id, other_secret) = moto.new_key("alice"), moto.new_key("alice")
    write_credentials(logged_in.home, f"[default]\naws_access_key_id = {key_id}\n"
                                      f"aws_secret_access_key = {secret}\n")
    config = logged_in.home / ".aws" / "config"
    config.write_text(config.read_text().replace("[default]\nregion = us-east-1\n", "")
                      + f"\n[default]\noutput = json\naws_access_key_id = "
                      f"{other_id}\naws_secret_access_key = {other_secret}\n")
    result = retire("default", "--deactivate", "--yes")
    assert result.returncode == 0, result.stderr
    assert files_holding(logged_in.home, secret) == []
    assert files_holding(logged_in.home, other_secret) == []
    assert config.read_text().endswith("[default]\noutput = json\nsso_session = corp\n"
                                       f"sso_account_id = {MOTO_ACCOUNT}\nsso_role_name = "
                                       "AdministratorAccess\nregion = eu-west-1\n")
    assert credentials_method("default") == "sso"
    assert moto.statuses("alice") == {key_id: "Inactive", other_id: "Active"}


def test_the_commands_printed_for_a_profile_name_with_shell_syntax_are_one_word(
        logged_in: AwsEnv, moto: Moto) -> None:
    """Before: a profile named `$(touch${IFS}pwned)` (no space, no quote) was printed as is in
    `to retire it: shellsso keys retire ...`, the doctor's fix and retire's `to finish`: a
    user pasting the command ran what the name holds."""
    import subprocess

    name = "$(touch${IFS}pwned)|id&&x"
    key_id, secret = moto.new_key("alice")
    write_credentials(logged_in.home, f"[{name}]\naws_access_key_id = {key_id}\n"
                                      f"aws_secret_access_key = {secret}\n")
    listing = json.loads(run_shellsso("keys", "--json").stdout)["keys"][0]
    fix = long_lived_finding(name)["fix"]
    result = retire(name, "--yes")
    assert result.returncode == 0, result.stderr
    finish = result.stdout.split("run `", 1)[1].split("`", 1)[0]
    for command in (listing["retire"], fix.split("   ")[0], finish):
        assert command.startswith("shellsso keys retire ")
        words = subprocess.run(["bash", "-c", "printf '%s\\n' " + command[len("shellsso "):]],
                               capture_output=True, text=True, cwd=logged_in.home, timeout=10)
        assert words.stdout.splitlines()[:3] == ["keys", "retire", name], command
    assert not (logged_in.home / "pwned").exists()


def test_iam_answers_of_odd_shapes_and_sizes(
        home: Path, scripted: Scripted, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dates at the ends of the calendar, a megabyte of service name, control characters:
    the listing stays one short line per fact, with no traceback."""
    key_id = "AKIAIOSFODNN7EXAMPLE"
    write_credentials(home, f"[k]\naws_access_key_id = {key_id}\n"
                            "aws_secret_access_key = odd-shapes-secret-01\n")
    scripted.answers["GetCallerIdentity"] = identity(
        MOTO_ACCOUNT, f"arn:aws:iam::{MOTO_ACCOUNT}:user/" + "u" * 100_000)
    scripted.answers["ListAccessKeys"] = 200, (
        "<ListAccessKeysResponse><ListAccessKeysResult><AccessKeyMetadata><member>"
        f"<UserName>alice</UserName><AccessKeyId>{key_id}</AccessKeyId>"
        "<Status>Active&#x9b;2J</Status><CreateDate>0001-01-01T00:00:00Z</CreateDate>"
        "</member></AccessKeyMetadata><IsTruncated>false</IsTruncated>"
        "</ListAccessKeysResult></ListAccessKeysResponse>")
    scripted.answers["GetAccessKeyLastUsed"] = 200, (
        "<GetAccessKeyLastUsedResponse><GetAccessKeyLastUsedResult><UserName>alice</UserName>"
        "<AccessKeyLastUsed><LastUsedDate>9999-12-31T23:59:59Z</LastUsedDate>"
        f"<ServiceName>{'s' * 1_000_000}</ServiceName><Region>eu&#x9b;1m</Region>"
        "</AccessKeyLastUsed></GetAccessKeyLastUsedResult></GetAccessKeyLastUsedResponse>")
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", scripted.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", scripted.url)
    text = run_shellsso("keys")
    data = run_shellsso("keys", "--json")
    assert text.returncode == 0 and data.returncode == 0, text.stderr + data.stderr
    assert "\x1b" not in text.stdout and "\x9b" not in text.stdout
    assert " days ago), Active?2J" in text.stdout and "last used 9999-12-31" in text.stdout
    assert max(len(line) for line in text.stdout.splitlines()) < 1000
    assert len(data.stdout) < 10_000


def test_no_process_shows_the_secret_in_its_command_line_or_environment(
        logged_in: AwsEnv, moto: Moto) -> None:
    """While retire waits at its question (the key read, STS and IAM asked, SSO proved),
    no process's /proc cmdline or environ holds the secret; answering no changes nothing."""
    import pexpect

    key_id, secret = moto.new_key("alice")
    write_credentials(logged_in.home, f"[old]\naws_access_key_id = {key_id}\n"
                                      f"aws_secret_access_key = {secret}\n")
    before = aws_files(logged_in.home)
    child = pexpect.spawn(sys.executable, ["-m", "shellsso", "keys", "retire", "old",
                                           "--deactivate"],
                          env=dict(os.environ), encoding="utf-8", timeout=60)
    child.expect(r"Rewrite profile 'old'.*\[y/N\] ")
    seen = []
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        for name in ("cmdline", "environ"):
            try:
                with open(f"/proc/{pid}/{name}", "rb") as handle:
                    if secret.encode() in handle.read():
                        seen.append(f"{pid}/{name}")
            except OSError:
                continue
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    assert seen == []
    assert child.exitstatus == 1 and "not confirmed; nothing was changed" in child.before
    assert aws_files(logged_in.home) == before


def test_a_key_whose_account_nobody_can_tell_moves_nowhere(
        logged_in: AwsEnv, moto: Moto, monkeypatch: pytest.MonkeyPatch) -> None:
    """STS unreachable: neither the key nor the SSO role can learn the key's account. Before:
    `--to` was taken on faith, whatever account it reached. Now the user states the account
    with aws_account_id beside the key (botocore's own setting), and a --to elsewhere is
    refused."""
    from tests.keys.conftest import closed_port

    key_id, secret = moto.new_key("alice")
    credentials = write_credentials(logged_in.home, f"[old]\naws_access_key_id = {key_id}\n"
                                                    f"aws_secret_access_key = {secret}\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", closed_port())
    before = aws_files(logged_in.home)
    result = retire("old", "--to", "dev", "--yes")
    assert result.returncode == 1 and result.stderr.count("\n") == 2, result.stderr
    assert f"the account of key {masked(key_id)} cannot be learnt (cannot reach " \
        in result.stderr
    assert f"add aws_account_id = ACCOUNT beside the key in {credentials}" in result.stderr
    assert result.stderr.rstrip().endswith("nothing was changed")
    assert aws_files(logged_in.home) == before
    credentials.write_text(credentials.read_text() + "aws_account_id = 111111111111\n")
    wrong = retire("old", "--to", "moto-admin", "--yes")
    assert "--to moto-admin reaches account 123456789012, but key" in wrong.stderr
    credentials.write_text(credentials.read_text().replace("111111111111", MOTO_ACCOUNT))
    right = retire("old", "--to", "moto-admin", "--yes")
    assert right.returncode == 0, right.stderr
    assert files_holding(logged_in.home, secret) == []


def test_a_credentials_file_with_another_hard_link_changes_nothing(
        logged_in: AwsEnv, moto: Moto) -> None:
    """The atomic rename gives the credentials file a new inode; another hard link to the old
    one (a dotfiles copy made with `ln`) would keep the secret. Before: retire said the key
    was no longer on disk, and HOME/dotfiles-credentials still held it."""
    key_id, secret = moto.new_key("alice")
    credentials = write_credentials(logged_in.home, f"[old]\naws_access_key_id = {key_id}\n"
                                                    f"aws_secret_access_key = {secret}\n")
    os.link(credentials, logged_in.home / "dotfiles-credentials")
    before = aws_files(logged_in.home)
    result = retire("old", "--yes")
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert f"{credentials} has 2 names (hard links)" in result.stderr
    assert "nothing was changed" in result.stderr
    assert aws_files(logged_in.home) == before
    assert logged_in.counters().get("GetRoleCredentials") is None
