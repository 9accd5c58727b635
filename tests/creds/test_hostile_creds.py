"""Hostile credential values never run as code in bash, zsh or fish.

A credential reaches the shell's eval through `awsuse PROFILE --export` from
three places: a `credential_process`, the role-credential cache
(`~/.aws/cli/cache`) and the portal's GetRoleCredentials answer. Each value
passes one check (no NUL; printable ASCII only, as AWS issues them): a refused
value is one error line naming the field, never the value, and nothing runs.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import List, Optional, Tuple

import pytest

from shellsso.core.safety import value_problem
from tests.conftest import AwsEnv, run_shellsso, write_config, write_token
from tests.creds.test_rolecreds import FMT, emulator_login, role_cache_file
from tests.shell.harness import ShellSession

SHELLS = ["bash", "zsh", "fish"]

Triple = Tuple[str, str, Optional[str]]  # AccessKeyId, SecretAccessKey, SessionToken

# Refused: each holds a NUL or a character outside printable ASCII. The first
# is the reported one (fish used to run `touch`).
REFUSED: List[Tuple[Triple, str]] = [
    (("AKIA\0", "; touch PWNED; echo ", None), "AccessKeyId"),
    (("AKIAOK", "x\0'; touch PWNED; echo '", None), "SecretAccessKey"),
    (("AKIA\0'; touch PWNED; echo '", "s", None), "AccessKeyId"),
    (("AKIA\0\\", "'; touch PWNED #", None), "AccessKeyId"),
    (("AKIAOK", "s", "tok\0\\'; touch PWNED; echo \\'"), "SessionToken"),
    (("AKIAOK", "s\ntouch PWNED", None), "SecretAccessKey"),
    (("AKIAOK", "s\r\ntouch PWNED\r\n", None), "SecretAccessKey"),
    (("AKIA\x1b]2;touch PWNED\x07", "s", None), "AccessKeyId"),
    (("AKIAOK", "\u2028touch PWNED", None), "SecretAccessKey"),
    (("AKIAOK", "s\x85touch PWNED", None), "SecretAccessKey"),
    (("AKIA\udc80", "s; touch PWNED", None), "AccessKeyId"),
    (("AKIAOK", "\u00e9'; touch PWNED; echo '", None), "SecretAccessKey"),
    (("AKIAOK", "s", "\t'; touch PWNED; echo '"), "SessionToken"),
]
# Accepted: printable ASCII, shell code in every dialect, arrives as it was.
ACCEPTED: List[Triple] = [
    ("AKIAOK1", "'; touch PWNED; echo '", None),
    ("AKIAOK2", "$(touch PWNED)`touch PWNED`${HOME}", "tok;touch PWNED"),
    ("AKIAOK3", "\\'; touch PWNED; echo \\'", None),
    ("AKIAOK4", '"; touch PWNED; echo "', "\\\\'\"; touch PWNED"),
]


def _doc(triple: Triple) -> str:
    key, secret, token = triple
    doc = {"Version": 1, "AccessKeyId": key, "SecretAccessKey": secret}
    if token is not None:
        doc["SessionToken"] = token
    return json.dumps(doc)


def _refusal(out: str, field: str, triple: Triple) -> str:
    """The one error line; it names the field and holds no part of a value."""
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    assert lines[0].startswith(f"awsuse: error: refusing {field} from "), out
    assert "PWNED" not in lines[0] and "AKIAOK" not in lines[0], out
    return lines[0]


def _nothing_ran(home: Path) -> int:
    return len(list(home.rglob("PWNED*")))


@pytest.mark.parametrize("shell", SHELLS)
def test_credential_process_values(home: Path, shell: str) -> None:
    """Every value from a credential_process, through `awsuse p --export` in a real shell."""
    doc = home / "doc.json"
    write_config(home, f"[profile p]\ncredential_process = /bin/cat '{doc}'\n")
    tried = executed = 0
    with ShellSession(shell, home) as sh:
        for triple, field in REFUSED:
            doc.write_text(_doc(triple))
            out = sh.run("awsuse p --export")
            tried += 1
            assert sh.status() == 1
            line = _refusal(out, field, triple)
            assert "credential_process of profile 'p'" in line
            assert sh.value("AWS_ACCESS_KEY_ID") == ""
            assert sh.value("AWS_PROFILE") == ""
            executed += _nothing_ran(home)
        for triple in ACCEPTED:
            doc.write_text(_doc(triple))
            assert sh.run("awsuse p --export") == ""
            tried += 1
            assert sh.value("AWS_ACCESS_KEY_ID") == triple[0]
            assert sh.value("AWS_SECRET_ACCESS_KEY") == triple[1]
            assert sh.value("AWS_SESSION_TOKEN") == (triple[2] or "")
            executed += _nothing_ran(home)
    assert (tried, executed) == (len(REFUSED) + len(ACCEPTED), 0)


def _cache_entry(path: Path, triple: Triple) -> None:
    key, secret, token = triple
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"ProviderType": "sso", "Credentials": {
        "AccessKeyId": key, "SecretAccessKey": secret, "SessionToken": token,
        "Expiration": time.strftime(FMT, time.gmtime(time.time() + 3600)),
        "AccountId": "111111111111"}}))
    path.chmod(0o600)


PORTAL = [
    ({"accessKeyId": "AKIA\0", "secretAccessKey": "; touch PWNED; echo "}, "AccessKeyId"),
    ({"secretAccessKey": "x\0'; touch PWNED; echo '"}, "SecretAccessKey"),
    ({"sessionToken": "t\n'; touch PWNED; echo '"}, "SessionToken"),
    ({"accessKeyId": "ASIA\u00e9; touch PWNED"}, "AccessKeyId"),
]


@pytest.mark.parametrize("shell", SHELLS)
def test_cache_and_portal_values(aws_env: AwsEnv, shell: str) -> None:
    """The role-credential cache and a rogue portal: refused, never cached, nothing runs."""
    home = aws_env.home
    emulator_login(aws_env)
    cache = role_cache_file(home)
    emulator = aws_env.emulator
    tried = executed = 0
    with ShellSession(shell, home, timeout=20) as sh:
        # A hostile entry in the CLI cache is a corrupt entry: one warning, fresh keys.
        for triple, field in REFUSED[:6]:
            _cache_entry(cache, triple)
            out = sh.run("awsuse dev --export")
            tried += 1
            value = triple[["AccessKeyId", "SecretAccessKey", "SessionToken"].index(field)]
            assert out.splitlines() == [
                f"awsuse: warning: ignoring credential cache file {cache}: its {field} "
                f"{value_problem(value or '', credential=True)}; it will be replaced"], out
            assert sh.value("AWS_ACCESS_KEY_ID").startswith("ASIA")
            executed += _nothing_ran(home)
        # A rogue portal: one error line, and nothing is written to the cache.
        for fields, field in PORTAL:
            cache.unlink()
            emulator.serve_credentials(fields)
            sh.run("awsuse --unset")
            out = sh.run("awsuse dev --export")
            tried += 1
            assert sh.status() == 1
            assert out.splitlines() == [
                f"awsuse: error: refusing {field} from the SSO portal's answer for account "
                f"111111111111 role AdministratorAccess: the value "
                f"{value_problem(''.join(fields.values()), credential=True)}"], out
            assert not cache.exists()
            assert sh.value("AWS_ACCESS_KEY_ID") == ""
            executed += _nothing_ran(home)
            cache.write_text("{}")
        emulator.serve_credentials(None)
    assert (tried, executed) == (6 + len(PORTAL), 0)


@pytest.mark.parametrize("shell", SHELLS)
def test_no_token_in_any_error(aws_env: AwsEnv, shell: str) -> None:
    """A cached accessToken holding a newline is a corrupt token, and never printed."""
    home = aws_env.home
    secret = "SECRETTOKENPART"
    write_token(home, "corp", 3600, access_token=f"{secret}\nSECONDLINE")
    with ShellSession(shell, home, env=_never(), timeout=20) as sh:
        for command in ("awsuse dev --export", "awsuse dev", "shellsso export --profile dev",
                        "shellsso credential-process --profile dev",
                        "shellsso status --profile dev"):
            out = sh.run(command)
            assert secret not in out and "SECONDLINE" not in out, (command, out)
            assert "its accessToken holds characters no token has" in out, (command, out)
            assert "Traceback" not in out
    result = run_shellsso("export", "--profile", "dev")
    assert secret not in result.stderr + result.stdout
    assert result.stderr.splitlines()[-1] == (
        "shellsso: error: no token for SSO session 'corp'; run: shellsso login --profile dev")


def _never() -> dict[str, str]:
    """No login offer, and `shellsso` on PATH as an installed one would be."""
    import os
    import sys

    path = f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}"
    return dict(os.environ, SHELLSSO_AUTO_LOGIN="never", PATH=path)


def test_error_text_from_botocore_never_shows_the_token() -> None:
    from shellsso.core.secrets import hide

    said = "Invalid header value b'abc\\ndef'"
    assert hide(said, "abc\ndef") == "Invalid header value b'<hidden>'"
    assert hide("token abc\ndef seen", "abc\ndef") == "token <hidden> seen"


def generated_corpus() -> List[Triple]:
    """Every C0 and C1 control, DEL, NUL next to each quote breaker or before shell code in
    the next value, and non-ASCII, each with a `touch` behind it: all of them refused."""
    payload = "'; touch PWNED; echo '\"; touch PWNED; echo \""
    values: List[Triple] = []
    controls = [chr(c) for c in [*range(0x20), *range(0x7f, 0xa0)]]
    for n, char in enumerate(controls):
        field = n % 3
        value = f"x{char}{payload}"
        triple = ["AKIAOK", "s", "t"]
        triple[field] = value
        values.append((triple[0], triple[1], triple[2]))
    for breaker in ("'", "\\'", "\\", "\"", "$(", "`", "\\\\'", ";"):
        values += [(f"AKIA\0{breaker}{payload}", "s", None),
                   ("AKIAOK", f"{breaker}\0{payload}", None)]
    for char in ("\u00e9", "\u2028", "\ufeff", "\U0001f692", "\udc80", "\u00a0"):
        values.append(("AKIAOK", f"s{char}{payload}", None))
    # A NUL ending one value, shell code in the next: fish's quoting turned inside out.
    for nul in ("\0", "A\0", "\0\0", "A\0\\"):
        for code in ("; touch PWNED; echo ", "; touch PWNED #", " & touch PWNED & ",
                     "(touch PWNED)"):
            values += [(nul, code, None), ("AKIAOK", "s" + nul, code)]
    return values


LOOPS = {
    "bash": "for f in {docs}/*.json; do command cp \"$f\" {doc}; awsuse p --export; done",
    "zsh": "for f in {docs}/*.json; do command cp \"$f\" {doc}; awsuse p --export; done",
    "fish": "for f in {docs}/*.json; command cp $f {doc}; awsuse p --export; end",
}


@pytest.mark.slow
@pytest.mark.parametrize("shell", SHELLS)
def test_generated_corpus_never_runs(home: Path, shell: str) -> None:
    """A loop in the real shell over the generated corpus: one refusal each, 0 executions."""
    corpus = generated_corpus()
    docs = home / "docs"
    docs.mkdir()
    for n, triple in enumerate(corpus):
        (docs / f"{n:04d}.json").write_text(_doc(triple))
    doc = home / "doc.json"
    write_config(home, f"[profile p]\ncredential_process = /bin/cat '{doc}'\n")
    with ShellSession(shell, home, timeout=60) as sh:
        lines = sh.run(LOOPS[shell].format(docs=docs, doc=doc), timeout=120).splitlines()
        assert sh.value("AWS_ACCESS_KEY_ID") == ""
    assert len(lines) == len(corpus) >= 110
    assert all(line.startswith("awsuse: error: refusing ") and "PWNED" not in line
               for line in lines), lines
    assert _nothing_ran(home) == 0
