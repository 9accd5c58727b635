"""A local AWS IAM Identity Center emulator for tests and the first-run demo.

AWS has no offline Identity Center and moto does not mock sso-oidc/portal, so
shellsso ships this stdlib-only server (docs/protocol.md §12, §4).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .server import Emulator

__all__ = ["Emulator"]


def __getattr__(name: str) -> Any:
    """Import the HTTP server only when it is used: `shellsso --help` needs none of it."""
    if name == "Emulator":
        from .server import Emulator

        return Emulator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
