"""The config index: one profile read without the others, exact, private, never trusted.

Also the config files themselves: only regular files of a sane size, UTF-8,
and a nested block where one value belongs is a clear error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shellsso.awsconfig import index as config_index
from shellsso.awsconfig.model import load_config
from shellsso.core.errors import ConfigError
from tests.conftest import DEMO_CONFIG, run_shellsso, write_config

OTHER_UID = 54321


def _index(home: Path) -> Path:
    found = list((home / ".cache" / "shellsso").glob("config-*.idx"))
    assert len(found) == 1
    return found[0]


def _botocore_profiles(home: Path) -> object:
    code = ("import sys; from botocore.session import Session; "
            "print(repr(Session().full_config['profiles']))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=dict(os.environ, HOME=str(home)))
    return out.stdout.strip()


def test_a_key_holding_a_nul_round_trips(home: Path) -> None:
    # Packed as "k\0v\0k\0v", this key would shift every later key and value by one.
    write_config(home, "[profile a]\nx\0sso_account_id = 1\nsso_account_id = 222222222222\n"
                       "region = r\0x\n")
    first = dict(load_config().get("a"))
    assert _index(home).exists()
    second = dict(load_config().get("a"))
    assert first == second == {"x\0sso_account_id": "1", "sso_account_id": "222222222222",
                               "region": "r\0x"}
    assert repr({"a": second}) == _botocore_profiles(home)


def test_one_profile_is_read_without_the_others(home: Path) -> None:
    text = DEMO_CONFIG + "".join(f"[profile p{i}]\nregion = r{i}\n" for i in range(3000))
    write_config(home, text)
    assert load_config().names()[-1] == "p2999"  # builds the index
    config = load_config()
    calls = []
    original = config_index.Index.everything

    def counting(self: config_index.Index) -> object:
        calls.append(1)
        return original(self)

    config_index.Index.everything = counting  # type: ignore[method-assign,assignment]
    try:
        assert config.get("p1234") == {"region": "r1234"}
        target = config.sso_target("dev")
        assert target is not None and target.account_id == "111111111111"
        assert "nope" not in config.profiles
        assert calls == []
        assert len(config.names()) == 3005 and calls == [1]
    finally:
        config_index.Index.everything = original  # type: ignore[method-assign]


def _plant(home: Path, profiles: dict, sessions: dict) -> Path:  # type: ignore[type-arg]
    """An index made for the current files but holding what the planter chose."""
    config_path = str(home / ".aws" / "config")
    credentials_path = str(home / ".aws" / "credentials")
    folder = home / ".cache" / "shellsso"
    folder.mkdir(parents=True, exist_ok=True)
    path = Path(config_index.index_path(str(folder), (config_path, credentials_path)))
    sources = (config_index.source_identity(config_path),
               config_index.source_identity(credentials_path))
    path.write_bytes(config_index.build(sources, profiles, sessions))
    path.chmod(0o600)
    return path


PLANTED = {"p": {"credential_process": "touch PWNED", "sso_account_id": "999999999999"}}


@pytest.mark.parametrize("how", ["folder-0777", "folder-other-owner", "file-0666",
                                 "file-other-owner"])
def test_an_index_others_can_write_is_ignored(home: Path, how: str) -> None:
    write_config(home, "[profile p]\nregion = r\n")
    index = _plant(home, PLANTED, {})
    folder = index.parent
    if how == "folder-0777":
        folder.chmod(0o777)
    elif how == "folder-other-owner":
        os.chown(folder, OTHER_UID, OTHER_UID)
    elif how == "file-0666":
        index.chmod(0o666)
    else:
        os.chown(index, OTHER_UID, OTHER_UID)
    assert dict(load_config().get("p")) == {"region": "r"}
    if how.startswith("folder"):  # nothing written into a folder someone else controls
        assert index.read_bytes() == config_index.build(
            (config_index.source_identity(str(home / ".aws" / "config")), None), PLANTED, {})


def test_a_planted_index_never_runs_a_credential_process(home: Path) -> None:
    write_config(home, "[profile p]\nregion = r\n")
    _plant(home, {"p": {"credential_process": f"touch {home}/PWNED"}}, {})
    result = run_shellsso("export", "--profile", "p")
    assert not (home / "PWNED").exists()
    assert result.returncode != 0
    assert "has no SSO, role or static credentials" in result.stderr


def test_index_is_rebuilt_when_a_file_is_replaced_with_the_same_size_and_time(
        home: Path) -> None:
    path = write_config(home, "[profile a]\nregion = x\n")
    assert load_config().names() == ["a"]
    stat = path.stat()
    other = path.with_name("config.new")
    other.write_text("[profile b]\nregion = x\n")
    os.utime(other, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(other, path)
    assert load_config().names() == ["b"]


# --- the files themselves -------------------------------------------------------------------


def test_a_fifo_as_config_is_an_error_not_a_hang(home: Path) -> None:
    (home / ".aws").mkdir()
    os.mkfifo(home / ".aws" / "config")
    result = run_shellsso("list", timeout=20)
    assert result.returncode == 1
    assert result.stderr.strip().endswith(f"{home}/.aws/config: not a regular file")
    assert len(result.stderr.strip().splitlines()) == 1


def test_dev_zero_as_config_is_an_error(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/zero")
    result = run_shellsso("status", "--profile", "x", timeout=20)
    assert result.returncode == 1
    assert "/dev/zero: not a regular file" in result.stderr
    assert "MemoryError" not in result.stderr and "Traceback" not in result.stderr


def test_a_huge_config_is_an_error(home: Path) -> None:
    path = write_config(home, "[default]\n")
    with open(path, "ab") as handle:
        handle.truncate(40 * 1024 * 1024)
    with pytest.raises(ConfigError, match=r"config: larger than 32 MB"):
        load_config()


def test_a_config_that_is_not_utf8_says_so(home: Path) -> None:
    path = home / ".aws" / "config"
    path.parent.mkdir()
    path.write_bytes(b"[default]\nregion = us-east-1\nname = caf\xe9 s3cr3t\n")
    result = run_shellsso("list")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"shellsso: error: {path}, line 3: not UTF-8 text (AWS tools read the config as UTF-8)")


def test_a_nested_source_profile_names_the_profile(home: Path) -> None:
    write_config(home, DEMO_CONFIG + "[profile admin]\nrole_arn = arn:aws:iam::1:role/A\n"
                       "source_profile =\n  dev = x\n")
    result = run_shellsso("export", "--profile", "admin")
    assert result.returncode == 1
    assert "profile 'admin'" in result.stderr and "'source_profile' as a nested block" \
        in result.stderr
    assert "TypeError" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
