"""One check for every value a shell evaluates, text made safe for a terminal, secrets hidden.

Quoting makes any value one word in bash, zsh and fish, except for a NUL
byte, which no quoting can hold: bash drops it, zsh keeps it and fish ends
the string there, so that the rest of the line runs as code. Credentials are
held to what AWS issues (printable ASCII), so anything else is refused where
it comes in (a `credential_process`, a cache file, the portal's answer) and
again where it would be evaluated. Every line printed about an error passes
through `shown`, which also hides the secrets the process holds (secrets.py).
Hot path: no imports beyond shellsso.core.errors and shellsso.core.secrets.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

# The environment variables that hold credentials (or their key id, for the hooks).
CREDENTIAL_VARS = frozenset({
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION", "_SHELLSSO_CREDS_KEY",
})


def printable_ascii(value: str) -> bool:
    """True for text made of the 95 printable ASCII characters (space to `~`) only."""
    return value.isascii() and value.isprintable()


def value_problem(value: str, *, credential: bool = False) -> str | None:
    """What makes `value` unfit for a shell's eval (None when it is fit); never the value."""
    if "\0" in value:
        return "holds a NUL byte"
    if credential and not printable_ascii(value):
        return "holds characters AWS never issues in credentials (only printable ASCII)"
    return None


def check_value(field: str, value: str, *, credential: bool = False, source: str = "") -> None:
    """The check every value passes before it reaches an eval: refused with one line.

    The line names the field (and where the value came from), never the value.
    """
    problem = value_problem(value, credential=credential)
    if problem is not None:
        from shellsso.core.errors import ShellssoError

        origin = f" from {source}" if source else ""
        raise ShellssoError(f"refusing {field}{origin}: the value {problem}")


def check_credential_fields(fields: Iterable[tuple[str, str | None]], source: str) -> None:
    """check_value for (field, value) pairs of credentials; absent values are skipped."""
    for field, value in fields:
        if value is not None:
            check_value(field, value, credential=True, source=source)


def credential_problem(fields: Iterable[tuple[str, str | None]]) -> str | None:
    """`its SecretAccessKey holds a NUL byte` for the first bad field, else None."""
    for field, value in fields:
        if value is not None:
            problem = value_problem(value, credential=True)
            if problem is not None:
                return f"its {field} {problem}"
    return None


def is_control(char: str) -> bool:
    """C0 and C1 control characters, DEL, and the surrogates invalid UTF-8 decodes to.

    A terminal acts on C0/C1 (escape sequences, carriage return, CSI); a
    surrogate cannot even be written out as UTF-8.
    """
    return char < " " or "\x7f" <= char <= "\x9f" or "\ud800" <= char <= "\udfff"


# Not control characters, but they act like them on a screen: bidirectional overrides
# and isolates reorder what follows (a name can show as another), and the Unicode line
# and paragraph separators break a line where a terminal or log viewer honours them.
_DISPLAY_TRICKS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                            "\u2028\u2029")


def visible(text: str) -> str:
    """Text fit for one line of a terminal: each control character shown as `?`.

    So are the characters that reorder or break a line on screen (_DISPLAY_TRICKS).
    """
    if text.isprintable():
        return text
    return "".join("?" if is_control(ch) or ch in _DISPLAY_TRICKS else ch for ch in text)


def shown(text: str) -> str:
    """The one step before anything reaches a terminal or a report: secrets hidden, and
    control characters made visible (`secrets.mask`, then `visible`)."""
    from shellsso.core.secrets import mask

    return visible(mask(text))


def masked_key_id(key_id: str) -> str:
    """A key id as every output of shellsso shows it: `AKIA...WXYZ` (type and last 4).

    The prefix says what kind of key it is (AKIA: an IAM user's, ASIA:
    temporary); the last four tell one key from another, as the IAM console
    does. Characters a terminal would act on show as `?`. An id shorter than
    AWS makes them (16) shows its last 4 alone, and one under 8 nothing: at
    most half of an odd value shows, whatever it is.
    """
    text = key_id.strip()
    if len(text) >= 16:
        return visible(f"{text[:4]}...{text[-4:]}")
    return visible(f"...{text[-4:]}" if len(text) >= 8 else "...")
