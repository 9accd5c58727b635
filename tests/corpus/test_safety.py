"""The one check before eval, visible-safe text and hidden secrets, at unit level.

The real shells, caches and portal are exercised in test_hostile_creds.py.
"""

from __future__ import annotations

import pytest

from shellsso.core.errors import ShellssoError
from shellsso.core.safety import check_value, value_problem, visible
from shellsso.core.secrets import hide
from shellsso.shell import syntax


@pytest.mark.parametrize("shell", list(syntax.SHELLS))
def test_every_export_passes_the_check(shell: str) -> None:
    sh = syntax.get(shell)
    with pytest.raises(ShellssoError) as caught:
        sh.export("AWS_PROFILE", "dev\0; touch PWNED")
    assert caught.value.message == "refusing AWS_PROFILE: the value holds a NUL byte"
    with pytest.raises(ShellssoError) as caught:
        sh.export("AWS_SECRET_ACCESS_KEY", "s\u00e9cret")
    assert caught.value.message == ("refusing AWS_SECRET_ACCESS_KEY: the value holds "
                                    "characters AWS never issues in credentials "
                                    "(only printable ASCII)")
    with pytest.raises(ShellssoError, match="NUL"):
        sh.print_lines(["a\0b"])
    # Other values keep any character but NUL: quoting holds them.
    assert sh.export("AWS_PROFILE", "prod-\u00fcn\u00efc\u00f8d\u00e9\n")


def test_value_problem_and_check_name_the_source_never_the_value() -> None:
    assert value_problem("ASIA0123456789ABCDEF/+= ~", credential=True) is None
    assert value_problem("\x7f", credential=True) is not None
    assert value_problem("\x7f") is None
    with pytest.raises(ShellssoError) as caught:
        check_value("SessionToken", "tok\nSECRET", credential=True, source="the portal")
    assert caught.value.message.startswith("refusing SessionToken from the portal: the value")
    assert "SECRET" not in caught.value.message


def test_visible_shows_controls_as_question_marks() -> None:
    assert visible("prod") == "prod"
    assert visible("\u00fcn\u00efc\u00f8d\u00e9 \u4e2d") == "\u00fcn\u00efc\u00f8d\u00e9 \u4e2d"
    assert visible("a\x1b[31mb\x07c\x9bd\x7fe\nf\udc80") == "a?[31mb?c?d?e?f?"


def test_error_warning_and_info_lines_are_visible_safe(capsys: pytest.CaptureFixture[str]) -> None:
    from shellsso.core.output import error, info, warn

    error("profile 'x\x1b]0;t\x07' not found\nsecond")
    warn("name \x1b[2J")
    info("open:\n  https://portal/\x1b[8mhidden\n")
    err = capsys.readouterr().err
    assert err == ("shellsso: error: profile 'x?]0;t?' not found?second\n"
                   "shellsso: warning: name ?[2J\n"
                   "open:\n  https://portal/?[8mhidden\n\n")


def test_hide_removes_a_secret_in_every_spelling() -> None:
    secret = "abc\ndef"
    for said in (f"header {secret}", f"header {secret!r}", f"header {secret.encode()!r}"):
        assert "abc" not in hide(said, secret), said
    assert hide("nothing", None, "") == "nothing"


def test_visible_also_shows_what_reorders_or_breaks_a_line() -> None:
    assert visible("evil\u202etxt.exe\u2066x\u2069\u2028y\u2029") == "evil?txt.exe?x??y?"
    assert visible("caf\u00e9 \u200d\U0001f469") == "caf\u00e9 \u200d\U0001f469"  # ZWJ emoji kept


def test_remembered_secrets_are_masked_wherever_a_line_goes(
        capsys: pytest.CaptureFixture[str]) -> None:
    from shellsso.core.output import error, warn
    from shellsso.core.secrets import mask, remember, remember_parameters
    from shellsso.doctor.findings import error as finding

    remember("short", "held-secret-0123456789")
    remember_parameters({"codeVerifier": "sent-verifier-0123456789", "clientId": "public-id-0"})
    said = 'echo: {"codeVerifier": "sent-verifier-0123456789"} held-secret-0123456789 short'
    assert mask(said) == 'echo: {"codeVerifier": "<hidden>"} <hidden> short'
    assert mask("public-id-0") == "public-id-0"  # not a secret parameter
    assert ShellssoError(said).message == mask(said)
    made = finding("portal.refused", said, "fix held-secret-0123456789")
    assert "0123456789" not in f"{made.message} {made.fix}"
    error(said)
    warn("x held-secret-0123456789\x1b[2J")
    err = capsys.readouterr().err
    assert "0123456789" not in err and err.count("<hidden>") == 3 and "\x1b" not in err
