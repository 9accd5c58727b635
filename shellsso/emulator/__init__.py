"""A local AWS IAM Identity Center emulator for tests and the first-run demo.

AWS has no offline Identity Center and moto does not mock sso-oidc/portal, so
shellsso ships this stdlib-only server (SPEC §6, PROTOCOL §4).
"""

from .server import Emulator

__all__ = ["Emulator"]
