"""Where things live on disk, resolved at call time (tests move HOME freely).

The AWS locations follow botocore: `AWS_CONFIG_FILE` and
`AWS_SHARED_CREDENTIALS_FILE` with `$VAR` and `~` expansion; the SSO token
cache and the CLI credential cache have no variable and hang off HOME.

"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    pass

def _expand(path: str) -> str:
    return os.path.expanduser(os.path.expandvars(path))


def config_file() -> str:
    """The shared config file (`AWS_CONFIG_FILE` or `~/.aws/config`)."""
    return _expand(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config")


def credentials_file() -> str:
    """The shared credentials file (`AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`)."""
    return _expand(os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials")


def sso_cache_dir() -> str:
    """The SSO token and client-registration cache shared with the AWS CLI v2."""
    return os.path.join(os.path.expanduser("~"), ".aws", "sso", "cache")


def cli_cache_dir() -> str:
    """The AWS CLI v2 credential cache (role credentials, assume-role results)."""
    return os.path.join(os.path.expanduser("~"), ".aws", "cli", "cache")


def own_cache_dir() -> str:
    """shellsso's own cache (parsed-config index, completion names)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "shellsso")
