"""The usual words of the commands other programs run once per process, read without argparse.

An SDK runs `shellsso credential-process --profile P` for every process it
starts, and prompts and scripts run `shellsso export` and `shellsso status`
as often: importing argparse and building every command's parser cost more
than such a command itself. When the words are only the options below,
cli.py takes them from here; anything else (--help, a typo, a value missing
or not allowed, an option given twice) goes to the full parser in
arguments.py, which gives every message. A test holds both readings equal.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from types import SimpleNamespace

DEFAULT_FORMAT = "env"
_PROFILE = {"--profile": "profile", "-p": "profile"}


class Quick:
    """One command's words: options with a value, flags, defaults, allowed values (each
    list from where it is kept, imported only when such a value is given)."""

    def __init__(self, handler: tuple[str, str], values: Mapping[str, str],
                 flags: Mapping[str, str] | None = None,
                 defaults: Mapping[str, object] | None = None,
                 choices: Mapping[str, Callable[[], Sequence[str]]] | None = None,
                 required: Sequence[str] = ()) -> None:
        self.handler = handler
        self.values = values
        self.flags = flags or {}
        self.defaults = defaults or {}
        self.choices = choices or {}
        self.required = required


def _export_formats() -> Sequence[str]:
    from shellsso.shell.exports import FORMATS

    return FORMATS


COMMANDS = {
    "export": Quick(("shellsso.commands.export", "run"),
                    values={**_PROFILE, "--format": "format", "-f": "format"},
                    defaults={"profile": None, "format": DEFAULT_FORMAT},
                    choices={"format": _export_formats}),
    "credential-process": Quick(("shellsso.commands.credential_process", "run"),
                                values=_PROFILE, required=("profile",)),
    "status": Quick(("shellsso.commands.status", "run"), values=_PROFILE,
                    flags={"--json": "json"}, defaults={"profile": None, "json": False}),
}


def namespace(words: Sequence[str]) -> SimpleNamespace | None:
    """`words` (the command first) read as argparse would, or None to leave them to it."""
    quick = COMMANDS.get(words[0]) if words else None
    if quick is None:
        return None
    found: dict[str, object] = {}
    rest = iter(words[1:])
    for word in rest:
        option, equals, value = word.partition("=")
        if option in quick.flags and not equals:
            dest: str = quick.flags[option]
            found_value: object = True
        elif option in quick.values:
            dest = quick.values[option]
            if not equals:
                value = next(rest, "")
            if not value or value.startswith("-") or (equals and not option.startswith("--")):
                return None
            allowed = quick.choices.get(dest)
            if allowed is not None and value not in allowed():
                return None
            found_value = value
        else:
            return None
        if dest in found:
            return None  # argparse takes the last one; rare enough to leave to it
        found[dest] = found_value
    if any(name not in found for name in quick.required):
        return None
    from types import SimpleNamespace

    return SimpleNamespace(command=words[0], handler=quick.handler, debug=False,
                           **{**quick.defaults, **found})
