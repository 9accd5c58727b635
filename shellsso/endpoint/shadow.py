"""What would win over the endpoint in a client on this machine (docs/protocol.md §8.4).

botocore (and the AWS CLI, and the other SDKs) try the selected profile's own providers
before the container provider, and with no profile selected that is `[default]`. A
`[default]` with keys, SSO settings, a role or a `credential_process` is therefore used
instead of the endpoint by every client that selects no profile: worth a warning.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional

    from shellsso.awsconfig.model import AwsConfig

CREDENTIAL_SETTINGS = (
    "aws_access_key_id", "aws_secret_access_key", "role_arn", "web_identity_token_file",
    "sso_session", "sso_start_url", "sso_account_id", "sso_role_name", "credential_process",
    "login_session",
)
"""The settings of a profile that give it credentials of its own (botocore's providers)."""

# Environment variables that a client's chain reads before the container provider.
SHADOWING_ENVIRONMENT = (
    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
)
CONTAINER_ENVIRONMENT = (
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
)


def default_credentials(config: AwsConfig) -> List[str]:
    """The settings that give `[default]` credentials of its own (none: an empty list)."""
    values = config.profiles.get("default")
    if not values:
        return []
    return [name for name in CREDENTIAL_SETTINGS if name in values]


def shadow_warning(config: AwsConfig, profile: str) -> Optional[str]:
    """The warning to give when `[default]` would be used instead of the endpoint."""
    found = default_credentials(config)
    if not found or profile == "default":
        return None
    return (f"profile 'default' has credentials of its own ({', '.join(found)}): AWS SDKs "
            f"and the AWS CLI on this machine use them, not the endpoint (profile "
            f"'{profile}'), when no profile is selected; to use the endpoint here, move "
            f"those settings from [default] to a named profile")


def warn_if_shadowed(config: AwsConfig, profile: str) -> None:
    """Say shadow_warning's line on stderr, when there is one (serve and exec --server)."""
    warning = shadow_warning(config, profile)
    if warning:
        from shellsso.core.output import warn

        warn(warning)
