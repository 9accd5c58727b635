"""The emulator's command-line options, apart from the server so that building
`shellsso --help` does not import an HTTP server."""

from __future__ import annotations

import argparse

__all__ = ["add_arguments", "port_number"]

MAX_PORT = 65535


def port_number(text: str) -> int:
    """An argparse type: a TCP port 0-65535, so a bad --port is a usage error, not a
    bind() failure later."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: not a number") from None
    if not 0 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(
            f"invalid port {text!r}: must be 0-{MAX_PORT} (0 picks a free one)")
    return port


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the emulator options to `parser` (shared by both entry points)."""
    parser.add_argument("--port", type=port_number, default=0, metavar="PORT",
                        help="port on 127.0.0.1 (default: 0 = pick a free one and print it)")
    parser.add_argument("--token-ttl", type=int, default=3600, metavar="S",
                        help="access-token lifetime in seconds (default 3600)")
    parser.add_argument("--credential-ttl", type=int, default=3600, metavar="S",
                        help="role-credential lifetime in seconds (default 3600)")
    parser.add_argument("--interval", type=int, default=1, metavar="S",
                        help="device-code polling interval in seconds (default 1)")
    parser.add_argument("--state", metavar="FILE", default=None,
                        help="persist clients and tokens in FILE across restarts")
    parser.add_argument("--auto-approve", action="store_true",
                        help="approve device codes as soon as they are created")
    parser.add_argument("--quiet", action="store_true",
                        help="do not log requests to stderr")
    parser.add_argument("--clock-skew", type=float, default=0, metavar="SECONDS",
                        help="send a Date header this many seconds ahead (negative: behind)")
    parser.add_argument("--accounts", type=int, default=None, metavar="N",
                        help="serve a generated organisation of N accounts instead of the "
                             "4-account demo one (names, e-mail addresses, pages of 20)")
    parser.add_argument("--roles", type=int, default=None, metavar="N",
                        help="roles per generated account, 1-8 (default 3; with --accounts)")
    parser.add_argument("--throttle", type=float, default=0.0, metavar="RPS",
                        help="answer TooManyRequestsException (429) past RPS ListAccounts/"
                             "ListAccountRoles calls per second (default: no limit)")
