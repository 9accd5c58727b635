"""Token and registration files are the AWS CLI's, byte for byte where it matters."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from shellsso.awsconfig.model import SsoTarget
from shellsso.core.clock import format_isoformat, format_timestamp, parse_timestamp
from shellsso.core.files import read_json, write_json
from shellsso.sso.token_cache import (
    Registration,
    Token,
    load_registration,
    load_token,
    registration_path,
    save_registration,
    save_token,
    token_path,
)
from tests.conftest import START_URL, AwsEnv, run_shellsso, sha1, write_token

CORP = SsoTarget("dev", "corp", START_URL, "us-east-1", ("sso:account:access",), "1", "R")


@pytest.mark.parametrize(
    ("text", "epoch"),
    [
        ("2026-11-26T05:59:45Z", 1795672785.0),
        ("2026-11-26T05:59:45UTC", 1795672785.0),
        ("2026-11-26T05:59:45+00:00", 1795672785.0),
        ("2026-11-26T06:59:45+01:00", 1795672785.0),
        ("2026-11-26T05:59:45.250Z", 1795672785.25),
        ("2026-11-26 05:59:45", 1795672785.0),
    ],
)
def test_timestamps_are_read_tolerantly(text: str, epoch: float) -> None:
    assert parse_timestamp(text) == epoch


@pytest.mark.parametrize("bad", ["", "soon", "2026-13-01T00:00:00Z", None, 12, []])
def test_bad_timestamps_are_none(bad: object) -> None:
    assert parse_timestamp(bad) is None


def test_timestamps_are_written_as_the_cli_writes_them() -> None:
    assert format_timestamp(1795672785.9) == "2026-11-26T05:59:45Z"
    assert format_isoformat(1795672785) == "2026-11-26T05:59:45+00:00"


def test_token_file_name_fields_and_modes(home: Path) -> None:
    token = Token(START_URL, "us-east-1", "at", 1795672785, "cid", "cs", 1803448785, None)
    save_token(CORP, token)
    path = Path(token_path(CORP))
    assert path.name == sha1("corp") + ".json"
    data = json.loads(path.read_text())
    assert list(data) == ["startUrl", "region", "accessToken", "expiresAt", "clientId",
                          "clientSecret", "registrationExpiresAt"]
    assert data["expiresAt"] == "2026-11-26T05:59:45Z"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_botocore_reads_a_token_shellsso_wrote(home: Path) -> None:
    from botocore.utils import SSOTokenLoader

    save_token(CORP, Token(START_URL, "us-east-1", "at-1", time.time() + 600, "c", "s",
                           time.time() + 86400, "rt-1"))
    from botocore.utils import JSONFileCache

    loader = SSOTokenLoader(cache=JSONFileCache(str(home / ".aws" / "sso" / "cache")))
    loaded = loader(START_URL, session_name="corp")
    assert loaded["accessToken"] == "at-1" and loaded["refreshToken"] == "rt-1"


def test_a_cli_written_token_is_read(home: Path) -> None:
    write_token(home, "corp", 600, refresh_token="rt")
    token = load_token(CORP)
    assert token is not None and token.access_token == "test-access-token"
    assert 500 < token.remaining() <= 600 and token.can_refresh()


@pytest.mark.parametrize(
    "content", [b"", b"{", b"[]", b'"x"', b'{"accessToken": 1, "expiresAt": "x"}', b"\xff\xfe"]
)
def test_corrupt_token_counts_as_none_with_one_warning(
    home: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    path = Path(token_path(CORP))
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert load_token(CORP) is None
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "warning" in err and str(path) in err


def test_registration_key_and_reuse_rule(home: Path) -> None:
    # Key examples verified against files the AWS CLI v2 wrote (docs/protocol.md §3).
    my_sso = SsoTarget("p", "my-sso", START_URL, "us-east-1", ("sso:account:access",), None, None)
    legacy = SsoTarget("p", None, START_URL, "us-east-1", None, None, None)
    assert Path(registration_path(my_sso)).name == "a8343d65418848d0bc13a5f25cbb32508ceec5d1.json"
    assert Path(registration_path(legacy)).name == "365414a68be7c9bfc776c660981dbdbd942acea4.json"
    device = Registration("cid", "cs", time.time() + 3600, ["sso:account:access"], None)
    pkce = Registration("cid", "cs", time.time() + 3600, ["sso:account:access"],
                        ["authorization_code", "refresh_token"])
    soon = Registration("cid", "cs", time.time() + 600)
    assert device.usable(auth_code=False) and not device.usable(auth_code=True)
    assert pkce.usable(auth_code=True) and not pkce.usable(auth_code=False)
    assert not soon.usable(auth_code=False)
    save_registration(CORP, pkce)
    loaded = load_registration(CORP)
    assert loaded is not None and loaded.grant_types == ["authorization_code", "refresh_token"]


def test_write_json_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "d" / "x.json"
    write_json(str(target), {"a": 1})
    inode = target.stat().st_ino
    write_json(str(target), {"a": 2})
    assert read_json(str(target)) == {"a": 2}
    assert target.stat().st_ino != inode  # a new file was renamed over the old one
    assert os.listdir(target.parent) == ["x.json"]


def test_a_corrupt_token_is_reported_once_per_command(aws_env: AwsEnv) -> None:
    path = Path(token_path(CORP))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    for argv in (["status", "--profile", "dev"], ["export", "--profile", "dev"]):
        result = run_shellsso(*argv)
        assert result.stderr.count("ignoring corrupt SSO token cache file") == 1, result.stderr


def test_the_session_lock_leaves_the_aws_cli_folder_alone(home: Path) -> None:
    from shellsso.sso.token_cache import session_lock

    with session_lock(CORP):
        pass
    save_token(CORP, Token(START_URL, "us-east-1", "at", time.time() + 600))
    assert [p.name for p in (home / ".aws" / "sso" / "cache").iterdir()] == [sha1("corp") + ".json"]
