"""The config reader agrees with botocore's own, and says where a file is broken."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from shellsso.awsconfig.ini import parse_ini
from shellsso.awsconfig.model import AwsConfig, build_maps, load_config
from shellsso.core.errors import ConfigError, ProfileNotFound
from tests.conftest import DEMO_CONFIG, sha1, write_config

SAMPLES = [
    DEMO_CONFIG,
    # [default] and [profile default]: the later one wins whole, no merge.
    "[default]\nregion = a\noutput = json\n[profile default]\nregion = b\n",
    "[profile default]\nregion = b\n[default]\nregion = a\n",
    # Key names are lower-cased, section names are not; inline comments stay in values.
    "[profile X]\nSSO_Session = corp\nregion = us-east-1 # comment\n[Profile y]\nregion = z\n",
    # shlex-quoted names; unquoted spaces make botocore ignore the section.
    '[profile "my name"]\nregion = a\n[profile two words]\nregion = b\n',
    # Nested values (s3 =, services) and ':' delimiters, comments, blank lines.
    "# top\n[profile s3]\ns3 =\n  max_concurrent_requests = 20\n  addressing_style = path\n"
    "; c\n\n[services emu]\nsso_oidc =\n  endpoint_url = http://x\nregion: eu-west-1\n",
    "[sso-session corp]\nsso_start_url = https://x\nsso_region = us-east-1\n"
    "[profile a]\nsso_session = corp\n",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_profiles_match_botocore(text: str, tmp_path: Path) -> None:
    from botocore.configloader import build_profile_map, raw_config_parse

    path = tmp_path / "config"
    path.write_text(text)
    expected = build_profile_map(raw_config_parse(str(path)))
    profiles, sessions = build_maps(parse_ini(text, str(path)), [])
    assert profiles == expected["profiles"]
    assert sessions == expected.get("sso_sessions", {})


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("region = x\n[default]\n", 1, "'region' comes before any [section]"),
        ("[default]\nregion = a\n[default]\n", 3, "appears twice"),
        ("[default]\nregion = a\nregion = b\n", 3, "appears twice"),
        ("[default]\nthis is not a key\n", 2, "expected 'key = value' or a [section] header"),
    ],
)
def test_malformed_config_names_file_and_line(text: str, line: int, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_ini(text, "/x/config")
    assert f"/x/config, line {line}" in info.value.message
    assert words in info.value.message


def test_missing_config_means_no_profiles(home: Path) -> None:
    assert load_config().names() == []


@pytest.mark.parametrize(
    "text", ["aws_secret_access_key = s3cr3t\n[a]\n", "[a]\naws_secret_access_key s3cr3t\n"]
)
def test_config_errors_never_quote_a_secret(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_ini(text, "/x/credentials")
    assert "s3cr3t" not in info.value.message


def test_credentials_file_profiles_count_and_secrets_stay_out(home: Path) -> None:
    write_config(home, "[profile a]\nregion = x\n[profile c]\naws_secret_access_key = s3cr3t\n")
    (home / ".aws" / "credentials").write_text(
        "[a]\naws_access_key_id = AKIA1\naws_secret_access_key = s3cr3t\n[b]\n"
        "aws_access_key_id = AKIA2\naws_secret_access_key = s3cr3t\n"
    )
    config = load_config()
    assert config.names() == ["a", "c", "b"]
    assert config.get("a")["region"] == "x"
    index = [p for p in (home / ".cache" / "shellsso").iterdir() if p.suffix == ".idx"]
    assert index and b"s3cr3t" not in index[0].read_bytes()
    assert oct(index[0].stat().st_mode & 0o777) == "0o600"


def test_index_follows_edits(home: Path) -> None:
    path = write_config(home, "[profile a]\nregion = x\n")
    assert load_config().names() == ["a"]
    path.write_text("[profile a]\nregion = x\n[profile bb]\nregion = y\n")
    os.utime(path, ns=(1, 1))  # even an mtime in the past: size and inode still differ
    assert load_config().names() == ["a", "bb"]


def test_aws_config_file_variable(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = home / "elsewhere.ini"
    other.write_text("[profile only-here]\nregion = x\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", "~/elsewhere.ini")
    assert load_config().names() == ["only-here"]


def _config(text: str) -> AwsConfig:
    profiles, sessions = build_maps(parse_ini(textwrap.dedent(text), "cfg"), [])
    return AwsConfig(profiles, sessions, "cfg")


def test_sso_targets() -> None:
    config = _config(DEMO_CONFIG)
    dev = config.sso_target("dev")
    assert dev is not None
    assert (dev.session_name, dev.account_id, dev.role_name) == (
        "corp", "111111111111", "AdministratorAccess")
    assert dev.scopes == ("sso:account:access",)
    assert dev.cache_key == sha1("corp")
    legacy = config.sso_target("legacy")
    assert legacy is not None and legacy.session_name is None
    assert legacy.cache_key == "7487b5b67d5fa1132cf33fa93ae51ef38cc37752"
    assert config.sso_target("default") is None


def test_role_chain_uses_the_sso_source_and_cycles_are_errors() -> None:
    config = _config(
        DEMO_CONFIG
        + "[profile admin]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = dev\n"
        + "[profile deeper]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = admin\n"
        + "[profile loop1]\nrole_arn = arn:aws:iam::1:role/C\nsource_profile = loop2\n"
        + "[profile loop2]\nrole_arn = arn:aws:iam::1:role/D\nsource_profile = loop1\n"
    )
    target = config.sso_target("deeper")
    assert target is not None and target.profile == "dev"
    with pytest.raises(ConfigError, match="loop1 -> loop2 -> loop1"):
        config.sso_target("loop1")


def test_unknown_profile_suggests_close_names() -> None:
    with pytest.raises(ProfileNotFound) as info:
        _config(DEMO_CONFIG).get("prdo")
    assert info.value.message == "profile 'prdo' not found in cfg (did you mean: prod?)"


def test_incomplete_sso_config_is_a_clear_error() -> None:
    config = _config("[profile a]\nsso_session = nope\n[profile b]\nsso_account_id = 1\n")
    with pytest.raises(ConfigError, match=r"no \[sso-session nope\] section"):
        config.sso_target("a")
    with pytest.raises(ConfigError, match="missing sso_start_url, sso_region"):
        config.sso_target("b")
