"""A malformed-input corpus: broken configs, credentials and caches against every command.

A few hundred cases are generated from a fixed seed: config files (truncated,
binary junk, not UTF-8, BOMs, odd line ends, huge lines, duplicates, nested
values where a scalar belongs, loops, hostile names), credentials files, SSO
token and client-registration cache files, role-credential cache files, and
files that are not files at all. Each case gets its own HOME and the commands
a user runs against it, each in its own process with stdin not a terminal and
the SSO endpoints on a closed local port (a network attempt fails at once,
nothing leaves the machine). For every command of every case:

- no traceback, no "unexpected" error, exit status 0, 1, 2 or 3 (login needed);
- every stderr line is the program's own (`shellsso:` / `awsuse:`);
- what awsuse prints, evaluated by bash as the hook does, runs nothing (no `PWNED`);
- no hang: each command ends well inside its timeout;
- no control character from the inputs reaches stdout or stderr raw;
- no planted token ever shows, and no planted key except in the stdout of
  an export of credentials (`export`, `credential-process`, `awsuse --export`);
- doctor's JSON parses and no doctor check fails on its own.

All failures are collected and reported together; the figures (cases,
commands, tracebacks, unexpected errors, hangs) are printed for each family.
About 270 cases run in the suite (the kinds of breakage all there, their
combinations sampled by the seed). `python tests/corpus/test_malformed_corpus.py
[--full] [FAMILY...]` runs them outside pytest, `--full` all of them (about
500, a minute or two), and prints the figures and every failure.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple, TypeVar, Union

import pytest

SEED = 20261202
START_URL = "https://d-1234567890.awsapps.com/start"
REGION = "us-east-1"
FMT = "%Y-%m-%dT%H:%M:%SZ"
TIMEOUT = 20.0  # a command killed here is a hang
SLOW = 8.0  # a command slower than this is a hang too: every one should take well under a second

# Planted secrets: tokens never show anywhere; keys only in an export's stdout.
TOK = "ZZTOK"
CRED = "ZZCRED"
EXPORTS = ("export", "credential-process", "use-export")

BASE_CONFIG = f"""\
[default]
region = us-east-1

[sso-session corp]
sso_start_url = {START_URL}
sso_region = {REGION}
sso_registration_scopes = sso:account:access

[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = AdministratorAccess
region = us-west-2

[profile chain]
source_profile = dev
role_arn = arn:aws:iam::222222222222:role/Deploy

[profile proc]
credential_process = /bin/false

[profile legacy]
sso_start_url = {START_URL}
sso_region = {REGION}
sso_account_id = 444444444444
sso_role_name = ReadOnly

[profile static]
region = eu-west-1
"""

BASE_CREDENTIALS = f"""\
[static]
aws_access_key_id = AKIAZZCREDSTATIC0001
aws_secret_access_key = {CRED}-static-secret-0123456789
"""

ROLE_KEY = {"accountId": "111111111111", "roleName": "AdministratorAccess", "sessionName": "corp"}

# The commands a user runs; P is replaced by the case's profile.
COMMANDS: Dict[str, Sequence[str]] = {
    "status": ("status", "--profile", "P"),
    "list": ("list",),
    "export": ("export", "--profile", "P"),
    "credential-process": ("credential-process", "--profile", "P"),
    "doctor": ("doctor", "--profile", "P", "--json"),
    "use": ("_use", "bash", "P"),
    "use-export": ("_use", "bash", "P", "--export"),
    "login": ("login", "--profile", "P", "--no-browser", "--use-device-code"),
    "keys": ("keys", "--json"),
    "retire": ("keys", "retire", "P", "--dry-run"),
    "team": ("team", "list"),
}
# Cases a command hands to botocore's own parser, which takes longer than TIMEOUT on them
# whatever shellsso does: `keys` signs its STS and IAM calls through a botocore session,
# and botocore's configparser spends about 35 s on a 1 MB section header (so does the
# AWS CLI); shellsso's own reader, which every other command uses, takes milliseconds.
BOTOCORE_PARSES = {("config/huge-header", "keys")}

# Commands that may refuse the case for a reason of their own before they read what is
# malformed (`keys retire` of a profile that holds no key, or of a name that is an option).
REFUSES_FIRST = ("retire",)
CONFIG_COMMANDS = ("status", "list", "export", "credential-process", "doctor", "use", "keys",
                   "retire", "team")
TOKEN_COMMANDS = ("status", "export", "credential-process", "doctor", "use")
ROLE_COMMANDS = ("status", "export", "credential-process", "doctor", "use-export")
REGISTRATION_COMMANDS = ("login", "status", "doctor")

# Raw control characters that must never reach a terminal: C0 but tab and newline, DEL, C1.
CONTROL = {chr(c) for c in range(32) if chr(c) not in "\t\n"} | {"\x7f"} | {
    chr(c) for c in range(0x80, 0xA0)}

T = TypeVar("T")
Special = str  # "dir", "fifo", "dangling", "dev-zero", "unreadable", "absent"
Content = Union[bytes, Special]


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def iso(offset: float) -> str:
    return time.strftime(FMT, time.gmtime(time.time() + offset))


CONFIG = ".aws/config"
CREDENTIALS = ".aws/credentials"
TOKEN = f".aws/sso/cache/{sha1('corp')}.json"
REGISTRATION = ".aws/sso/cache/" + sha1(json.dumps({
    "tool": "botocore", "startUrl": START_URL, "region": REGION,
    "scopes": ["sso:account:access"], "session_name": "corp"}, sort_keys=True)) + ".json"
ROLE_CACHE = ".aws/cli/cache/" + sha1(json.dumps(ROLE_KEY, sort_keys=True,
                                                 separators=(",", ":"))) + ".json"


def token_doc() -> Dict[str, object]:
    return {"startUrl": START_URL, "region": REGION, "accessToken": f"{TOK}-access-token",
            "expiresAt": iso(3600), "clientId": "client-id", "clientSecret": f"{TOK}-client-secret",
            "registrationExpiresAt": iso(86400), "refreshToken": f"{TOK}-refresh-token"}


def registration_doc() -> Dict[str, object]:
    return {"clientId": "client-id", "clientSecret": f"{TOK}-registration-secret",
            "expiresAt": iso(86400), "scopes": ["sso:account:access"],
            "grantTypes": ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"]}


def role_doc() -> Dict[str, object]:
    return {"ProviderType": "sso", "Credentials": {
        "AccessKeyId": "ASIAZZCREDROLE000001", "SecretAccessKey": f"{CRED}-role-secret",
        "SessionToken": f"{CRED}-role-session-token", "Expiration": iso(3600),
        "AccountId": "111111111111"}}


def dumps(doc: object) -> bytes:
    return json.dumps(doc).encode("utf-8")


@dataclass
class Case:
    name: str
    files: Dict[str, Content]
    commands: Tuple[str, ...]
    profile: str = "dev"
    expect: str = ""  # what every error line of the case must say, when it fails


# --- the corpus ---------------------------------------------------------------------------


def _home_files(**over: Content) -> Dict[str, Content]:
    """A healthy HOME: config, credentials, a valid token and a cached role credential."""
    files: Dict[str, Content] = {
        CONFIG: BASE_CONFIG.encode(), CREDENTIALS: BASE_CREDENTIALS.encode(),
        TOKEN: dumps(token_doc()), ROLE_CACHE: dumps(role_doc())}
    for key, value in over.items():
        files[{"config": CONFIG, "credentials": CREDENTIALS, "token": TOKEN,
               "registration": REGISTRATION, "role": ROLE_CACHE}[key]] = value
    return files


HOSTILE_NAMES = [
    "x\x1b]0;owned\x07", "x\x1b[2Jy", "x\x9b31m", "x\x7fy", "x\x08\x08z", "$(touch PWNED)",
    "`touch PWNED`", "a;touch PWNED", "x' ; touch PWNED #", 'x"y', "a\tb", "x y", "-rf",
    "--help", "x\\", "x\u202ey", "\u00fcn\u00efc\u00f6d\u00e9", "a|b&c>d", "*", "~root",
    "x\r\ny", "%s%n", "x\u2028y", "\u200b",
]

NESTED_KEYS = ("sso_session", "sso_account_id", "sso_role_name", "region", "source_profile",
               "role_arn", "credential_process")


def _nested_profile(key: str, value: str) -> Tuple[str, str]:
    """A profile named `nest` with `key` given as `value`, the rest as usual for that key."""
    lines = {
        "sso_session": ["sso_session = corp", "sso_account_id = 111111111111",
                        "sso_role_name = AdministratorAccess"],
        "sso_account_id": ["sso_session = corp", "sso_account_id = 111111111111",
                           "sso_role_name = AdministratorAccess"],
        "sso_role_name": ["sso_session = corp", "sso_account_id = 111111111111",
                          "sso_role_name = AdministratorAccess"],
        "region": ["sso_session = corp", "sso_account_id = 111111111111",
                   "sso_role_name = AdministratorAccess", "region = us-east-1"],
        "source_profile": ["source_profile = dev", "role_arn = arn:aws:iam::2:role/R"],
        "role_arn": ["source_profile = dev", "role_arn = arn:aws:iam::2:role/R"],
        "credential_process": ["credential_process = /bin/false"],
    }[key]
    body = [f"{key} ={value}" if line.startswith(key + " ") else line for line in lines]
    return "nest", "[profile nest]\n" + "\n".join(body) + "\n"


def pick(rng: random.Random, items: Sequence[T], count: int, full: bool) -> List[T]:
    """All of `items` for the full corpus, else `count` of them (in their order) by the seed."""
    if full or count >= len(items):
        return list(items)
    chosen = set(rng.sample(range(len(items)), count))
    return [item for i, item in enumerate(items) if i in chosen]


def config_cases(rng: random.Random, full: bool) -> Iterator[Case]:
    base = BASE_CONFIG

    def case(name: str, text: Union[str, bytes], profile: str = "dev", expect: str = "") -> Case:
        data = text.encode("utf-8") if isinstance(text, str) else text
        return Case(f"config/{name}", _home_files(config=data), CONFIG_COMMANDS, profile, expect)

    raw = base.encode()
    for _ in range(8 if full else 3):  # truncated anywhere
        cut = rng.randrange(1, len(raw))
        yield case(f"truncated-{cut}", raw[:cut])
    for text in pick(rng, ("[profile dev", "[", "[]", "[profile ]", "[sso-session]",
                           "[profile dev]]", "[ profile dev ]", "[profile dev]x", "[profile\tdev]"),
                     5, full):
        yield case(f"header-{text!r}", text + "\nsso_session = corp\n" + base)
    for _ in range(6 if full else 2):  # binary junk somewhere
        at = rng.randrange(len(raw))
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
        yield case(f"junk-{at}", raw[:at] + junk + raw[at:])
    yield case("all-junk", bytes(rng.randrange(256) for _ in range(4096)))
    yield case("nul-bytes", raw.replace(b"us-west-2", b"us-\0west-2"))
    yield case("nul-in-header", raw.replace(b"[profile dev]", b"[profile d\0ev]"))
    yield case("latin1-value", raw.replace(b"us-west-2", "us-w\u00e9st-2".encode("latin-1")))
    yield case("latin1-header", raw.replace(b"[profile chain]", b"[profile ch\xe9in]"))
    yield case("lone-ff", raw + b"\xff\n")
    yield case("cut-utf8-at-eof", raw + "# \u00e9".encode()[:-1])
    yield case("utf16", base.encode("utf-16"))
    yield case("utf8-bom", b"\xef\xbb\xbf" + raw)
    yield case("bom-mid-file", raw.replace(b"[profile chain]", b"\xef\xbb\xbf[profile chain]"))
    yield case("crlf", base.replace("\n", "\r\n"))
    yield case("cr-only", base.replace("\n", "\r"))
    yield case("mixed-line-ends", "".join(line + rng.choice(["\n", "\r\n", "\r"])
                                          for line in base.splitlines()))
    for sep in pick(rng, "\f\v\x1c\x1d\x1e\x85\u2028\u2029", 3, full):
        yield case(f"separator-{ord(sep):04x}", base.replace("\nregion = us-west-2",
                                                             f"\nregion = us-{sep}west-2")
                   .replace("[profile chain]", f"{sep}[profile chain]"))
    yield case("form-feed-lines", base.replace("\n\n", "\n\f\n"))
    yield case("huge-value", base.replace("us-west-2", "u" * (2 << 20)))
    yield case("huge-comment", "#" + "c" * (3 << 20) + "\n" + base)
    yield case("huge-header", "[profile " + "h" * (1 << 20) + "]\nregion = x\n" + base)
    yield case("many-sections", base + "".join(f"[profile p{i}]\nregion = r\n"
                                               for i in range(20000)))
    yield case("dup-section", base + "\n[profile dev]\nsso_account_id = 999999999999\n")
    yield case("dup-session", base + f"\n[sso-session corp]\nsso_start_url = {START_URL}x\n")
    yield case("dup-key", base.replace("region = us-west-2", "region = us-west-2\nregion = eu-1"))
    yield case("dup-key-case", base.replace("region = us-west-2", "region = a\nREGION = b"))
    yield case("keys-before-section", "region = us-east-1\nsso_session = corp\n" + base)
    yield case("indented-before-section", "  region = us-east-1\n" + base)
    for key in NESTED_KEYS:
        for style, value in pick(rng, (("block", "\n    sub = x\n    other = y"),
                                       ("indented-empty", "\n    \n    x = 1"),
                                       ("deep", "\n  a = 1\n    b = 2\n      c = 3")), 1, full):
            profile, block = _nested_profile(key, value)
            yield case(f"nested-{key}-{style}", base + "\n" + block, profile, "nested block")
    for key in pick(rng, NESTED_KEYS, 4, full):  # empty values
        profile, block = _nested_profile(key, "")
        yield case(f"empty-{key}", base + "\n" + block, profile)
    yield case("session-nowhere", base.replace("sso_session = corp", "sso_session = nowhere"))
    yield case("session-empty-block", base.replace(f"sso_start_url = {START_URL}\n", "")
               .replace(f"sso_region = {REGION}\n", ""))
    yield case("session-url-nul", base.replace(START_URL, START_URL + "\0x"))
    yield case("session-url-escape", base.replace(START_URL, START_URL + "\x1b[31m"))
    yield case("account-escape", base.replace("111111111111", "1111\x1b[2J"), "dev")
    yield case("role-escape", base.replace("AdministratorAccess", "Admin\x07\x1b]0;x\x07"))
    yield case("region-escape", base.replace("us-west-2", "us\x1b[5m-west-2"))
    yield case("region-hostile", base.replace("us-west-2",
                                              "us'; touch PWNED; echo '$(touch PWNED)"))
    yield case("self-loop", base + "\n[profile loop]\nsource_profile = loop\nrole_arn = arn:x\n",
               "loop")
    yield case("two-loop", base + "\n[profile a]\nsource_profile = b\nrole_arn = arn:x\n"
               "[profile b]\nsource_profile = a\nrole_arn = arn:y\n", "a")
    yield case("long-chain", base + "".join(
        f"\n[profile c{i}]\nsource_profile = c{i + 1}\nrole_arn = arn:aws:iam::1:role/r{i}\n"
        for i in range(60)) + "\n[profile c60]\nsource_profile = c0\nrole_arn = arn:z\n", "c0")
    yield case("source-nowhere", base + "\n[profile s]\nsource_profile = gone\nrole_arn = a\n",
               "s", "source_profile 'gone' of profile 's' does not exist")
    yield case("role-arn-alone", base + "\n[profile r]\nrole_arn = arn:aws:iam::1:role/x\n", "r")
    yield case("source-and-process", base + "\n[profile m]\nsource_profile = dev\n"
               "credential_process = /bin/false\nsso_session = corp\n", "m")
    yield case("default-session-nowhere", "[default]\nsso_session = x\n" + base[20:], "default")
    yield case("profile-missing", base, "missing-profile")
    yield case("empty-file", b"")
    yield case("only-comments", "# a\n; b\n")
    yield case("equals-only", base + "\n[profile eq]\n=\n = \n==\n", "eq")
    yield case("no-equals", base + "\n[profile ne]\nsso_session\n", "ne")
    yield case("colon-separator", base.replace("sso_session = corp", "sso_session: corp"))
    for i, name in pick(rng, list(enumerate(HOSTILE_NAMES)), 9, full):
        # dev's account and role: the cached role credentials serve it, no network call
        section = (f"[profile {name}]\nsso_session = corp\nsso_account_id = 111111111111\n"
                   "sso_role_name = AdministratorAccess\n")
        yield case(f"name-{i}", base + "\n" + section, name if "\r" not in name else "dev")
    yield case("names-with-nul", base + "\n[profile a\0b]\nregion = x\n[sso-session s\0]\n")
    ops = ("delete", "duplicate", "swap", "indent", "junk", "control", "colon", "upper")
    for i in range(24 if full else 4):  # random edits of one or two lines
        lines = base.splitlines(keepends=True)
        for _ in range(rng.randrange(1, 3)):
            op, at = rng.choice(ops), rng.randrange(len(lines))
            if op == "delete":
                del lines[at]
            elif op == "duplicate":
                lines.insert(at, lines[at])
            elif op == "swap":
                other = rng.randrange(len(lines))
                lines[at], lines[other] = lines[other], lines[at]
            elif op == "indent":
                lines[at] = " " * rng.randrange(1, 5) + lines[at]
            elif op == "junk":
                lines[at] = lines[at][:-1] + chr(rng.randrange(0x20, 0x3000)) + "\n"
            elif op == "control":
                where = rng.randrange(len(lines[at]))
                lines[at] = lines[at][:where] + chr(rng.choice([0, 7, 8, 27, 127, 0x9b])) + \
                    lines[at][where:]
            elif op == "colon":
                lines[at] = lines[at].replace("=", ":")
            else:
                lines[at] = lines[at].upper()
        yield case(f"edit-{i}", "".join(lines))


def credentials_cases(rng: random.Random, full: bool) -> Iterator[Case]:
    base = BASE_CREDENTIALS

    def case(name: str, text: Union[str, bytes], profile: str = "static",
             expect: str = "") -> Case:
        data = text.encode("utf-8") if isinstance(text, str) else text
        return Case(f"credentials/{name}", _home_files(credentials=data), CONFIG_COMMANDS,
                    profile, expect)

    raw = base.encode()
    for _ in range(4 if full else 2):
        cut = rng.randrange(1, len(raw))
        yield case(f"truncated-{cut}", raw[:cut])
    yield case("junk", raw[:40] + bytes(rng.randrange(256) for _ in range(64)) + raw[40:])
    yield case("latin1", raw.replace(b"-secret", b"-s\xe9cret"))
    yield case("utf16", base.encode("utf-16"))
    yield case("utf8-bom", b"\xef\xbb\xbf" + raw)
    yield case("crlf", base.replace("\n", "\r\n"))
    yield case("cr-only", base.replace("\n", "\r"))
    yield case("form-feed", base.replace("aws_secret", "\faws_secret"))
    yield case("huge-line", base + "#" + "x" * (2 << 20) + "\n")
    yield case("dup-section", base + "\n[static]\naws_access_key_id = AKIAZZCREDOTHER00001\n")
    yield case("dup-key", base.replace("aws_secret",
                                       f"aws_secret_access_key = {CRED}-1\naws_secret"))
    yield case("keys-before-section", f"aws_secret_access_key = {CRED}-orphan\n" + base)
    yield case("nested-secret", base.replace(f"= {CRED}-static-secret-0123456789",
                                             f"=\n    a = {CRED}-nested\n    b = c"),
               expect="nested block")
    yield case("nested-key-id", base.replace("= AKIAZZCREDSTATIC0001", "=\n    a = b"),
               expect="nested block")
    yield case("empty-secret", base.replace(f"{CRED}-static-secret-0123456789", ""))
    yield case("no-secret", "[static]\naws_access_key_id = AKIAZZCREDSTATIC0001\n")
    yield case("secret-nul", base.replace("-secret-", "-sec\0ret-"))
    yield case("secret-escape", base.replace("-secret-", "-sec\x1b[2Jret-"))
    yield case("key-id-escape", base.replace("AKIAZZCREDSTATIC0001", "AKIA\x1b]0;x\x07"))
    yield case("session-token-newline", base + f"aws_session_token = {CRED}-a\\nb\x07\n")
    yield case("hostile-section", base + "\n[$(touch PWNED)\x1b[2J]\naws_access_key_id = A\n")
    yield case("dev-shadowed", base + f"\n[dev]\naws_access_key_id = AKIAZZCREDDEV0000001\n"
               f"aws_secret_access_key = {CRED}-dev\n", "dev")
    yield case("dev-shadowed-broken", base + "\n[dev]\naws_access_key_id =\n    x = 1\n", "dev")


JSON_BAD_VALUES: List[Tuple[str, object]] = [
    ("number", 12345), ("null", None), ("list", ["a", 1]), ("object", {"a": {"b": 1}}),
    ("bool", True), ("huge-int", 10 ** 400), ("float", 1e308), ("empty", ""),
    ("nul", "a\0b"), ("newline", "a\nb\r\nc"), ("escape", "a\x1b[2J\x07\x9bb"),
]
TIMESTAMPS = ["2026-13-45T99:99:99Z", "tomorrow", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z",
              "1767225600", "2030-01-01T00:00:00+05:00", "10000-01-01T00:00:00Z",
              "2030-01-01T00:00:00.123456789Z", "2030-01-01", " 2030-01-01T00:00:00Z ",
              "2030-01-01T00:00:00Z\x1b[2J"]


def json_file_cases(family: str, key: str, doc: Callable[[], Dict[str, object]],
                    commands: Tuple[str, ...], fields: Sequence[str], time_field: str,
                    rng: random.Random, full: bool, *, secret_fields: Sequence[str] = (),
                    wrap: Callable[[Dict[str, object]], object] = lambda d: d,
                    files: int = 9,
                    field_doc: Optional[Callable[[str], Dict[str, object]]] = None
                    ) -> Iterator[Case]:
    """Wrong types for every field, missing fields, odd timestamps, broken JSON.

    `field_doc(name)` is the document a field's wrong values go into (`doc()` by default).
    """
    field_doc = field_doc or (lambda _name: doc())

    def case(name: str, data: bytes) -> Case:
        return Case(f"{family}/{name}", _home_files(**{key: data}), commands)

    for name in fields:  # each field: four wrong types and one more by the seed, and for
        # a secret: a NUL, a newline and an escape in it
        extra = pick(rng, JSON_BAD_VALUES[4:8], 1, full)
        if name in secret_fields or full:
            extra += [v for v in JSON_BAD_VALUES[8:] if v not in extra]
        for kind, value in JSON_BAD_VALUES[:4] + extra:
            if name in secret_fields and kind in ("nul", "newline", "escape"):
                value = f"{TOK if family != 'role' else CRED}-{value}"
            d = field_doc(name)
            d[name] = value
            yield case(f"{name}-{kind}", dumps(wrap(d)))
        d = field_doc(name)
        del d[name]
        yield case(f"{name}-missing", dumps(wrap(d)))
    for stamp in pick(rng, TIMESTAMPS, 3, full):
        d = doc()
        d[time_field] = stamp
        yield case(f"{time_field}-{stamp!r}", dumps(wrap(d)))
    text = dumps(wrap(doc()))
    for _ in range(3):
        cut = rng.randrange(1, len(text))
        yield case(f"truncated-{cut}", text[:cut])
    broken = (("empty", b""), ("spaces", b"  \n"), ("list", b"[]"), ("string", b'"x"'),
              ("null", b"null"), ("number", b"1e999"), ("nan", b'{"expiresAt": NaN}'),
              ("bom", b"\xef\xbb\xbf" + text), ("utf16", text.decode().encode("utf-16")),
              ("latin1", text.replace(b"client", b"cli\xe9nt")),
              ("trailing", text + b"}garbage"),
              ("dup-keys", text[:-1] + b', "expiresAt": "tomorrow"}'),
              ("deep-array", b"[" * 100_000 + b"]" * 100_000),
              ("deep-object", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
              ("huge-string", text[:-1] + b', "pad": "' + b"p" * 900_000 + b'"}'),
              ("over-cap", b" " * (1 << 20) + text),
              ("junk", bytes(rng.randrange(256) for _ in range(300))))
    for name, data in pick(rng, broken, files, full):
        yield case(f"file-{name}", data)


def token_cases(rng: random.Random, full: bool) -> Iterator[Case]:
    def field_doc(name: str) -> Dict[str, object]:
        """The fields only a refresh reads are tried on an expired token, when they matter."""
        doc = token_doc()
        if name in ("clientId", "clientSecret", "registrationExpiresAt", "refreshToken"):
            doc["expiresAt"] = iso(-60)
        return doc

    for case in json_file_cases(
        "token", "token", token_doc, TOKEN_COMMANDS,
        ("startUrl", "region", "accessToken", "expiresAt", "clientId", "clientSecret",
         "registrationExpiresAt", "refreshToken"), "expiresAt", rng, full,
        secret_fields=("accessToken", "clientSecret", "refreshToken"), field_doc=field_doc):
        # No cached role credentials: export must read the token (and, when it is
        # usable, meet the closed port). startUrl and region decide nothing there (status,
        # awsuse and doctor read them): the cache spares those cases a network call.
        if not case.name.startswith(("token/startUrl-", "token/region-")):
            del case.files[ROLE_CACHE]
        yield case
    expired = token_doc()  # a refresh is due and meets the closed port
    expired["expiresAt"] = iso(-60)
    files = _home_files(token=dumps(expired))
    del files[ROLE_CACHE]
    yield Case("token/expired-refresh-unreachable", files, TOKEN_COMMANDS)


def registration_cases(rng: random.Random, full: bool) -> Iterator[Case]:
    # With the token expired the registration is what a login (and doctor) reads.
    for case in json_file_cases(
            "registration", "registration", registration_doc, REGISTRATION_COMMANDS,
            ("clientId", "clientSecret", "expiresAt", "scopes", "grantTypes"), "expiresAt", rng,
            full, secret_fields=("clientSecret",), files=5):
        if not full and rng.random() < 0.5:  # a login reaches the network: half suffice
            continue
        expired = token_doc()
        expired["expiresAt"] = iso(-60)
        del expired["refreshToken"]
        case.files[TOKEN] = dumps(expired)
        yield case


def role_cases(rng: random.Random, full: bool) -> Iterator[Case]:
    def role_doc_flat() -> Dict[str, object]:
        return dict(role_doc()["Credentials"])  # type: ignore[call-overload]

    def wrap(flat: Dict[str, object]) -> Dict[str, object]:
        return {"ProviderType": "sso", "Credentials": flat}

    for case in json_file_cases(
            "role", "role", role_doc_flat, ROLE_COMMANDS,
            ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AccountId"),
            "Expiration", rng, full, secret_fields=("SecretAccessKey", "SessionToken"), wrap=wrap,
            files=6):
        # No token: a refused cache entry ends in "log in", never on the network.
        del case.files[TOKEN]
        if case.name.endswith(("/file-bom", "/file-utf16")):  # botocore cannot read them
            case.expect = "not valid JSON"
        yield case
    for name, doc in (("credentials-list", {"ProviderType": "sso", "Credentials": []}),
                      ("credentials-string", {"ProviderType": "sso", "Credentials": "x"}),
                      ("credentials-null", {"ProviderType": "sso", "Credentials": None}),
                      ("no-credentials", {"ProviderType": "sso"}),
                      ("provider-object", dict(role_doc(), ProviderType={"a": 1})),
                      ("provider-other", dict(role_doc(), ProviderType="assume-role"))):
        files = _home_files(role=dumps(doc))
        del files[TOKEN]
        yield Case(f"role/{name}", files, ROLE_COMMANDS)


def can_root_read_unreadable(tmp: Path) -> bool:
    folder = tmp / "probe"
    folder.mkdir()
    (folder / "f").write_text("x")
    folder.chmod(0)
    try:
        (folder / "f").read_text()
        return True
    except OSError:
        return False
    finally:
        folder.chmod(0o700)
        shutil.rmtree(folder)


def filetype_cases(skip_unreadable: Optional[str]) -> Iterator[Case]:
    kinds = ["dir", "fifo", "dangling", "dev-zero", "unreadable"]
    for key, commands in (("config", CONFIG_COMMANDS), ("credentials", CONFIG_COMMANDS),
                          ("token", TOKEN_COMMANDS), ("registration", REGISTRATION_COMMANDS),
                          ("role", ROLE_COMMANDS)):
        for kind in kinds:
            if kind == "unreadable" and skip_unreadable:
                continue
            files = _home_files(**{key: kind})
            if key in ("registration", "role"):
                expired = token_doc()
                expired["expiresAt"] = iso(-60)
                del expired["refreshToken"]
                files[TOKEN] = dumps(expired)
            expect = {("config", "dangling"): "symlink", ("config", "fifo"): "not a regular file",
                      ("config", "dir"): "not a regular file",
                      ("credentials", "fifo"): "not a regular file"}.get((key, kind), "")
            yield Case(f"filetype/{key}-{kind}", files, commands,
                       "static" if key == "credentials" else "dev", expect)


def corpus(family: str, tmp: Path, full: bool = False) -> Tuple[List[Case], List[str]]:
    """The cases of one family, in a fixed order from a fixed seed, and the kinds skipped."""
    rng = random.Random(f"{SEED}-{family}")
    skipped: List[str] = []
    if family == "filetype":
        skip = None
        if os.geteuid() == 0 and can_root_read_unreadable(tmp):
            skip = "unreadable files: root reads a file even in a 0000 folder"
            skipped.append(skip)
        return list(filetype_cases(skip)), skipped
    make = {"config": config_cases, "credentials": credentials_cases, "token": token_cases,
            "registration": registration_cases, "role": role_cases}[family]
    return list(make(rng, full)), skipped


# --- running a case -----------------------------------------------------------------------


def closed_port() -> int:
    """A local port nothing listens on: a connection is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def materialise(home: Path, files: Dict[str, Content]) -> None:
    for folder in (".aws", ".aws/sso", ".aws/sso/cache", ".aws/cli", ".aws/cli/cache"):
        (home / folder).mkdir(mode=0o700, exist_ok=True)
    for rel, content in files.items():
        path = home / rel
        if content == "dir":
            path.mkdir(mode=0o700)
        elif content == "fifo":
            os.mkfifo(path, 0o600)
        elif content == "dangling":
            path.symlink_to(home / "nothing-here")
        elif content == "dev-zero":
            path.symlink_to("/dev/zero")
        elif content == "unreadable":
            locked = home / "locked"
            locked.mkdir(mode=0o700, exist_ok=True)
            (locked / path.name).write_text("[profile dev]\n")
            path.symlink_to(locked / path.name)
            locked.chmod(0)
        else:
            assert isinstance(content, bytes)
            path.write_bytes(content)
            path.chmod(0o600)


@dataclass
class Figures:
    cases: int = 0
    commands: int = 0
    tracebacks: int = 0
    unexpected: int = 0
    hangs: int = 0
    leaks: int = 0
    escapes: int = 0
    failures: List[str] = field(default_factory=list)
    slowest: float = 0.0
    seconds: float = 0.0
    costs: Dict[str, float] = field(default_factory=dict)  # case name: seconds of its commands

    def line(self, family: str) -> str:
        return (f"malformed corpus [{family}]: {self.cases} cases, {self.commands} commands, "
                f"{self.tracebacks} tracebacks, {self.unexpected} unexpected errors, "
                f"{self.hangs} hangs, {self.leaks} secrets shown, {self.escapes} raw escapes, "
                f"{len(self.failures)} failures; slowest command {self.slowest:.2f} s, "
                f"{self.seconds:.1f} s in all")


def _argv(command: str, profile: str, pkgdir: str) -> List[str]:
    args = [profile if a == "P" else a for a in COMMANDS[command]]
    if profile.startswith("-") and "--profile" in args:  # as a user must write it
        at = args.index("--profile")
        args[at:at + 2] = [f"--profile={profile}"]
    if args[0] == "_use" and profile.startswith("-"):  # `awsuse -- -rf`, as a user must
        args.insert(args.index(profile), "--")
    if args[0] == "_use":  # exactly as the hooks run it: -E -S, the package folder first
        code = ("import sys;sys.path[0]=sys.argv.pop(1);import shellsso.shell.awsuse as u;"
                "sys.exit(u.main(sys.argv[1:]))")
        return [sys.executable, "-E", "-S", "-c", code, pkgdir, *args[1:]]
    return [sys.executable, "-m", "shellsso", *args]


def _check(case: Case, command: str, result: Optional[subprocess.CompletedProcess[bytes]],
           seconds: float, figures: Figures, home: Path) -> List[str]:
    problems: List[str] = []
    if result is None:
        figures.hangs += 1
        return [f"no answer within {TIMEOUT:.0f} s"]
    if seconds > SLOW:
        figures.hangs += 1
        problems.append(f"took {seconds:.1f} s")
    out = result.stdout.decode("utf-8", "surrogateescape")
    err = result.stderr.decode("utf-8", "surrogateescape")
    if "Traceback" in out + err:
        figures.tracebacks += 1
        problems.append("traceback")
    if "unexpected" in err.lower():
        figures.unexpected += 1
        problems.append("unexpected error")
    if "Parameter validation failed" in err:  # a value botocore refuses had to be caught first
        problems.append("a malformed value reached a botocore call")
    said = out if command == "doctor" else err  # the doctor's findings are its JSON
    if case.expect and result.returncode != 0 and case.expect not in said \
            and command not in REFUSES_FIRST:
        problems.append(f"the error does not say {case.expect!r}: {said.strip()[-160:]!r}")
    if result.returncode not in (0, 1, 2, 3):
        problems.append(f"exit status {result.returncode}")
    prog = "awsuse:" if command.startswith("use") else "shellsso:"
    for line in err.splitlines():
        if not line.startswith(prog) and not (command in REFUSES_FIRST
                                              and result.returncode == 2):  # its usage
            problems.append(f"stray stderr line {line[:100]!r}")
            break
    for stream, text in (("stdout", out), ("stderr", err)):
        raw = sorted({c for c in text if c in CONTROL})
        if raw:
            figures.escapes += 1
            problems.append(f"raw control characters {''.join(raw)!r} on {stream}")
        if TOK in text or (CRED in text and (stream == "stderr" or command not in EXPORTS)):
            figures.leaks += 1
            problems.append(f"a planted secret on {stream}")
    if command == "doctor":
        try:
            doc = json.loads(out)
        except ValueError:
            problems.append("doctor --json is not JSON")
        else:
            failed = [f for f in doc.get("findings", []) if f.get("id") == "doctor.check-failed"]
            if failed:
                figures.unexpected += 1
                problems.append(f"doctor check failed: {failed[0].get('message')}")
    if any(p.name == "PWNED" for p in home.rglob("PWNED")):
        problems.append("a name was executed (PWNED exists)")
    return problems


def run_corpus(cases: List[Case], tmp: Path, workers: int = 0) -> Figures:
    """Every command of every case, a few at a time; every failure collected."""
    import shellsso

    pkgdir = os.path.dirname(os.path.dirname(os.path.abspath(shellsso.__file__)))
    url = f"http://127.0.0.1:{closed_port()}"
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("AWS_", "SHELLSSO_", "_SHELLSSO_", "SSH_"))
            and k not in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY", "PATH", "HOME",
                          "XDG_CACHE_HOME", "PYTHONPATH")}
    # No `aws` on PATH: the doctor's tool check would start the AWS CLI for every case.
    bindir = tmp / "bin"
    bindir.mkdir(exist_ok=True)
    figures = Figures(cases=len(cases))
    started = time.monotonic()

    def run_case(index: int) -> Tuple[int, List[str], List[float]]:
        case = cases[index]
        home = tmp / f"case{index}"
        home.mkdir()
        materialise(home, case.files)
        env = dict(keep, HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"),
                   PATH=f"{bindir}:/usr/bin:/bin", TERM="xterm",
                   AWS_ENDPOINT_URL_SSO=url, AWS_ENDPOINT_URL_SSO_OIDC=url,
                   AWS_ENDPOINT_URL_STS=url, AWS_ENDPOINT_URL_IAM=url,
                   AWS_EC2_METADATA_DISABLED="true",
                   SHELLSSO_AUTO_LOGIN="never", SHELLSSO_HTTP_TIMEOUT="2")
        found: List[str] = []
        times: List[float] = []
        for command in case.commands:
            if (case.name, command) in BOTOCORE_PARSES:
                continue
            begin = time.monotonic()
            try:
                result: Optional[subprocess.CompletedProcess[bytes]] = subprocess.run(
                    _argv(command, case.profile, pkgdir), capture_output=True, env=env,
                    stdin=subprocess.DEVNULL, timeout=TIMEOUT, cwd=home)
            except subprocess.TimeoutExpired:
                result = None
            seconds = time.monotonic() - begin
            times.append(seconds)
            if command.startswith("use") and result is not None and result.returncode == 0:
                # what the bash hook does with it: eval, in the case's HOME, where a
                # `touch PWNED` in a name or value would leave its mark
                subprocess.run(["bash", "--norc", "--noprofile", "-c", 'eval "$1"', "x",
                                result.stdout.decode("utf-8", "surrogateescape")],
                               cwd=home, env=env, stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=TIMEOUT)
            for problem in _check(case, command, result, seconds, figures, home):
                found.append(f"{case.name!r} {command}: {problem}")
        locked = home / "locked"
        if locked.exists():
            locked.chmod(0o700)
        shutil.rmtree(home, ignore_errors=True)
        return index, found, times

    workers = workers or max(2, min(4, (os.cpu_count() or 2) * 2))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for index, found, times in pool.map(run_case, range(len(cases))):
            figures.costs[cases[index].name] = sum(times)
            figures.failures += found
            figures.commands += len(times)
            figures.slowest = max([figures.slowest, *times])
    figures.seconds = time.monotonic() - started
    return figures


FAMILIES = ("config", "credentials", "token", "registration", "role", "filetype")


def check_family(family: str, tmp_path: Path, full: bool) -> None:
    cases, skipped = corpus(family, tmp_path, full)
    assert len({c.name for c in cases}) == len(cases), "case names must be unique"
    figures = run_corpus(cases, tmp_path)
    summary = figures.line(family) + "".join(f"\n  skipped: {s}" for s in skipped)
    print(summary)
    assert not figures.failures, summary + "\n" + "\n".join(figures.failures)
    assert (figures.tracebacks, figures.unexpected, figures.hangs) == (0, 0, 0)


def test_the_checks_catch_what_they_look_for(tmp_path: Path) -> None:
    """A checker that finds nothing proves nothing: each kind of failure is caught."""
    def problems(command: str, out: bytes, err: bytes, status: int = 1,
                 seconds: float = 0.1) -> List[str]:
        result = subprocess.CompletedProcess(["x"], status, out, err)
        return _check(Case("c", {}, ()), command, result, seconds, Figures(), tmp_path)

    assert problems("status", b"", b"shellsso: error: fine\n") == []
    assert problems("export", b"AWS_SECRET_ACCESS_KEY=ZZCRED-x\n", b"", 0) == []
    assert problems("status", b"", b"Traceback (most recent call last):\n")[0] == "traceback"
    assert "unexpected error" in problems("list", b"", b"shellsso: error: unexpected KeyError\n")
    assert problems("use", b"", b"shellsso: x\n") == ["stray stderr line 'shellsso: x'"]
    assert problems("status", b"", b"", 120) == ["exit status 120"]
    assert problems("export", b"", b"shellsso: error: x: Parameter validation failed:?") == [
        "a malformed value reached a botocore call"]
    assert problems("status", b"", b"", 0, SLOW + 1) == [f"took {SLOW + 1:.1f} s"]
    assert problems("list", b"a\x1b[2Jb", b"") == ["raw control characters '\\x1b' on stdout"]
    assert problems("status", b"ZZTOK-1", b"") == ["a planted secret on stdout"]
    assert problems("export", b"", b"shellsso: ZZCRED-1") == ["a planted secret on stderr"]
    assert problems("status", b"ZZCRED-1", b"") == ["a planted secret on stdout"]
    assert problems("doctor", b"{", b"", 1) == ["doctor --json is not JSON"]
    failed = json.dumps({"findings": [{"id": "doctor.check-failed", "message": "m"}]})
    assert problems("doctor", failed.encode(), b"", 1) == ["doctor check failed: m"]
    assert _check(Case("c", {}, ()), "status", None, TIMEOUT, Figures(), tmp_path) == [
        f"no answer within {TIMEOUT:.0f} s"]


@pytest.mark.parametrize("family", FAMILIES)
def test_malformed_corpus(family: str, tmp_path: Path) -> None:
    """About 270 cases: every kind of breakage, the combinations sampled by the seed."""
    check_family(family, tmp_path, full=False)


if __name__ == "__main__":  # the whole corpus and its totals, outside pytest
    import tempfile

    total = Figures()
    with tempfile.TemporaryDirectory() as scratch:
        whole = "--full" in sys.argv
        for fam in [a for a in sys.argv[1:] if a != "--full"] or FAMILIES:
            where = Path(scratch) / fam
            where.mkdir()
            cases, skipped = corpus(fam, where, whole)
            figs = run_corpus(cases, where)
            print(figs.line(fam))
            for line in figs.failures[:400]:
                print("  " + line)
            for s in skipped:
                print(f"  skipped: {s}")
            for name, cost in sorted(figs.costs.items(), key=lambda kv: -kv[1])[:8]:
                print(f"  costliest: {name!r} {cost:.2f} s")
            for name in ("cases", "commands", "tracebacks", "unexpected", "hangs", "leaks",
                         "escapes", "seconds"):
                setattr(total, name, getattr(total, name) + getattr(figs, name))
            total.failures += figs.failures
            total.slowest = max(total.slowest, figs.slowest)
    print(total.line("all"))
    sys.exit(1 if total.failures else 0)
