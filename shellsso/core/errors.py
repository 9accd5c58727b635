"""One exception type and one set of exit codes for the whole program.

Every expected failure raises `ShellssoError`; the CLI turns it into one line
on stderr and the exit status it carries, never a traceback.
"""

from __future__ import annotations


class ExitStatus:
    """Exit codes, in one place so that hooks and scripts can rely on them."""

    OK = 0
    ERROR = 1
    USAGE = 2
    LOGIN_REQUIRED = 3
    INTERRUPTED = 130


class ShellssoError(Exception):
    """An error with a message fit for a user and an exit status.

    The message may quote an endpoint, which may quote a secret it was sent:
    those are hidden here, before any caller prints or stores the message.
    """

    def __init__(self, message: str, status: int = ExitStatus.ERROR) -> None:
        from shellsso.core.secrets import mask

        message = mask(message)
        super().__init__(message)
        self.message = message
        self.status = status


class ConfigError(ShellssoError):
    """The AWS config file is malformed or incomplete."""


class ProfileNotFound(ShellssoError):
    """The named profile exists in neither the config nor the credentials file."""


class LoginRequired(ShellssoError):
    """No usable token: the user has to log in (again)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ExitStatus.LOGIN_REQUIRED)


class NetworkError(ShellssoError):
    """An endpoint could not be reached or did not answer in time.

    A process that waited for a lock whose holder just met one fails with the
    same line at once instead of waiting on the same dead network again.
    """
