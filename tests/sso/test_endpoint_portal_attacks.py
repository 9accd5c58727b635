"""A hostile access portal: odd ids and role names, escapes in names, pages without end.

Everything the portal says ends up in the config file or on the terminal. Ids
and role names must be exactly what AWS issues (ASCII, whole strings), every
name and error a terminal shows must hold no control character, and a list
that never ends must stop with one line.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from pathlib import Path
from typing import Iterator, List

import pytest

from shellsso.emulator.org import Account, Organisation
from tests.commands.test_populate import SESSION, Org, block, profile_names, start
from tests.conftest import AwsEnv, run_shellsso, write_token

# What a terminal acts on, or shows reordered: C0 but the newline, DEL, C1, bidi
# overrides and isolates, the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
HOSTILE = "evil\x1b[2J\x1b]0;owned\x07\r\nname\u202eexe\x00\x9b31m\u2028end"


def controls(text: str) -> List[str]:
    return _CONTROL.findall(text)


# --- 6a: account ids and role names, whole strings, ASCII --------------------------------------

ODD_ORG = Organisation([
    Account("111111111111\n", "newline", "n@example.com", ("Admin",)),
    Account("\u0661" * 12, "arabic-digits", "a@example.com", ("Admin",)),
    Account("\uff11" * 12, "fullwidth-digits", "f@example.com", ("Admin",)),
    Account("11111111111", "eleven", "e@example.com", ("Admin",)),
    Account("222222222222", "good", "g@example.com",
            ("Admin\n", "\u00c4dmin", "R\u0663", "", "x" * 65, "ok-role", "Read+Only@x.y,z=")),
    Account("222222222222", "good", "g@example.com", ("ok-role",)),  # the same account twice
])


@pytest.fixture
def odd(home: Path) -> Iterator[Org]:
    yield from start(home, ODD_ORG)


def test_populate_keeps_only_ascii_ids_and_iam_role_names_and_reruns_change_nothing(
        odd: Org) -> None:
    first = odd.populate("--yes")
    assert first.returncode == 0, first.stderr
    text = odd.config.read_text()
    assert sorted(profile_names(text)) == ["good-ok-role", "good-read-only-x.y-z"]
    assert "sso_account_id = 222222222222\n" in block(text)
    assert "ignoring 4 account(s) whose id the portal sent malformed" in first.stderr
    assert "ignoring 5 malformed role name(s) in account 222222222222" in first.stderr
    assert controls(first.stderr) == [] and "'111111111111\\n'" in first.stderr
    for _ in range(2):  # identical runs: nothing added, nothing changed
        again = odd.populate("--yes")
        assert again.returncode == 0, again.stderr
        assert "0 to add, 0 to change, 0 to remove, 2 unchanged" in again.stdout
        assert odd.config.read_text() == text


# --- 6b: what the portal says reaches the terminal sanitised -----------------------------------

def hostile_org() -> Organisation:
    return Organisation([
        Account("333333333333", HOSTILE, "mail" + HOSTILE + "@example.com", ("ReadOnly",)),
        Account("444444444444", "plain", "plain@example.com", ("ReadOnly",)),
    ])


@pytest.fixture
def hostile(home: Path) -> Iterator[Org]:
    yield from start(home, hostile_org())


def test_populate_shows_no_control_character_of_a_portal_name(hostile: Org) -> None:
    naming = ["--naming", "{account_id}-{role_name}"]
    first = hostile.populate("--yes", *naming)
    assert first.returncode == 0, first.stderr
    assert controls(hostile.config.read_text()) == []
    # the same account under a new hostile name: a `~` line shows old and new names
    hostile.emulator.org.remove("444444444444")
    hostile.emulator.org.add(Account("444444444444", "re" + HOSTILE, "x@example.com",
                                     ("ReadOnly",)))
    out = hostile.populate("--dry-run", *naming)
    assert out.returncode == 0, out.stderr
    assert "~ 444444444444-readonly  (sso_account_name: plain -> reevil?[2J" in out.stdout
    assert controls(out.stdout + out.stderr) == []


def test_configure_lists_portal_names_without_control_characters(hostile: Org) -> None:
    out = hostile.run("configure", "--sso-session", "corp")  # stdin empty: leaves at a question
    listing = out.stdout
    assert "2 accounts:" in listing and "(333333333333, mail" in listing
    assert controls(listing + out.stderr) == []


def test_doctor_shows_a_portal_error_without_control_characters(aws_env: AwsEnv) -> None:
    write_token(aws_env.home, "corp", 3600)
    aws_env.emulator.script(
        "GetRoleCredentials", {"message": HOSTILE}, status=400,
        headers={"x-amzn-ErrorType": "InvalidRequestException"})
    out = run_shellsso("doctor", "--profile", "dev")
    assert out.returncode == 1
    assert "InvalidRequestException" in out.stdout
    assert controls(out.stdout + out.stderr) == []


def test_portal_errors_reach_stderr_without_control_characters(hostile: Org) -> None:
    hostile.emulator.script("ListAccounts", {"message": HOSTILE}, status=400,
                            headers={"x-amzn-ErrorType": "InvalidRequestException"})
    out = hostile.populate("--dry-run")
    assert out.returncode == 1 and "ListAccounts failed" in out.stderr
    assert controls(out.stdout + out.stderr) == []


# --- 6c: pages without end ---------------------------------------------------------------------


@pytest.fixture
def empty(home: Path) -> Iterator[Org]:
    yield from start(home, Organisation([]), SESSION)


@pytest.fixture
def forty(home: Path) -> Iterator[Org]:
    yield from start(home, Organisation([
        Account(f"{500000000000 + i}", f"a{i}", "a@example.com", ("R",)) for i in range(40)]))


def test_a_page_token_that_repeats_stops_populate_with_one_line(empty: Org) -> None:
    empty.emulator.script("ListAccounts", {"accountList": [], "nextToken": "again"}, count=-1)
    out = empty.populate("--dry-run")
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "ListAccounts" in out.stderr
    assert "page token" in out.stderr and "twice" in out.stderr
    assert empty.emulator.counters["ListAccounts"] == 2


def test_role_pages_that_repeat_stop_every_listing(forty: Org) -> None:
    forty.emulator.script("ListAccountRoles", {"roleList": [], "nextToken": "again"}, count=-1)
    out = forty.populate("--dry-run")
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "ListAccountRoles" in out.stderr
    # a failed listing stops the others: the accounts still queued are not asked
    assert forty.emulator.counters["ListAccountRoles"] < 40


def test_ever_new_page_tokens_stop_at_the_cap_with_one_line(empty: Org) -> None:
    from shellsso.sso.portal import MAX_PAGES

    numbers = itertools.count()

    def page() -> bytes:
        account = {"accountId": "555555555555", "accountName": "loop",
                   "emailAddress": "l@example.com"}
        return json.dumps({"accountList": [account], "nextToken": f"t{next(numbers)}"}).encode()

    empty.emulator.script("ListAccounts", page, count=-1)
    started = time.monotonic()
    out = empty.populate("--dry-run")
    elapsed = time.monotonic() - started
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and f"more than {MAX_PAGES:,} pages" in out.stderr
    assert empty.emulator.counters["ListAccounts"] == MAX_PAGES
    assert elapsed < 100
