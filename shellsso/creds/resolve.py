"""Credentials for any profile: an assume-role chain (assume.py) or its base credentials
(role_credentials.py: SSO, static keys, `credential_process`), as botocore orders them."""

from __future__ import annotations

from shellsso.creds.role_credentials import Credentials, base_credentials

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

    from shellsso.awsconfig.model import AwsConfig


def get_role_credentials(
    config: AwsConfig, profile_name: str, *, interactive: Optional[bool] = None
) -> Credentials:
    """Usable credentials for a profile, cached as the AWS CLI v2 caches them.

    `interactive` None means "ask for a login only when stdin and stderr are a
    terminal"; False never asks (LoginRequired instead).
    """
    values = config.get(profile_name)
    if "role_arn" in values:
        # Only chains pay for the chain's module (dataclasses, STS).
        from shellsso.creds.assume import assume_role_credentials

        return assume_role_credentials(config, profile_name, interactive=interactive)
    return base_credentials(config, profile_name, interactive=interactive)
