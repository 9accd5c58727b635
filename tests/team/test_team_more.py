"""team on a terminal, several teams at once, and beside populate's blocks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.conftest import require, write_config
from tests.team.helpers import FRAGMENT, HAND, block_of, botocore_config, team

OTHER = """\
[sso-session data]
sso_start_url = https://data.awsapps.com/start
sso_region = us-east-1

[profile data-analyst]
sso_session = data
sso_account_id = 444444444444
sso_role_name = Analyst
"""

POPULATED = """\
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1

# shellsso populate begin: corp
# Written by `shellsso populate --sso-session corp`; this block is rewritten on every run.

[profile corp-dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Developer
region = eu-west-1

# shellsso populate end: corp
"""


def test_on_a_terminal_it_asks_before_writing(home: Path) -> None:
    require("sh")
    import pexpect

    config = write_config(home, HAND)
    source = home / "platform.config"
    source.write_text(FRAGMENT)
    env = dict(os.environ)
    # stdout into a pager: still asked, since someone types at stdin
    piped = f"{sys.executable} -m shellsso team add {source} | cat"
    child = pexpect.spawn("sh", ["-c", piped], env=env, encoding="utf-8", timeout=60)
    child.expect_exact(f"Write these changes to {config}? [y/N] ")
    child.send("\r")
    child.expect_exact(f"Nothing was written to {config}.")
    child.expect(pexpect.EOF)
    assert config.read_bytes() == HAND.encode()
    child = pexpect.spawn(sys.executable, ["-m", "shellsso", "team", "add", str(source)],
                          env=env, encoding="utf-8", timeout=60)
    child.expect_exact("? [y/N] ")
    child.send("y\r")
    child.expect_exact(f"Wrote 2 team profiles to {config}")
    child.expect(pexpect.EOF)
    assert "corp-dev" in botocore_config()["profiles"]
    child = pexpect.spawn(sys.executable, ["-m", "shellsso", "team", "remove", "platform",
                                           "--yes"], env=env, encoding="utf-8", timeout=60)
    child.expect_exact("Removed team platform (2 profiles)")
    child.expect(pexpect.EOF)
    assert config.read_bytes() == HAND.encode()


def test_sync_of_several_teams_keeps_the_one_that_fails(home: Path) -> None:
    config = write_config(home, HAND)
    platform, data = home / "platform.config", home / "data.config"
    platform.write_text(FRAGMENT)
    data.write_text(OTHER)
    assert team("add", str(platform)).returncode == 0
    assert team("add", str(data)).returncode == 0
    listed = team("list").stdout.splitlines()
    assert listed[0].split() == ["NAME", "SOURCE", "PROFILES"]
    assert listed[1].split() == ["platform", str(platform), "corp-dev", "corp-deploy"]
    assert listed[2].split() == ["data", str(data), "data-analyst"]
    platform.unlink()
    data.write_text(OTHER.replace("Analyst", "Scientist"))
    out = team("sync")
    assert out.returncode == 1
    assert f"team platform: cannot read {platform}" in out.stderr
    assert "~ data-analyst  (sso_role_name: Analyst -> Scientist)" in out.stdout
    text = config.read_text()
    assert "sso_role_name = Developer" in block_of(text, "platform")
    assert "sso_role_name = Scientist" in block_of(text, "data")
    seen = botocore_config()["profiles"]
    assert seen["data-analyst"]["sso_role_name"] == "Scientist"
    assert seen["corp-dev"]["sso_role_name"] == "Developer"


def test_beside_a_populate_block(home: Path) -> None:
    """populate's profiles are in use outside the team block: skipped with a note; the team
    block goes after populate's and neither block's markers move."""
    config = write_config(home, POPULATED)
    source = home / "platform.config"
    source.write_text(FRAGMENT)
    out = team("add", str(source))
    assert out.returncode == 0, out.stderr
    assert "note: [sso-session corp] is already in" in out.stdout
    assert "note: profile corp-dev skipped" in out.stdout
    assert "note: profile corp-deploy skipped: its source_profile corp-dev was skipped" \
        in out.stdout
    assert "0 to add" in out.stdout
    text = config.read_text()
    assert text.startswith(POPULATED)
    assert block_of(text, "platform").count("[") == 0
    # populate still finds its own block as one it may rewrite
    from shellsso.awsconfig.edit import Document
    from shellsso.commands.populate import find_block

    doc = Document(text)
    assert find_block(doc, "corp", str(config)) is not None
    assert team("remove", "platform").returncode == 0
    assert config.read_text() == POPULATED
