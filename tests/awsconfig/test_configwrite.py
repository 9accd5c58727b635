"""The config writer: bytes it does not own kept, atomic replace, modes, backup, refusals."""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

from shellsso.awsconfig.edit import ConfigFile, Document, profile_header
from shellsso.core.errors import ConfigError, ShellssoError
from tests.conftest import write_config


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[Tuple[List[str], str]]:
    """(argv prefix, reason): a command run with the prefix finds `folder` read-only.

    root writes through any mode bits, so as root the folder is bind-mounted
    read-only in a private mount namespace of the command (`unshare -m`);
    otherwise its mode is 0555 for the duration.
    """
    if os.geteuid() == 0:
        script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
        yield ["unshare", "-m", "sh", "-c", script, str(folder)], \
            "is on a read-only file system"
        return
    mode = folder.stat().st_mode
    folder.chmod(0o555)
    try:
        yield [], "is not writable"
    finally:
        folder.chmod(stat.S_IMODE(mode))


ORIGINAL = (
    "# top comment\n"
    "[default]\r\n"
    "region = us-east-1   \r\n"
    "\n"
    ";  another comment\n"
    "[profile dev]\n"
    "sso_session = corp\n"
    "s3 =\n"
    "    max_concurrent_requests = 20\n"
    "region = eu-west-1\n"
    "# trailing comment in dev\n"
    "\n"
    "[profile 'my name']\n"
    "output = text"
)


def test_set_keys_keeps_every_other_byte() -> None:
    doc = Document(ORIGINAL)
    doc.set_keys("profile dev", {"region": "ap-south-1", "s3": "x", "output": "json"})
    doc.set_keys(profile_header("my name"), {"region": "us-west-2"})
    doc.set_keys(profile_header("new one"), {"sso_session": "corp"})
    assert doc.text == (
        "# top comment\n"
        "[default]\r\n"
        "region = us-east-1   \r\n"
        "\n"
        ";  another comment\n"
        "[profile dev]\n"
        "sso_session = corp\n"
        "s3 = x\n"
        "region = ap-south-1\n"
        "output = json\n"
        "# trailing comment in dev\n"
        "\n"
        "[profile 'my name']\n"
        "output = text\n"
        "region = us-west-2\n"
        "\n"
        "[profile 'new one']\n"
        "sso_session = corp\n"
    )
    assert doc.find_profile("my name") is not None
    assert doc.find_profile("new one") is not None


def test_remove_keys_takes_continuation_lines_and_nothing_else() -> None:
    doc = Document(ORIGINAL)
    doc.remove_keys("profile dev", ["s3", "sso_session", "absent"])
    doc.remove_keys("profile nowhere", ["region"])
    assert doc.text == ORIGINAL.replace("sso_session = corp\n", "").replace(
        "s3 =\n    max_concurrent_requests = 20\n", "")


def test_update_replaces_atomically_keeps_mode_and_backs_up(
    home: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    config = write_config(home, ORIGINAL)
    config.chmod(0o640)
    inode = config.stat().st_ino
    _, written = ConfigFile().update(lambda d: d.set_keys("default", {"output": "yaml"}))
    assert written
    assert config.read_bytes().decode() == ORIGINAL.replace(
        "us-east-1   \r\n", "us-east-1   \r\noutput = yaml\r\n")
    assert config.stat().st_ino != inode  # a rename: the index keys on the inode too
    assert stat.S_IMODE(config.stat().st_mode) == 0o640
    backup = Path(str(config) + ".bak")
    assert backup.read_bytes().decode() == ORIGINAL
    assert stat.S_IMODE(backup.stat().st_mode) == 0o640
    assert [p.name for p in config.parent.iterdir() if p.name.startswith(".")] == []
    assert capsys.readouterr().err == (
        f"shellsso: warning: {config} can be read or written by other users (mode 0640); "
        f"to fix: chmod 600 {config}\n")


def test_new_file_is_0600_in_a_new_folder_and_aws_config_file_is_honoured(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    target = home / "elsewhere" / "cfg"
    monkeypatch.setenv("AWS_CONFIG_FILE", "$HOME/elsewhere/cfg")
    _, written = ConfigFile().update(lambda d: d.set_keys("default", {"region": "x-1"}))
    assert written and target.read_text() == "[default]\nregion = x-1\n"
    assert capsys.readouterr().err == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not (home / ".aws").exists()
    assert not Path(str(target) + ".bak").exists()


def test_a_symlinked_config_stays_a_link(home: Path) -> None:
    real = home / "dotfiles" / "aws-config"
    real.parent.mkdir()
    real.write_text("[default]\nregion = a-1\n")
    (home / ".aws").mkdir()
    (home / ".aws" / "config").symlink_to(real)
    ConfigFile().update(lambda d: d.set_keys("default", {"region": "b-1"}))
    assert (home / ".aws" / "config").is_symlink()
    assert real.read_text() == "[default]\nregion = b-1\n"


@pytest.mark.parametrize(("text", "message"), [
    ("region = x\n[default]\n", "line 1: a key comes before any [section]"),
    ("[default]\n[default]\n", "line 2: section [default] appears twice"),
    ("[a]\nk = 1\nK = 2\n", "line 3: key 'k' appears twice in [a]"),
    ("[a]\nk = 1\nnonsense\n", "line 3: expected 'key = value' or a [section] header"),
])
def test_a_config_that_does_not_parse_is_refused(home: Path, text: str, message: str) -> None:
    config = write_config(home, text)
    with pytest.raises(ConfigError) as err:
        ConfigFile().update(lambda d: d.set_keys("default", {"region": "x"}))
    assert err.value.message == f"{config}, {message}; fix the file first (nothing was written)"
    assert config.read_text() == text
    assert not Path(str(config) + ".bak").exists()


def test_an_edit_that_would_break_the_file_is_refused(home: Path) -> None:
    config = write_config(home, "[default]\n")

    def bad(doc: Document) -> None:
        doc.append_lines(["[default]"])

    with pytest.raises(ConfigError):
        ConfigFile().update(bad)
    assert config.read_text() == "[default]\n"


def test_changed_meanwhile_is_refused(home: Path) -> None:
    config = write_config(home, "[default]\n")
    with pytest.raises(ShellssoError, match="changed while this command ran"):
        ConfigFile().update(lambda d: d.set_keys("default", {"a": "b"}),
                            expect=b"[other]\n", expect_given=True)
    assert config.read_text() == "[default]\n"


def test_read_only_folder_is_one_line_and_nothing_written(home: Path) -> None:
    config = write_config(home, ORIGINAL)
    with read_only(config.parent) as (prefix, reason):
        script = ("import sys\nfrom shellsso.core.output import guarded\n"
                  "from shellsso.awsconfig.edit import ConfigFile\n"
                  "sys.exit(guarded(lambda: ConfigFile().update(lambda d: d.set_keys("
                  "'default', {'region': 'x'})) and 0, False, ''))")
        out = subprocess.run([*prefix, sys.executable, "-c", script], capture_output=True,
                             text=True, timeout=60)
    assert out.returncode == 1
    assert out.stderr == (f"shellsso: error: cannot write {config}: the folder {config.parent} "
                          f"{reason}; nothing was written\n")
    assert config.read_bytes().decode() == ORIGINAL
    assert sorted(os.listdir(config.parent)) == ["config"]


@pytest.mark.parametrize("value", ["a\nendpoint_url = https://evil.example", "a\rb",
                                   "a\r\n[profile evil]"])
def test_a_value_with_a_line_break_is_refused(value: str) -> None:
    """Whatever a portal or a user typed: it would become a line of its own."""
    doc = Document("[default]\nregion = a\n")
    for edit in (lambda: doc.set_keys("default", {"region": value}),
                 lambda: doc.set_keys("profile new", {"region": value}),
                 lambda: doc.append_lines(["[profile x]", f"region = {value}"]),
                 lambda: doc.replace_lines(0, 1, [f"[{value}]"])):
        with pytest.raises(ShellssoError, match="nothing was written"):
            edit()
    assert doc.text == "[default]\nregion = a\n"


def test_new_keys_keep_what_follows_a_header_or_a_value() -> None:
    """An indented header stays a header: new keys take the indentation that keeps it one."""
    text = "[a]\n  [b]\nk = 1\n[c]\n    x = 1\n  [d]\n"
    doc = Document(text)
    doc.set_keys("a", {"region": "r"})
    doc.set_keys("c", {"region": "r"})
    assert doc.text == "[a]\n  region = r\n  [b]\nk = 1\n[c]\n    x = 1\n    region = r\n  [d]\n"
    assert [s[0] for s in doc.sections()] == ["a", "b", "c", "d"]
