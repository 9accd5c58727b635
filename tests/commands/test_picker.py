"""The picker's matcher, order, recency history and key handling, without a terminal."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from shellsso.awsconfig.model import load_config
from shellsso.core import history
from shellsso.core.errors import ShellssoError
from shellsso.core.safety import visible
from shellsso.picker.rows import Entry, Filter, entries, entry_for, filter_entries, ordered
from shellsso.picker.tui import CANCEL, INTERRUPT, Layout, Screen, fit, pad
from shellsso.shell.awsuse import parse_args
from tests.conftest import DEMO_CONFIG, run_shellsso, write_config

ROWS = [
    Entry("prod-admin", "333333333333", "Production", "AdministratorAccess", "us-east-1"),
    Entry("prod-ro", "333333333333", "Production", "ReadOnlyAccess", "eu-west-1"),
    Entry("staging", "222222222222", "Staging", "ReadOnlyAccess", "eu-central-1"),
    Entry("dev", "111111111111", "", "AdministratorAccess", "us-west-2"),
    Entry("legacy-keys", "", "", "", ""),
]


def names(rows: list[Entry]) -> list[str]:
    return [row.name for row in rows]


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["prod-admin", "prod-ro", "staging", "dev", "legacy-keys"]),
    ("3333", ["prod-admin", "prod-ro"]),
    ("prod admin", ["prod-admin"]),
    ("ADMIN", ["prod-admin", "dev"]),
    ("readonly eu", ["prod-ro", "staging"]),  # the region counts
    ("readonly central", ["staging"]),
    ("production readonly", ["prod-ro"]),  # the account name
    ("  dev   ", ["dev"]),  # blanks only separate
    ("keys", ["legacy-keys"]),
    ("admin zzz", []),
    ("prod 1111", []),  # every word must match
])
def test_every_word_matches_some_field(query: str, expected: list[str]) -> None:
    assert names(filter_entries(ROWS, query)) == expected


def test_a_word_never_spans_two_fields() -> None:
    # "dev" ends the name and "111" starts the account id: together they are no match.
    assert filter_entries(ROWS, "dev111") == []
    assert filter_entries(ROWS, "dev\t111") == filter_entries(ROWS, "dev 111")


def test_incremental_filter_agrees_with_a_fresh_one() -> None:
    rows = [Entry(f"p{i:03d}-{role}", f"{100000000000 + i}", f"acct{i % 7}", role, region)
            for i in range(200) for role, region in (("Admin", "us-east-1"),
                                                    ("ReadOnly", "eu-west-1"))]
    typed = Filter(rows)
    queries = ["r", "re", "rea", "read", "read ", "read e", "read eu", "read e", "read",
               "1", "10", "100", "1000", "10000000001", "", "acct3 admin", "acct3", "zz", ""]
    for query in queries:
        assert typed(query) == filter_entries(rows, query), query


def test_order_is_recent_first_then_by_name() -> None:
    rows = [Entry(name, "", "", "", "") for name in ("c", "a", "d", "b")]
    assert names(ordered(rows, {"d": 0, "b": 1})) == ["d", "b", "a", "c"]
    assert names(ordered(rows, {})) == ["a", "b", "c", "d"]


def test_entries_from_the_config(home: Path) -> None:
    write_config(home, DEMO_CONFIG + """
[profile named]
sso_session = corp
sso_account_id = 555555555555
sso_account_name = Shared Services
sso_role_name = Billing

[profile chained]
role_arn = arn:aws:iam::666666666666:role/team/Deployer
source_profile = dev
""")
    rows = entries(load_config(), "prod", {"staging": 0})
    assert names(rows) == ["staging", "chained", "default", "dev", "legacy", "named", "prod"]
    by_name = {row.name: row for row in rows}
    assert by_name["prod"].active and not by_name["dev"].active
    assert by_name["named"].cells() == [
        "named", "555555555555", "Shared Services", "Billing", ""]
    assert by_name["chained"].cells() == ["chained", "666666666666", "", "Deployer", ""]
    assert names(filter_entries(rows, "shared")) == ["named"]


def test_role_arn_that_is_not_a_role() -> None:
    assert entry_for("x", {"role_arn": "garbage"}).cells() == ["x", "", "", "", ""]


def test_control_characters_are_shown_as_question_marks() -> None:
    assert visible("evil\x1b[31mred\n\t\x7f\x9b") == "evil?[31mred????"
    assert visible("prod-ünïcødé-中") == "prod-ünïcødé-中"
    row = Entry("a\x1b]0;title\x07b", "", "", "", "")
    assert "\x1b" not in Layout([row]).line(row) and "\x07" not in Layout([row]).line(row)


def test_wide_characters_are_cut_by_columns() -> None:
    assert fit("中中中", 4) == "中中"
    assert fit("abc", 2) == "ab"
    assert pad("中", 4) == "中  "


def test_keys_move_filter_and_end() -> None:
    rows = [Entry(f"p{i:02d}", "", "", "", "") for i in range(30)]
    screen = Screen(rows, height=5)
    assert screen.key("up") is None and screen.selected == 0
    for _ in range(7):
        screen.key("down")
    assert (screen.selected, screen.offset) == (7, 3)
    screen.key("pgdn")
    screen.key("pgdn")
    screen.key("pgdn")
    screen.key("pgdn")
    screen.key("pgdn")
    assert screen.selected == 29
    screen.key("text:p")
    screen.key("text:1")
    assert (len(screen.shown), screen.selected) == (10, 0)
    screen.key("backspace")
    assert len(screen.shown) == 30
    screen.key("text: ")
    screen.key("text:2")
    screen.key("word")
    assert screen.query == "p "
    screen.key("clear")
    assert screen.query == ""
    screen.set_query("nothing")
    assert screen.key("enter") is None  # no row: Enter waits
    assert screen.key("eof") is None  # Ctrl-D only leaves an empty query
    screen.set_query("")
    assert screen.key("eof") == CANCEL
    assert screen.key(CANCEL) == CANCEL and screen.key(INTERRUPT) == INTERRUPT
    assert screen.key("enter") == "enter" and screen.choice() is rows[0]


def test_frame_marks_the_active_and_selected_rows() -> None:
    rows = [Entry("dev", "111111111111", "", "Admin", "us-east-1", active=True),
            Entry("prod", "333333333333", "", "ReadOnly", "")]
    screen = Screen(rows, height=5)
    screen.key("down")
    text, below, column = screen.frame(80, Layout(rows), color=False)
    assert (below, column) == (3, 2)
    lines = text.split("\r\n")
    assert lines[1] == "  2/2"
    assert lines[2] == "  * dev   111111111111  Admin     us-east-1"
    assert lines[3].startswith("> " + "  prod  333333333333  ReadOnly  -")


def test_history_records_in_order_with_odd_names(home: Path) -> None:
    for name in ["dev", "a\\nb", "line\nbreak", "dev", "prod"]:
        history.record(name)
    assert history.read() == ["a\\nb", "line\nbreak", "dev", "prod"]
    assert history.ranks() == {"prod": 0, "dev": 1, "line\nbreak": 2, "a\\nb": 3}
    path = history.history_path()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700


def test_history_is_compacted_past_its_limit(home: Path) -> None:
    count = history.HISTORY_LIMIT // 6 + 600  # "p0123\n" is 6 bytes: one compaction
    for i in range(count):
        history.record(f"p{i % 3000:04d}")
    assert os.path.getsize(history.history_path()) < history.HISTORY_LIMIT // 4
    kept = history.read()
    assert len(kept) < history.KEEP + 600
    assert kept[-3:] == [f"p{i % 3000:04d}" for i in range(count - 3, count)]


def test_history_unreadable_or_missing_only_loses_the_order(home: Path) -> None:
    assert history.read() == [] and history.ranks() == {}
    os.makedirs(os.path.dirname(history.history_path()), exist_ok=True)
    Path(history.history_path()).write_bytes(b"\xff\xfe\n\nok\n")
    assert history.read()[-1] == "ok"


def test_awsuse_switch_records_history(home: Path) -> None:
    write_config(home)
    for name in ("prod", "dev"):
        out = run_shellsso("_use", "bash", name, env=dict(os.environ, SHELLSSO_AUTO_LOGIN="never"))
        assert out.returncode == 0, out.stderr
    run_shellsso("_use", "bash", "nope")  # a failed switch is no use
    assert history.read() == ["prod", "dev"]
    out = run_shellsso("pick", "--filter")
    assert out.stdout.split() == ["dev", "prod", "default", "legacy", "staging"]


def test_pick_filter_and_its_errors(home: Path) -> None:
    write_config(home)
    assert run_shellsso("pick", "--filter", "readonly", "eu").stdout == "staging\n"
    out = run_shellsso("pick", "--filter", "zzz")
    assert (out.returncode, out.stdout, out.stderr) == (1, "", "")
    write_config(home, "")
    out = run_shellsso("pick", "--filter")
    assert out.returncode == 1 and out.stderr.startswith("shellsso: error: no profiles in")


def test_pick_filter_shows_control_characters_as_question_marks(home: Path) -> None:
    """Names come from the config: an escape sequence in one must not reach the terminal."""
    write_config(home, "[profile evil\x1b[2J\x07\u202eprod]\nregion = x\n"
                       "[profile plain]\nregion = y\n")
    out = run_shellsso("pick", "--filter")
    assert out.returncode == 0
    assert out.stdout == "evil?[2J??prod\nplain\n"


def test_pick_without_a_terminal_is_one_line(home: Path) -> None:
    write_config(home)
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "shellsso", "pick"], capture_output=True,
                         text=True, start_new_session=True, stdin=subprocess.DEVNULL)
    assert out.returncode == 1
    assert out.stderr == "shellsso: error: the picker needs a terminal (no /dev/tty)\n"


@pytest.mark.parametrize(("args", "query"), [
    (["-i"], ""), (["-i", "prod", "admin"], "prod admin"), (["--interactive", "--region",
                                                              "eu-west-1"], ""),
    (["-i", "--export"], ""),
])
def test_awsuse_i_arguments(args: list[str], query: str) -> None:
    request = parse_args(args)
    assert request.interactive and request.query == query and request.profile is None


@pytest.mark.parametrize("args", [["-i", "-"], ["-i", "--unset"]])
def test_awsuse_i_refuses(args: list[str]) -> None:
    with pytest.raises(ShellssoError):
        parse_args(args)


def test_rows_cache_follows_the_config(home: Path) -> None:
    from shellsso.core.paths import config_file, credentials_file
    from shellsso.picker.row_cache import cache_path, load_rows

    write_config(home)
    rows, source = load_rows()
    assert source == config_file() and "prod" in names(rows)
    cache = Path(cache_path(config_file(), credentials_file()))
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    again, _ = load_rows()  # from the cache, the same rows
    assert [row.fields() for row in again] == [row.fields() for row in rows]
    write_config(home, DEMO_CONFIG + "\n[profile added]\nsso_account_name = New\n")
    rows, _ = load_rows()
    assert names(rows)[-1] == "added" and rows[-1].account_name == "New"
    cache.write_bytes(b"garbage")  # a broken cache only costs a slower opening
    assert names(load_rows()[0])[-1] == "added"


def test_sections_read_the_config_index_as_lookups_do(home: Path) -> None:
    from shellsso.picker.rows import sections

    write_config(home, DEMO_CONFIG + "\n[profile nested]\ns3 =\n  max_concurrent_requests = 2\n")
    load_config()
    indexed = load_config().profiles  # the second read comes from the index
    listed = list(sections(indexed))
    lookups = load_config().profiles  # a fresh read: each [name] is one index lookup
    assert listed == [(name, lookups[name]) for name, _ in listed]
    assert [name for name, _ in listed] == ["default", "dev", "staging", "prod", "legacy",
                                            "nested"]


@pytest.mark.parametrize(("typed", "keys"), [
    ("ab", ["text:a", "text:b"]),
    ("\x1b", [CANCEL]),
    ("\x1b[A\x1bOB\x10\x0e", ["up", "down", "up", "down"]),
    ("\x1b[5~\x1b[6~", ["pgup", "pgdn"]),
    ("\x1b[1;5Cx", ["text:x"]),  # Ctrl-Right: not ours, skipped whole
    ("\x1b[15~y", ["text:y"]),  # F5
    ("\r", ["enter"]), ("\x03", [INTERRUPT]), ("\x07", [CANCEL]),
    ("\x7f\x08\x15\x17\x04", ["backspace", "backspace", "clear", "word", "eof"]),
    ("é中\x01\t", ["text:é", "text:中"]),  # other control characters do nothing
])
def test_parse_keys(typed: str, keys: list[str]) -> None:
    from shellsso.picker.tui import parse_keys

    assert parse_keys(typed) == keys


def test_frame_lines_never_wrap() -> None:
    from shellsso.picker.tui import char_width

    rows = [Entry("prod-ünïcødé-中中中中中中", "333333333333", "Production", "Admin", "us-east-1"),
            Entry("x" * 300, "1", "", "", "")]
    screen = Screen(rows, query="中" * 30, height=5)
    screen.set_query("")
    screen.query = "中" * 30  # a long query, drawn as far as it fits
    text, _, column = screen.frame(20, Layout(rows), color=False)
    body = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    for line in body.replace("\r\n", "\n").replace("\r", "").split("\n"):
        assert sum(char_width(ch) for ch in line) <= 19, line
    assert column == 19
