"""What a new user trips over in populate and configure, against the emulator's demo
organisation (dev, staging, prod, sandbox) and the demo's config.

The CLI runs in a subprocess or under a terminal (pexpect), as a user runs it.
"""

from __future__ import annotations

from pathlib import Path

from shellsso.emulator import Emulator
from tests.commands.test_configure import answer, child_env, finish, spawn
from tests.commands.test_populate import Org, botocore_profiles, profile_names
from tests.conftest import DEMO_CONFIG, write_config

# --- populate: profiles that exist already, the only session ---------------------------------


def test_populate_skips_what_the_demo_config_already_reaches(
    home: Path, emulator: Emulator,
) -> None:
    config = write_config(home, DEMO_CONFIG)
    org = Org(home, emulator)
    org.login()
    out = org.run("populate", "--yes")  # the config has one session: no --sso-session
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    # dev is AdministratorAccess in 111111111111 through corp: no twin
    assert ("note: dev-administratoraccess (111111111111 AdministratorAccess) skipped: "
            "profile 'dev' outside the populate block reaches it") in out.stdout
    # legacy reaches 444444444444 through the same portal
    assert ("note: sandbox-administratoraccess (444444444444 AdministratorAccess) skipped: "
            "profile 'legacy' outside the populate block reaches it") in out.stdout
    assert "3 to add, 0 to change, 0 to remove, 0 unchanged, 4 skipped" in out.stdout
    text = config.read_text()
    assert text.startswith(DEMO_CONFIG)
    names = profile_names(text)
    assert sorted(names) == ["dev-readonlyaccess", "prod-administratoraccess",
                             "staging-administratoraccess"]
    resolved = botocore_profiles(home, config, emulator.url, names)
    assert resolved["dev-readonlyaccess"]["account"] == "111111111111"

    again = org.run("populate", "--yes")
    assert "0 to add, 0 to change, 0 to remove, 3 unchanged, 4 skipped" in again.stdout
    assert config.read_text() == text


def test_populate_drops_a_twin_it_wrote_before_the_user_named_the_profile(
    home: Path, emulator: Emulator,
) -> None:
    session = DEMO_CONFIG[DEMO_CONFIG.index("[sso-session corp]"):
                          DEMO_CONFIG.index("[profile dev]")]
    config = write_config(home, session)
    org = Org(home, emulator)
    org.login()
    assert org.run("populate", "--yes").returncode == 0
    assert "dev-administratoraccess" in profile_names(config.read_text())
    config.write_text(config.read_text() + "\n[profile dev]\nsso_session = corp\n"
                      "sso_account_id = 111111111111\nsso_role_name = AdministratorAccess\n")
    out = org.run("populate", "--yes")
    assert out.returncode == 0, out.stderr
    assert "- dev-administratoraccess  (111111111111 AdministratorAccess)" in out.stdout
    assert "dev-administratoraccess" not in profile_names(config.read_text())


def test_populate_needs_sso_session_only_when_the_config_has_several(
    home: Path, emulator: Emulator,
) -> None:
    org = Org(home, emulator)
    helped = org.run("populate", "--help")
    assert helped.returncode == 0
    assert "[--sso-session NAME]" in helped.stdout
    assert "default: the only one in the config" in " ".join(helped.stdout.split())

    write_config(home, DEMO_CONFIG + "\n[sso-session other]\nsso_start_url = "
                 "https://other.awsapps.com/start\nsso_region = eu-west-1\n")
    out = org.run("populate", "--dry-run")
    assert out.returncode == 2
    assert out.stderr == ("shellsso: error: the config has 2 SSO sessions (corp, other); "
                          "choose one: shellsso populate --sso-session NAME\n")

    write_config(home, "[profile keys]\nregion = us-east-1\n")
    out = org.run("populate", "--dry-run")
    assert out.returncode == 2
    assert out.stderr == ("shellsso: error: the config has no [sso-session]; make one with: "
                          "shellsso configure\n")


# --- configure and populate's block ----------------------------------------------------------

SESSION_ONLY = DEMO_CONFIG[DEMO_CONFIG.index("[sso-session corp]"):
                           DEMO_CONFIG.index("[profile dev]")]


def test_configure_never_offers_or_edits_a_profile_of_populates_block(
    home: Path, emulator: Emulator,
) -> None:
    config = write_config(home, SESSION_ONLY)
    org = Org(home, emulator)
    org.login()
    assert org.run("populate", "--yes").returncode == 0
    populated = config.read_text()
    assert "[profile dev-administratoraccess]" in populated

    child = spawn(child_env(home, emulator))
    answer(child, "SSO session name [corp]: ", "")
    answer(child, "Account (number, or text to filter): ", "dev")
    answer(child, "Role (number, or text to filter): ", "admin")
    child.expect(r"Profile name \[([^\]]+)\]: ")
    suggested = child.match.group(1)
    assert suggested not in profile_names(populated)
    child.send("dev-administratoraccess\r")
    child.expect_exact("'dev-administratoraccess' belongs to `shellsso populate` (its block for "
                       "SSO session corp), which rewrites it on every run")
    child.expect_exact("shellsso populate --naming")
    child.expect_exact("move its section out of the block")
    answer(child, f"Profile name [{suggested}]: ", "dev")
    answer(child, "Default client region [us-east-1]: ", "")
    answer(child, "Default output format [json]: ", "")
    out = finish(child)
    assert child.exitstatus == 0, out
    text = config.read_text()
    assert text.startswith(populated)  # the block is as populate wrote it
    assert text.endswith("[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\n"
                         "sso_role_name = AdministratorAccess\nregion = us-east-1\n"
                         "output = json\n")


# --- regions: the known list, close matches, a way to force a new one ------------------------


def test_configure_checks_the_region_against_the_known_ones(
    home: Path, emulator: Emulator,
) -> None:
    config = write_config(home, SESSION_ONLY)
    child = spawn(child_env(home, emulator))
    answer(child, "SSO session name [corp]: ", "")
    answer(child, "Account (number, or text to filter): ", "sandbox")
    answer(child, "Profile name [sandbox-administratoraccess]: ", "")
    answer(child, "Default client region [us-east-1]: ", "eu-westt-1")
    child.expect_exact("eu-westt-1 is not a known region; did you mean eu-west-1?")
    child.expect_exact("type it again to use it anyway")
    answer(child, "Default client region [us-east-1]: ", "xx-newland-7")
    child.expect_exact("xx-newland-7 is not a known region; type it again to use it anyway")
    answer(child, "Default client region [us-east-1]: ", "xx-newland-7")
    answer(child, "Default output format [json]: ", "")
    out = finish(child)
    assert child.exitstatus == 0, out
    assert "region = xx-newland-7\n" in config.read_text()
    assert "eu-westt-1" not in config.read_text()


def test_a_region_is_known_or_has_close_matches() -> None:
    from shellsso.awsconfig.regions import known_region

    assert known_region("eu-west-1") == (True, [])
    known, close = known_region("eu-westt-1")
    assert not known and close[0] == "eu-west-1"
    assert known_region("xx-newland-7") == (False, [])


def test_populate_says_when_its_region_is_not_a_known_one(home: Path, emulator: Emulator) -> None:
    write_config(home, SESSION_ONLY)
    org = Org(home, emulator)
    org.login()
    out = org.run("populate", "--dry-run", "--region", "eu-westt-1")
    assert out.returncode == 0, out.stderr
    assert ("note: --region eu-westt-1 is not a known region; did you mean eu-west-1? "
            "(used as given)") in out.stdout
    out = org.run("populate", "--dry-run", "--region", "eu-west-1")
    assert "not a known region" not in out.stdout


# --- configure's account chooser --------------------------------------------------------------


def test_the_account_chooser_says_what_happened(home: Path, emulator: Emulator) -> None:
    write_config(home, SESSION_ONLY)
    child = spawn(child_env(home, emulator))
    answer(child, "SSO session name [corp]: ", "")
    child.expect_exact("4 accounts:")
    answer(child, "Account (number, or text to filter): ", "zzz")
    child.expect_exact("no account matches 'zzz'")
    child.expect_exact("4 accounts:")  # the full list again, with its header
    child.expect_exact("  1  dev  (111111111111, dev@example.com)")
    answer(child, "Account (number, or text to filter): ", "99")
    child.expect_exact("99 is out of range: 1-4")
    answer(child, "Account (number, or text to filter): ", "s")
    child.expect_exact("2 of 4 match 's':")
    child.expect_exact("  2  staging")
    answer(child, "Account (number, text to filter, or empty for the full list): ", "")
    child.expect_exact("4 accounts:")
    answer(child, "Account (number, or text to filter): ", "1")
    child.expect_exact("Using account dev  (111111111111")
    child.sendeof()
    finish(child)
