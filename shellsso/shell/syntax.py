"""The supported shells, in one place: `get("bash")` returns its syntax object.

Everything else (init, awsuse, tests) goes through this registry and never
branches on a shell's name.
"""

from __future__ import annotations

from shellsso.shell.base import Shell

# Module and class of each shell: `get` imports only the one asked for (the
# awsuse back end needs one shell, and every import costs start-up time).
_CLASSES = {"bash": ("bash", "Bash"), "zsh": ("zsh", "Zsh"), "fish": ("fish", "Fish")}
_MADE: dict[str, Shell] = {}
NAMES = tuple(_CLASSES)
"""The supported shells' names, for argument choices and messages."""
DEFAULT = "bash"
"""The shell to use when none is named or detected (the demo's scripted tour)."""


def get(name: str) -> Shell:
    """The shell called `name`, or ShellssoError listing the supported ones."""
    shell = _MADE.get(name)
    if shell is not None:
        return shell
    try:
        module, cls = _CLASSES[name]
    except KeyError:
        from shellsso.core.errors import ExitStatus, ShellssoError

        raise ShellssoError(
            f"unsupported shell {name!r} (supported: {', '.join(_CLASSES)})", ExitStatus.USAGE
        ) from None
    made: Shell = getattr(__import__(f"shellsso.shell.{module}", fromlist=[cls]), cls)()
    _MADE[name] = made
    return made


def __getattr__(attr: str) -> dict[str, Shell]:
    """`SHELLS`: every shell by name, made on first use."""
    if attr == "SHELLS":
        return {name: get(name) for name in _CLASSES}
    raise AttributeError(attr)


__all__ = ["SHELLS", "Shell", "get"]  # noqa: F822 - SHELLS comes from __getattr__
