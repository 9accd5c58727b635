"""shellsso: AWS IAM Identity Center (AWS SSO) as part of the shell."""

__version__ = "0.1.0"
