"""`shellsso keys`: the long-lived access keys still here; `keys retire`: replace one with SSO.

A long-lived key in a file or the environment is the credential most worth
stealing: it works until someone deactivates it. The listing says where each
one is, whose it is and whether it is still used (shellsso/keys/listing.py);
retire moves a profile to Identity Center in an order that never leaves it
broken (shellsso/keys/retire.py).
"""

from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    """`shellsso keys [--json]`, or `keys retire ...` when keys_command is "retire"."""
    if getattr(args, "keys_command", None) == "retire":
        return run_retire(args)
    import json
    import time

    from shellsso.core import paths
    from shellsso.core.output import counted, warn
    from shellsso.core.safety import shown
    from shellsso.keys.listing import gather

    entries, problems = gather()
    for problem in problems:
        warn(f"{problem} (its keys are not listed)")
    now = time.time()
    if getattr(args, "json", False):
        document = {"keys": [entry.to_json(now) for entry in entries],
                    "problems": [shown(problem) for problem in problems]}
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return 0
    if not entries:
        sys.stdout.write(shown(f"No long-lived access keys in {paths.credentials_file()}, "
                               f"{paths.config_file()} or the environment.") + "\n")
        return 0
    blocks = ["\n".join(entry.lines(now)) for entry in entries]
    sys.stdout.write("\n\n".join(blocks) + "\n\n"
                     + f"{counted(len(entries), 'long-lived key')}.\n")
    return 0


def run_retire(args: argparse.Namespace) -> int:
    from shellsso.keys.retire import Options, retire

    return retire(Options(args.profile, args.to, args.deactivate, args.delete, args.dry_run,
                          args.yes))
