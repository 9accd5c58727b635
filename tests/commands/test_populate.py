"""`shellsso populate` against generated organisations on the emulator.

The CLI runs in a subprocess as a user would run it; botocore, in a process
of its own, reads what populate wrote and resolves the profiles.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

import pytest

from shellsso.emulator import Emulator
from shellsso.emulator.org import Account, Organisation, generate
from tests.conftest import START_URL, browser_command, write_config

SESSION = f"""\
[sso-session corp]
sso_start_url = {START_URL}
sso_region = us-east-1
sso_registration_scopes = sso:account:access
"""

HAND = """\
# hand-written; populate must not touch a byte of this
[profile payments-dev-000-readonlyaccess]
region = ap-south-1 ; not a comment to botocore

[profile other]\r
sso_session = corp\r
"""

BOTOCORE_SCRIPT = """
import json, sys
import botocore.session
names = json.loads(sys.argv[1])
full = botocore.session.Session().full_config
resolved = {}
for name in names:
    s = botocore.session.Session(profile=name)
    creds = s.get_credentials()
    frozen = creds.get_frozen_credentials()
    resolved[name] = {"method": creds.method, "prefix": frozen.access_key[:4],
                      "account": s.get_scoped_config().get("sso_account_id"),
                      "region": s.get_config_variable("region")}
print(json.dumps({"resolved": resolved, "profiles": full["profiles"],
                  "sessions": full.get("sso_sessions", {})}))
"""


def botocore_read(home: Path, config: Path, url: str, names: List[str]) -> Dict[str, Any]:
    """botocore, in its own process, reads the config and resolves `names`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=str(home), AWS_CONFIG_FILE=str(config), AWS_ENDPOINT_URL_SSO_OIDC=url,
               AWS_ENDPOINT_URL_SSO=url, AWS_EC2_METADATA_DISABLED="true")
    out = subprocess.run([sys.executable, "-c", BOTOCORE_SCRIPT, json.dumps(names)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    data: Dict[str, Any] = json.loads(out.stdout)
    return data


def botocore_profiles(home: Path, config: Path, url: str, names: List[str]) -> Dict[str, Any]:
    resolved: Dict[str, Any] = botocore_read(home, config, url, names)["resolved"]
    return resolved


class Org:
    """An emulator serving `org`, a HOME with the corp session, logged in."""

    def __init__(self, home: Path, emulator: Emulator) -> None:
        self.home = home
        self.emulator = emulator
        self.config = home / ".aws" / "config"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.env.update(HOME=str(home), AWS_ENDPOINT_URL_SSO_OIDC=emulator.url,
                        AWS_ENDPOINT_URL_SSO=emulator.url, BROWSER=browser_command(),
                        AWS_EC2_METADATA_DISABLED="true")

    def run(self, *args: str, env: Optional[Dict[str, str]] = None,
            prefix: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*prefix, sys.executable, "-m", "shellsso", *args],
                              capture_output=True,
                              text=True, env=env or self.env, timeout=120,
                              stdin=subprocess.DEVNULL)

    def populate(self, *args: str) -> subprocess.CompletedProcess[str]:
        out = self.run("populate", "--sso-session", "corp", *args)
        assert "Traceback" not in out.stderr + out.stdout
        return out

    def login(self) -> None:
        out = self.run("login", "--sso-session", "corp")
        assert out.returncode == 0, out.stderr


def start(home: Path, org: Organisation, config: str = SESSION, **kwargs: Any) -> Iterator[Org]:
    emu = Emulator(org=org, **kwargs)
    emu.start()
    try:
        write_config(home, config)
        env = Org(home, emu)
        env.login()
        yield env
    finally:
        emu.stop()


@pytest.fixture
def org500(home: Path) -> Iterator[Org]:
    yield from start(home, generate(500, 3), HAND + "\n" + SESSION)


@pytest.fixture
def org60(home: Path) -> Iterator[Org]:
    yield from start(home, generate(60, 3), HAND + "\n" + SESSION)


def block(text: str) -> str:
    begin = text.index("# shellsso populate begin: corp")
    end = text.index("# shellsso populate end: corp")
    return text[begin:end]


def profile_names(text: str) -> List[str]:
    return re.findall(r"^\[profile ([^\]]+)\]", block(text), re.M)


def test_500_accounts_first_run_rerun_removal_and_prune(org500: Org) -> None:
    first = org500.populate("--yes")
    assert first.returncode == 0, first.stderr
    assert "corp: 500 accounts, 1500 roles" in first.stdout
    # one of the generated names is taken by a hand-written profile: skipped, with a note
    assert "1499 to add, 0 to change, 0 to remove, 0 unchanged, 1 skipped" in first.stdout
    assert ("note: payments-dev-000-readonlyaccess (100000000000 ReadOnlyAccess) skipped"
            in first.stdout)
    assert org500.emulator.counters["ListAccounts"] == 25  # pages of 20
    assert org500.emulator.counters["ListAccountRoles"] == 500
    text = org500.config.read_bytes().decode()
    assert text.startswith(HAND + "\n" + SESSION)  # every byte outside the block kept
    assert len(profile_names(text)) == 1499
    assert "[profile shared-services-dev-009-administratoraccess]\n" \
           "sso_session = corp\nsso_account_id = 100000000009\n" \
           "sso_role_name = AdministratorAccess\nsso_account_name = Shared Services-dev-009\n" \
           "region = us-east-1\n" in text
    assert (org500.config.stat().st_mode & 0o777) == 0o644  # write_config's mode, kept

    seen = botocore_read(org500.home, org500.config, org500.emulator.url,
                         ["payments-dev-000-administratoraccess",
                          "shared-services-dev-009-administratoraccess"])
    assert seen["sessions"]["corp"]["sso_start_url"] == START_URL
    profiles = seen["profiles"]
    assert profiles["other"] == {"sso_session": "corp"}
    assert profiles["payments-dev-000-readonlyaccess"] == {
        "region": "ap-south-1 ; not a comment to botocore"}
    for name in profile_names(text):
        assert profiles[name]["sso_session"] == "corp"
        assert re.fullmatch(r"\d{12}", profiles[name]["sso_account_id"])
    assert seen["resolved"]["shared-services-dev-009-administratoraccess"]["account"] == \
        "100000000009"
    assert all(r["method"] == "sso" and r["prefix"] == "ASIA"
               for r in seen["resolved"].values())

    stat = org500.config.stat()
    again = org500.populate("--yes")
    assert again.returncode == 0
    assert "0 to add, 0 to change, 0 to remove, 1499 unchanged, 1 skipped" in again.stdout
    assert "Nothing to change" in again.stdout
    assert org500.config.read_bytes().decode() == text
    assert org500.config.stat().st_mtime_ns == stat.st_mtime_ns  # not even rewritten

    org500.emulator.org.remove("100000000042")
    kept = org500.populate("--yes")
    assert kept.returncode == 0
    stale = [line for line in kept.stdout.splitlines() if line.startswith("! ")]
    assert len(stale) == 3 and all("-042-" in line and "--prune removes it" in line
                                   for line in stale)
    assert "0 to add, 0 to change, 0 to remove, 1496 unchanged" in kept.stdout
    assert org500.config.read_bytes().decode() == text

    pruned = org500.populate("--yes", "--prune")
    assert pruned.returncode == 0
    removed = [line for line in pruned.stdout.splitlines() if line.startswith("- ")]
    assert len(removed) == 3 and all("100000000042" in line for line in removed)
    after = org500.config.read_bytes().decode()
    assert len(profile_names(after)) == 1496
    assert "100000000042" not in after
    assert after.startswith(HAND + "\n" + SESSION)
    assert Path(str(org500.config) + ".bak").read_bytes().decode() == text


def test_dry_run_prints_the_diff_and_writes_nothing(org60: Org) -> None:
    before = org60.config.read_bytes()
    out = org60.populate("--dry-run")
    assert out.returncode == 0
    assert "+ analytics-dev-012-administratoraccess  (100000000012 AdministratorAccess)" \
        in out.stdout
    assert "Dry run: nothing was written." in out.stdout
    assert org60.config.read_bytes() == before
    assert not Path(str(org60.config) + ".bak").exists()


def test_naming_template_region_and_changes(org60: Org) -> None:
    out = org60.populate("--yes", "--naming", "{session}/{account_id}.{role_name}",
                         "--region", "eu-west-1")
    assert out.returncode == 0, out.stderr
    text = org60.config.read_text()
    assert "[profile corp-100000000005.readonlyaccess]\n" in text
    assert "region = eu-west-1" in text
    out = org60.populate("--yes", "--naming", "{session}/{account_id}.{role_name}")
    assert "0 to add, 180 to change, 0 to remove" in out.stdout
    assert "~ corp-100000000005.readonlyaccess  (region: eu-west-1 -> us-east-1)" in out.stdout


def test_clashing_names_get_the_account_id(home: Path) -> None:
    org = Organisation([Account("111111111111", "Shared", "a@example.com", ("Admin",)),
                        Account("222222222222", "shared", "b@example.com", ("Admin",)),
                        Account("333333333333", "Data & ML", "c@example.com",
                                ("Admin", "admin"))])
    for env in start(home, org):
        out = env.populate("--yes")
        assert out.returncode == 0, out.stderr
        names = profile_names(env.config.read_text())
        assert names == ["data-ml-admin-333333333333", "data-ml-admin-333333333333-2",
                         "shared-admin-111111111111", "shared-admin-222222222222"]
        resolved = botocore_profiles(home, env.config, env.emulator.url, names)
        assert [resolved[n]["account"] for n in names] == [
            "333333333333", "333333333333", "111111111111", "222222222222"]


def test_completion_and_the_index_see_new_profiles_at_once(org60: Org) -> None:
    names = org60.run("_names", "bash", "key")
    assert names.returncode == 0
    listed = org60.run("list", "--json")
    assert "analytics-dev-012-administratoraccess" not in listed.stdout
    assert org60.populate("--yes").returncode == 0
    listed = org60.run("list", "--json")
    assert "analytics-dev-012-administratoraccess" in listed.stdout
    cache = org60.home / ".cache" / "shellsso" / "names.bash"
    assert org60.config.stat().st_mtime_ns > cache.stat().st_mtime_ns  # the hooks' -nt test
    org60.run("_names", "bash", "key")
    assert "analytics-dev-012-administratoraccess" in cache.read_text()


def test_throttled_calls_are_retried_with_backoff(home: Path) -> None:
    for env in start(home, generate(24, 2)):
        env.emulator.inject_failure("ListAccounts", 429, 2, "TooManyRequestsException")
        env.emulator.inject_failure("ListAccountRoles", 429, 12, "TooManyRequestsException")
        out = env.populate("--yes")
        assert out.returncode == 0, out.stderr
        assert "corp: 24 accounts, 48 roles (listed in " in out.stdout
        assert "; 14 throttled calls retried)" in out.stdout
        assert env.emulator.counters["ListAccountRoles"] == 24 + 12
        assert len(profile_names(env.config.read_text())) == 48


def test_the_emulator_throttles_past_its_rate(home: Path) -> None:
    from shellsso.emulator.server import Throttle

    throttle = Throttle(3)
    assert [throttle.admit() for _ in range(5)] == [True, True, True, False, False]
    assert all(Throttle(0).admit() for _ in range(100))
    for env in start(home, generate(30, 2), throttle=20):
        out = env.populate("--yes")
        assert out.returncode == 0, out.stderr
        throttled = env.emulator.counters.get("Throttled", 0)
        assert env.emulator.counters["ListAccountRoles"] == 30 + throttled - \
            env.emulator.counters["ListAccounts"] + 2
        if throttled:
            assert f"; {throttled} throttled calls retried)" in out.stdout
        assert len(profile_names(env.config.read_text())) == 60


def test_empty_organisation_is_one_line(home: Path) -> None:
    for env in start(home, Organisation([])):
        before = env.config.read_bytes()
        out = env.populate("--yes")
        assert out.returncode == 1
        assert out.stderr.strip().splitlines() == [
            "shellsso: error: SSO session 'corp' reaches no accounts: nothing to populate "
            "(nothing was written)"]
        assert env.config.read_bytes() == before


def test_unreachable_portal_is_one_line(org60: Org) -> None:
    before = org60.config.read_bytes()
    env = dict(org60.env, AWS_ENDPOINT_URL_SSO="http://127.0.0.1:9")
    out = org60.run("populate", "--sso-session", "corp", "--yes", env=env)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the SSO portal endpoint http://127.0.0.1:9" \
        in lines[0], out.stderr
    assert org60.config.read_bytes() == before


def test_unknown_session_and_bad_template(org60: Org) -> None:
    out = org60.run("populate", "--sso-session", "crop")
    assert out.returncode == 1
    assert "sso-session 'crop' not found" in out.stderr and "corp" in out.stderr
    out = org60.run("populate", "--sso-session", "corp", "--naming", "{account}")
    assert out.returncode == 2
    assert "unknown field {account}" in out.stderr
    before = org60.config.read_bytes()
    out = org60.run("populate", "--sso-session", "corp", "--yes",
                    "--region", "us-east-1\n[profile injected]")
    assert out.returncode == 2
    assert out.stderr == ("shellsso: error: --region: 'us-east-1\\n[profile injected]' is not "
                          "an AWS region name (e.g. us-east-1, eu-west-1)\n")
    out = org60.run("populate", "--sso-session", "corp", "--yes", "--naming",
                    "{account_name}\n[x]")
    assert out.returncode == 2 and "control characters" in out.stderr
    assert org60.config.read_bytes() == before


def test_a_config_that_does_not_parse_is_refused(org60: Org) -> None:
    org60.config.write_text(SESSION + "[profile x]\nnot a key line\n")
    before = org60.config.read_bytes()
    out = org60.populate("--yes")
    assert out.returncode == 1
    assert out.stderr.strip() == (
        f"shellsso: error: {org60.config}, line 6: expected 'key = value' or a [section] "
        "header; fix the file first (nothing was written)")
    assert org60.config.read_bytes() == before


def test_read_only_config_folder_is_one_line(org60: Org) -> None:
    from tests.awsconfig.test_configwrite import read_only

    before = org60.config.read_bytes()
    with read_only(org60.config.parent) as (prefix, reason):
        out = org60.run("populate", "--sso-session", "corp", "--yes", prefix=prefix)
    assert out.returncode == 1, out.stdout
    lines = out.stderr.strip().splitlines()
    assert lines == [f"shellsso: error: cannot write {org60.config}: the folder "
                     f"{org60.config.parent} {reason}; nothing was written"]
    assert org60.config.read_bytes() == before
    assert sorted(os.listdir(org60.config.parent)) == ["config", "sso"]


def test_on_a_terminal_it_asks_before_writing(org60: Org) -> None:
    import pexpect

    before = org60.config.read_bytes()
    # stdout into a pager: still asked, since someone types at stdin
    piped = f"{sys.executable} -m shellsso populate --sso-session corp | cat"
    child = pexpect.spawn("sh", ["-c", piped], env=org60.env, encoding="utf-8", timeout=60)
    # the question (stderr) may overtake the diff (stdout, through cat)
    child.expect_exact(f"Write these changes to {org60.config}? [y/N] ")
    child.send("\r")
    child.expect_exact(f"Nothing was written to {org60.config}.")
    child.expect(pexpect.EOF)
    assert org60.config.read_bytes() == before

    child = pexpect.spawn(sys.executable, ["-m", "shellsso", "populate", "--sso-session", "corp"],
                          env=org60.env, encoding="utf-8", timeout=60)
    child.expect_exact("? [y/N] ")
    child.send("y\r")
    child.expect_exact(f"Wrote 179 profiles to {org60.config}")
    child.expect(pexpect.EOF)
    assert len(profile_names(org60.config.read_bytes().decode())) == 179


def test_no_login_off_a_terminal_is_one_line(home: Path) -> None:
    emu = Emulator(org=generate(5, 1))
    emu.start()
    try:
        config = write_config(home, SESSION)
        out = Org(home, emu).populate("--yes")
    finally:
        emu.stop()
    assert out.returncode == 3
    assert out.stderr == ("shellsso: error: no token for SSO session 'corp'; run: "
                          "shellsso login --sso-session corp\n")
    assert config.read_text() == SESSION


def test_the_emulator_command_serves_a_generated_organisation(home: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "shellsso", "emulator", "--quiet", "--accounts", "45",
         "--roles", "2"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", proc.stdout.readline())
        assert match, "no banner"
        url = match.group(1)
        config = write_config(home, SESSION)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(HOME=str(home), AWS_ENDPOINT_URL_SSO_OIDC=url, AWS_ENDPOINT_URL_SSO=url,
                   BROWSER=browser_command())
        for args in (["login", "--sso-session", "corp"],
                     ["populate", "--sso-session", "corp", "--yes"]):
            out = subprocess.run([sys.executable, "-m", "shellsso", *args], env=env,
                                 capture_output=True, text=True, timeout=60,
                                 stdin=subprocess.DEVNULL)
            assert out.returncode == 0, out.stderr
        assert "corp: 45 accounts, 90 roles" in out.stdout
        names = profile_names(config.read_text())
        assert len(names) == 90 and "shared-services-dev-009-readonlyaccess" in names
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_awsuse_tab_completes_new_profiles_at_once(shell: str, org60: Org) -> None:
    from tests.shell.harness import ShellSession

    with ShellSession(shell, org60.home, env=org60.env, timeout=15) as sh:
        assert "awsuse other " in sh.complete("awsuse oth")  # the names cache is made
        before = sh.complete("awsuse analytics-dev-012-a")
        assert "analytics-dev-012-administratoraccess" not in before
        assert org60.populate("--yes").returncode == 0
        assert "awsuse analytics-dev-012-administratoraccess " in sh.complete(
            "awsuse analytics-dev-012-a")


@pytest.mark.parametrize(("template", "expected"), [
    ("{account_name}-{role_name}", "data-ml-prod-adminaccess"),
    ("{session}/{account_name}", "corp-data-ml-prod"),
    ("{account_id}.{role_name}", "123456789012.adminaccess"),
    ("{account_name} ; rm -rf ~ {role_name}", "data-ml-prod-rm-rf-adminaccess"),
])
def test_names_are_one_safe_word(template: str, expected: str) -> None:
    from shellsso.awsconfig.naming import make_name

    assert make_name(template, "corp", "123456789012", "Data & ML (Prod)",
                     "AdminAccess") == expected


def test_an_aws_profile_naming_no_profile_does_not_matter(org60: Org) -> None:
    out = org60.run("populate", "--sso-session", "corp", "--dry-run",
                    env=dict(org60.env, AWS_PROFILE="gone"))
    assert out.returncode == 0, out.stderr
    assert "179 to add" in out.stdout


def test_what_the_portal_sends_cannot_inject_lines(home: Path) -> None:
    org = Organisation([Account("111111111111", "good\n[profile evil]", "a@example.com",
                                ("Admin", "Admin\n[profile evil2]")),
                        Account("2222\n[profile evil3]", "bad", "b@example.com", ("Admin",))])
    for env in start(home, org):
        out = env.populate("--yes")
        assert out.returncode == 0, out.stderr
        text = env.config.read_text()
        assert profile_names(text) == ["good-profile-evil-admin"]
        assert "sso_account_name = good [profile evil]\n" in text
        assert "evil2" not in text and "evil3" not in text
        assert "ignoring 1 account(s) whose id the portal sent malformed" in out.stderr
        assert "ignoring 1 malformed role name(s) in account 111111111111" in out.stderr
