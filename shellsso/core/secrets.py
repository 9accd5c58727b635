"""The secrets this process holds, and text with them hidden.

An endpoint may quote a request back in its error message (a rogue one on
purpose): the tokens, client secret, codes and credentials a process loads,
receives or sends are remembered here, and every message passes through
`mask` before it is printed or stored (errors.ShellssoError, safety.shown).
Free of imports: errors.py, at the bottom of every layer, uses it.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def hide(text: str, *secrets: str | None) -> str:
    """`text` with each secret (as itself or as Python would escape it) shown as `<hidden>`.

    For messages that quote what a library said: botocore's errors may repeat
    a header or a parameter, and a secret must never reach an error line.
    Longer secrets go first, so that one holding another is hidden whole.
    """
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        for form in {secret, repr(secret)[1:-1], repr(secret.encode("utf-8", "replace"))[2:-1]}:
            text = text.replace(form, "<hidden>")
    return text


MIN_SECRET = 8
"""Shorter values are not remembered: hiding them would mangle ordinary words, and no
token, client secret, device code or code verifier AWS issues is that short."""

# The request parameters of the SSO and OIDC APIs that carry a secret.
SECRET_PARAMETERS = ("accessToken", "refreshToken", "clientSecret", "deviceCode", "code",
                     "codeVerifier")

_held: set[str] = set()


def remember(*values: str | None) -> None:
    """Note secrets as they are loaded, received or sent, so that `mask` hides them.

    An endpoint may quote a request back in its error message (a rogue one
    on purpose); whatever path that message takes to the screen, it passes
    through `mask` first.
    """
    for value in values:
        if isinstance(value, str) and len(value) >= MIN_SECRET:
            _held.add(value)


def remember_parameters(params: Mapping[str, object], **_: object) -> None:
    """botocore `provide-client-params` handler: remember the secrets a request will carry."""
    for name in SECRET_PARAMETERS:
        value = params.get(name)
        if isinstance(value, str):
            remember(value)


def mask(text: str) -> str:
    """`text` with every secret this process holds shown as `<hidden>`."""
    return hide(text, *_held) if _held else text
