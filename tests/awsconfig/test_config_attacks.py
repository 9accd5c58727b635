"""What a rogue portal, a planted file or another local user can do to the config writer.

Each test attacks through the CLI as a user runs it (populate and configure in
a subprocess or a terminal, against the emulator) and asserts what botocore,
in a process of its own, then reads: a profile name the credentials file
uses is never taken, a value that is inert for botocore stays inert, an
indented header or a misplaced populate marker never makes the writer edit a
section botocore does not see being edited, and the config folder's side
files (backup, temp files) are never written through a link nor left behind.
Other users are played by uid 65534 (root only; those tests fail in CI
rather than skip).
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from shellsso.emulator import Emulator
from shellsso.emulator.org import Account, Organisation, generate
from tests.commands.test_configure import answer, child_env, finish, spawn
from tests.commands.test_populate import SESSION, start
from tests.conftest import require_root, write_config

OTHER = 65534  # nobody

STATIC = """\
[work]
aws_access_key_id = AKIASTATICWORK000001
aws_secret_access_key = static-work-secret

[default]
aws_access_key_id = AKIASTATICDEFAULT001
aws_secret_access_key = static-default-secret
"""

RESOLVE = """
import json, sys
import botocore.session
names = json.loads(sys.argv[1])
full = botocore.session.Session().full_config
resolved = {}
for name in names:
    s = botocore.session.Session(profile=name)
    creds = s.get_credentials()
    resolved[name] = {"method": creds.method,
                      "key": creds.get_frozen_credentials().access_key,
                      "account": s.get_scoped_config().get("sso_account_id")}
print(json.dumps({"resolved": resolved, "profiles": full["profiles"]}))
"""


def botocore_sees(env: Dict[str, str], config: Path, names: List[str]) -> Dict[str, Any]:
    """botocore, in its own process with `env` (credentials file included), reads the config."""
    child = dict(env, AWS_CONFIG_FILE=str(config), AWS_EC2_METADATA_DISABLED="true")
    out = subprocess.run([sys.executable, "-c", RESOLVE, json.dumps(names)],
                         capture_output=True, text=True, env=child, timeout=120)
    assert out.returncode == 0, out.stderr
    data: Dict[str, Any] = json.loads(out.stdout)
    return data


def japan() -> Organisation:
    """An account whose name cleans to nothing: its roles become bare profile names."""
    return Organisation([Account("111111111111", "日本", "jp@example.com",
                                 ("work", "default", "ReadOnly")),
                         Account("222222222222", "ops", "ops@example.com", ("Admin",))])


def one_line(out: subprocess.CompletedProcess[str]) -> str:
    assert out.returncode != 0, out.stdout
    assert "Traceback" not in out.stderr
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    return lines[0]


def side_files(folder: Path) -> List[str]:
    """What is in the config folder besides the config and the credentials file."""
    return sorted(p.name for p in folder.iterdir() if p.name not in ("config", "credentials"))


# --- 1. a name used in either file is a clash ------------------------------------------------


@pytest.mark.parametrize("where", ["home", "variable"])
def test_populate_never_takes_a_name_of_the_credentials_file(home: Path, where: str) -> None:
    credentials = (home / ".aws" / "credentials" if where == "home"
                   else home / "keys" / "shared-credentials")
    for env in start(home, japan()):
        credentials.parent.mkdir(exist_ok=True)
        credentials.write_text(STATIC)
        before = credentials.read_bytes()
        if where == "variable":
            env.env["AWS_SHARED_CREDENTIALS_FILE"] = str(credentials)
        out = env.populate("--yes")
        assert out.returncode == 0, out.stderr
        for name, role in (("work", "work"), ("default", "default")):
            assert (f"note: {name} (111111111111 {role}) skipped: a profile of that name "
                    f"exists in {credentials}") in out.stdout
        assert "2 to add, 0 to change, 0 to remove, 0 unchanged, 2 skipped" in out.stdout
        text = env.config.read_text()
        assert "[profile work]" not in text and "default-111111111111" not in text
        assert "[profile readonly]" in text and "[profile ops-admin]" in text
        assert credentials.read_bytes() == before  # never written
        seen = botocore_sees(env.env, env.config, ["work", "default", "readonly"])["resolved"]
        assert seen["work"] == {"method": "shared-credentials-file",
                                "key": "AKIASTATICWORK000001", "account": None}
        assert seen["default"]["key"] == "AKIASTATICDEFAULT001"
        assert seen["readonly"]["method"] == "sso"
        assert seen["readonly"]["account"] == "111111111111"


def test_populate_gives_back_a_name_it_took_before(home: Path) -> None:
    """A block written before the rule: its `work` leaves, the user's static keys come back."""
    for env in start(home, japan()):
        assert env.populate("--yes").returncode == 0
        assert "[profile work]" in env.config.read_text()
        (home / ".aws" / "credentials").write_text(STATIC)
        out = env.populate("--yes")
        assert out.returncode == 0, out.stderr
        assert "- work  (111111111111 work)" in out.stdout
        assert "[profile work]" not in env.config.read_text()
        seen = botocore_sees(env.env, env.config, ["work"])["resolved"]
        assert seen["work"]["key"] == "AKIASTATICWORK000001"


def test_configure_never_suggests_nor_takes_a_name_of_the_credentials_file(home: Path) -> None:
    emu = Emulator(org=Organisation([Account("111111111111", "日本", "jp@example.com",
                                             ("work",))]))
    emu.start()
    try:
        config = write_config(home, SESSION)
        credentials = home / ".aws" / "credentials"
        credentials.write_text(STATIC)
        before = credentials.read_bytes()
        env = child_env(home, emu)
        child = spawn(env, "--sso-session", "corp")
        child.expect_exact("Using the only role: work")
        answer(child, "Profile name [work-111111111111]: ", "work")
        child.expect_exact(f"'work' is a profile in {credentials}; choose another name")
        answer(child, "Profile name [work-111111111111]: ", "default")
        child.expect_exact(f"'default' is a profile in {credentials}; choose another name")
        answer(child, "Profile name [work-111111111111]: ", "")
        answer(child, "Default client region [us-east-1]: ", "")
        answer(child, "Default output format [json]: ", "")
        out = finish(child)
        assert child.exitstatus == 0, out
        assert credentials.read_bytes() == before
        seen = botocore_sees(env, config, ["work", "work-111111111111"])["resolved"]
        assert seen["work"]["key"] == "AKIASTATICWORK000001"
        assert seen["work-111111111111"]["method"] == "sso"
    finally:
        emu.stop()


def test_no_writer_can_add_a_profile_the_credentials_file_has(home: Path) -> None:
    """The rule lives in the writer: a future command that forgets it is refused too."""
    script = ("import sys\nfrom shellsso.core.output import guarded\n"
              "from shellsso.awsconfig.edit import ConfigFile\n"
              "sys.exit(guarded(lambda: ConfigFile().update(lambda d: d.set_keys("
              "'profile work', {'sso_session': 'corp'})) and 0, False, ''))")
    config = write_config(home, SESSION)
    (home / ".aws" / "credentials").write_text(STATIC)
    env = dict(os.environ, HOME=str(home))
    line = one_line(subprocess.run([sys.executable, "-c", script], capture_output=True,
                                   text=True, env=env, timeout=60))
    assert line == (f"shellsso: error: refusing to add profile 'work' to {config}: "
                    f"{home / '.aws' / 'credentials'} has a profile of that name; "
                    "nothing was written")
    assert config.read_text() == SESSION


# --- 2. one line model for reader and writer ------------------------------------------------


# For botocore, `dev` is empty: the indented header after it is a header (no key is
# open), and `prod` holds an inert role name (U+2028 does not end a line).
INERT = (SESSION + "\n[profile dev]\n  [profile prod]\nregion = eu-central-1\noutput = text\n"
         "sso_role_name = ReadOnly\u2028endpoint_url = https://evil.example\n"
         "\n[profile keep]\nregion = ap-south-1\n")


def test_configure_edits_exactly_the_profile_botocore_sees(home: Path, emulator: Any) -> None:
    """An inert U+2028 value stays inert, and an indented header is the header it is."""
    config = write_config(home, INERT)
    env = child_env(home, emulator)
    before = botocore_sees(env, config, [])["profiles"]
    assert before["dev"] == {} and "endpoint_url" not in before["prod"]
    child = spawn(env, "--sso-session", "corp")
    answer(child, "Account (number, or text to filter): ", "dev")
    answer(child, "Role (number, or text to filter): ", "admin")
    answer(child, "Profile name [dev-administratoraccess]: ", "dev")
    answer(child, "replace its settings? (y/N) [n]: ", "y")
    answer(child, "Default client region [us-east-1]: ", "eu-west-1")
    answer(child, "Default output format [json]: ", "")
    out = finish(child)
    assert child.exitstatus == 0, out
    after = botocore_sees(env, config, ["dev"])
    assert after["profiles"]["dev"] == {
        "sso_session": "corp", "sso_account_id": "111111111111",
        "sso_role_name": "AdministratorAccess", "region": "eu-west-1", "output": "json"}
    assert after["resolved"]["dev"]["method"] == "sso"
    assert {k: v for k, v in after["profiles"].items() if k != "dev"} == \
        {k: v for k, v in before.items() if k != "dev"}


OUTSIDE = SESSION + "\n[profile mine]\n  [profile  work]\nregion = eu-west-1\nsso_account_id = 9\n"


def test_populate_sees_an_indented_header_as_botocore_does(home: Path) -> None:
    for env in start(home, japan(), OUTSIDE):
        before = botocore_sees(env.env, env.config, [])["profiles"]
        assert before["work"] == {"region": "eu-west-1", "sso_account_id": "9"}
        out = env.populate("--yes")
        assert out.returncode == 0, out.stderr
        assert ("note: work (111111111111 work) skipped: a profile of that name exists "
                "outside the populate block") in out.stdout
        after = botocore_sees(env.env, env.config, [])["profiles"]
        assert after["work"] == before["work"]
        assert env.config.read_text().startswith(OUTSIDE)


BEGIN, END = "# shellsso populate begin: corp", "# shellsso populate end: corp"
MISPLACED = {
    # after an emptied block, `output` belongs to `mine`: a new block would take it
    "a key after the end marker": (
        f"[profile mine]\nregion = eu-west-1\n{BEGIN}\n{END}\noutput = text\n",
        "line 5: the line after the end marker belongs to the section above it for AWS tools"),
    # an indented line right after the begin marker continues `mine`'s region
    "a continuation inside the block": (
        f"[profile mine]\nregion = eu-west-1\n{BEGIN}\n  us-west-2\n[profile x]\n{END}\n",
        "line 4: the block holds a line of the section above it for AWS tools"),
    # a marker inside a value (after U+2028) is no marker: `output` is not in any block
    "a begin marker inside a value": (
        f"[profile mine]\nregion = eu-west-1\u2028{BEGIN}\noutput = text\n{END}\n",
        f"line 4: the markers '{BEGIN}' and '{END}' must appear once each"),
    "a section populate does not write": (
        f"{BEGIN}\n[DEFAULT]\nregion = eu-west-1\n{END}\n[profile mine]\n",
        "line 2: the block holds [DEFAULT], which populate does not write"),
}


@pytest.mark.parametrize("case", list(MISPLACED))
def test_populate_refuses_a_block_botocore_reads_differently(home: Path, case: str) -> None:
    extra, message = MISPLACED[case]
    text = SESSION + "\n" + extra
    for env in start(home, japan(), text):
        before = botocore_sees(env.env, env.config, [])["profiles"]
        line = one_line(env.populate("--yes"))
        where, rest = message.split(": ", 1)
        number = int(where.split()[1]) + SESSION.count("\n") + 1  # the line in `extra`
        assert line.startswith(f"shellsso: error: {env.config}, line {number}: {rest}"), line
        assert line.endswith("(nothing was written)")
        assert env.emulator.counters.get("ListAccounts") is None  # refused before listing
        assert env.config.read_text() == text
        assert botocore_sees(env.env, env.config, [])["profiles"] == before


# --- 5. the config folder and its side files ------------------------------------------------


def test_a_planted_backup_link_is_replaced_never_followed(home: Path) -> None:
    for env in start(home, japan()):
        victim = home / "victim"
        victim.write_text("precious\n")
        backup = home / ".aws" / "config.bak"
        backup.symlink_to(victim)
        before = env.config.read_text()
        out = env.populate("--yes")
        assert out.returncode == 0, out.stderr
        assert victim.read_text() == "precious\n"
        assert not backup.is_symlink() and backup.read_text() == before
        assert side_files(home / ".aws") == ["config.bak", "sso"]


def writer_script(argv: List[str], kill_at: Optional[str]) -> List[str]:
    """The CLI, SIGKILLed when it fsyncs a temp file in the config folder (`kill_at`
    is the name the temp file will replace: `config` or `config.bak`), or never."""
    code = ("import os, signal, sys, runpy\n"
            "kill_at = sys.argv.pop(1)\n"
            "real = os.fsync\n"
            "def fsync(fd):\n"
            "    name = os.readlink(f'/proc/self/fd/{fd}')\n"
            "    folder = os.path.dirname(os.environ['AWS_CONFIG_FILE'])\n"
            "    if os.path.dirname(name) == folder and os.path.basename(name).startswith('.'):\n"
            "        with open(name, 'rb') as handle:\n"
            "            kill = (b'# shellsso populate begin' in handle.read()) == "
            "(kill_at == 'config')\n"
            "        if kill:\n"
            "            os.kill(os.getpid(), signal.SIGKILL)\n"
            "    real(fd)\n"
            "os.fsync = fsync\n"
            "sys.argv = ['shellsso', *sys.argv[1:]]\n"
            "runpy.run_module('shellsso', run_name='__main__')\n")
    return [sys.executable, "-c", code, kill_at or "never", *argv]


@pytest.mark.parametrize("kill_at", ["config.bak", "config"])
def test_a_killed_write_leaves_nothing_in_the_config_folder_for_long(
        home: Path, kill_at: str) -> None:
    for env in start(home, japan()):
        folder = home / ".aws"
        before = env.config.read_text()
        run_env = dict(env.env, AWS_CONFIG_FILE=str(env.config))
        args = ["populate", "--sso-session", "corp", "--yes"]
        killed = subprocess.run(writer_script(args, kill_at), env=run_env,
                                capture_output=True, text=True, timeout=120,
                                stdin=subprocess.DEVNULL)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        [left] = [p for p in folder.iterdir() if p.name.endswith(".tmp")]
        assert "sso_start_url" in left.read_text()  # a full copy of the config
        assert env.config.read_text() == before  # the config itself: the old one, whole
        live = folder / f".shellsso-{os.getpid()}-livewrite.tmp"  # a writer still running
        live.write_text("in progress")
        out = env.populate("--yes")
        assert out.returncode == 0, out.stderr
        assert not left.exists() and live.exists()
        live.unlink()
        assert side_files(folder) == ["config.bak", "sso"]
        assert "[profile readonly]" in env.config.read_text()


def test_a_read_only_config_is_refused(home: Path) -> None:
    for env in start(home, japan()):
        env.config.chmod(0o444)
        before = env.config.read_bytes()
        line = one_line(env.populate("--yes"))
        assert line == (f"shellsso: error: refusing to write {env.config}: it is read-only "
                        f"(mode 0444); nothing was written; to allow it: chmod u+w "
                        f"'{env.config}'")
        assert env.config.read_bytes() == before
        assert stat.S_IMODE(env.config.stat().st_mode) == 0o444
        assert side_files(home / ".aws") == ["sso"]
        dry = env.populate("--dry-run")  # nothing to write: the plan is still shown
        assert dry.returncode == 0, dry.stderr
        assert "4 to add" in dry.stdout and "Dry run: nothing was written." in dry.stdout




UNSAFE = {
    "writable by others": ("0777", None,
                           "is writable by other users; nothing was written; to fix: "
                           "chmod go-w '{folder}'"),
    "owned by another user": ("0755", OTHER,
                              "is owned by another user (uid 65534); nothing was written; "
                              "to fix: keep the config in a folder only you can write"),
    "sticky like /tmp": ("1777", None,
                         "is writable by other users; nothing was written; to fix: keep "
                         "the config in a folder only you can write"),
}


@pytest.mark.parametrize("case", list(UNSAFE))
def test_a_config_folder_others_can_write_is_refused(home: Path, case: str) -> None:
    mode, owner, why = UNSAFE[case]
    if owner is not None:
        require_root()
    for env in start(home, japan()):
        folder = home / "shared"
        folder.mkdir()
        config = folder / "config"
        config.write_text(env.config.read_text())
        victim = home / "victim"
        victim.write_text("precious\n")
        (folder / "config.bak").symlink_to(victim)  # planted by the other user
        folder.chmod(int(mode, 8))
        if owner is not None:
            os.chown(folder, owner, owner)
        env.env["AWS_CONFIG_FILE"] = str(config)
        before = config.read_bytes()
        line = one_line(env.populate("--yes"))
        assert line == (f"shellsso: error: refusing to write {config}: its folder {folder} "
                        + why.format(folder=folder))
        assert config.read_bytes() == before and victim.read_text() == "precious\n"
        assert sorted(p.name for p in folder.iterdir()) == ["config", "config.bak"]


def test_configure_refuses_an_unsafe_folder_before_any_question(home: Path,
                                                                emulator: Any) -> None:
    config = write_config(home, SESSION)
    config.parent.chmod(0o777)
    child = spawn(child_env(home, emulator))
    out = finish(child)
    assert child.exitstatus == 1, out
    assert out.strip() == (f"shellsso: error: refusing to write {config}: its folder "
                           f"{config.parent} is writable by other users; nothing was written; "
                           f"to fix: chmod go-w '{config.parent}'")
    assert emulator.counters.get("CreateToken") is None


def test_many_accounts_names_in_both_files(home: Path) -> None:
    """populate over a bigger organisation with credentials sections that clash and not."""
    from shellsso.awsconfig.naming import DEFAULT_TEMPLATE, make_name

    org = generate(40, 2)
    names = [make_name(DEFAULT_TEMPLATE, "corp", a.account_id, a.name, a.roles[0])
             for a in org.accounts[9:14]]  # `Shared Services-dev-009` among them
    for env in start(home, org):
        creds = "".join(f"[{n}]\naws_access_key_id = AKIA{i:016d}\naws_secret_access_key = s\n"
                        for i, n in enumerate(names))
        (home / ".aws" / "credentials").write_text(creds)
        out = env.populate("--yes")
        assert out.returncode == 0, out.stderr
        assert f"{80 - len(names)} to add" in out.stdout and f"{len(names)} skipped" in out.stdout
        seen = botocore_sees(env.env, env.config, names)["resolved"]
        assert all(v["method"] == "shared-credentials-file" for v in seen.values())
