"""Credentials for any profile: an assume-role chain (assume.py) or its base credentials
(role_credentials.py: SSO, static keys, `credential_process`), as botocore orders them."""

from __future__ import annotations

from typing import Optional

from shellsso.awsconfig.model import AwsConfig
from shellsso.creds.assume import assume_role_credentials
from shellsso.creds.role_credentials import Credentials, base_credentials


def get_role_credentials(
    config: AwsConfig, profile_name: str, *, interactive: Optional[bool] = None
) -> Credentials:
    """Usable credentials for a profile, cached as the AWS CLI v2 caches them.

    `interactive` None means "ask for a login only when stdin and stderr are a
    terminal"; False never asks (LoginRequired instead).
    """
    values = config.get(profile_name)
    if "role_arn" in values:
        return assume_role_credentials(config, profile_name, interactive=interactive)
    return base_credentials(config, profile_name, interactive=interactive)
