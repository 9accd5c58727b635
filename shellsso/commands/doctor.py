"""`shellsso doctor`: the credential chain of a profile, checked the way botocore walks it.

The checks run in the order a user needs their answers (environment, files,
profile, session, clock, portal, tools, shell) and each reports findings with a
fix (see shellsso.doctor.findings for the levels). A check that fails unexpectedly
becomes one more finding: the doctor must never die of the breakage it is
asked to diagnose. Exit status 1 when any finding is an error, else 0.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from shellsso.core.output import counted
from shellsso.core.safety import shown
from shellsso.doctor.findings import Context, Finding, error
from shellsso.doctor.local import (
    check_cache_permissions,
    check_env_credentials,
    check_env_profiles,
    check_files,
    check_profile_chain,
    check_profile_exists,
    check_profile_sso,
    check_region,
    check_shell,
    check_token,
)
from shellsso.doctor.network import check_clock, check_portal, check_tools

Check = Callable[[Context], List[Finding]]

CHECKS: Tuple[Check, ...] = (
    check_env_credentials, check_env_profiles,
    check_files,
    check_profile_exists, check_profile_chain, check_profile_sso, check_region,
    check_token, check_cache_permissions,
    check_clock,
    check_portal,
    check_tools,
    check_shell,
)

COLORS = {"ok": "32", "info": "36", "warning": "33", "error": "31"}


def selected_profile(explicit: Optional[str]) -> Tuple[str, str]:
    """(profile, what selected it), in the AWS CLI v2's order (docs/protocol.md §1.2)."""
    if explicit:
        return explicit, "--profile"
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        value = os.environ.get(name)
        if value:
            return value, name
    return "default", "default"


def diagnose(explicit: Optional[str], checks: Tuple[Check, ...] = CHECKS) -> Tuple[Context,
                                                                                   List[Finding]]:
    """Run every check in order; the Context carries what each learnt to the next."""
    profile, selected_by = selected_profile(explicit)
    ctx = Context(profile=profile, selected_by=selected_by, now=time.time())
    findings: List[Finding] = []
    for check in checks:
        findings += _run_check(check, ctx)
    return ctx, findings


def _run_check(check: Check, ctx: Context) -> List[Finding]:
    try:
        return check(ctx)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
        if os.environ.get("SHELLSSO_DEBUG") == "1" or "--debug" in sys.argv:
            raise
        name = check.__name__.replace("check_", "").replace("_", " ")
        detail = f": {exc.strerror}" if isinstance(exc, OSError) and exc.strerror else ""
        return [error("doctor.check-failed",
                      f"the {name} check could not finish ({type(exc).__name__}{detail})",
                      "run `shellsso doctor --debug` to see where, and report it")]


def report(ctx: Context, findings: List[Finding]) -> Dict[str, Any]:
    """The `--json` document."""
    counts = {level: sum(1 for f in findings if f.level == level)
              for level in ("error", "warning")}
    return {
        "profile": ctx.profile,
        "selectedBy": ctx.selected_by,
        "healthy": counts["error"] == 0,
        "errors": counts["error"],
        "warnings": counts["warning"],
        "findings": [f.to_json() for f in findings],
    }


def render(ctx: Context, findings: List[Finding], color: bool,
           width: Optional[int] = None) -> str:
    """The human report: one block per finding, the fix indented below it.

    `width` (a terminal's) wraps long lines under their text; None keeps one
    line per message and one per fix, for grep.
    """
    def paint(level: str, text: str) -> str:
        return f"\033[{COLORS[level]}m{text}\033[0m" if color else text

    how = "" if ctx.selected_by == "--profile" else (
        " (nothing selected: the default)" if ctx.selected_by == "default"
        else f" (from {ctx.selected_by})")
    lines = [shown(f"Profile '{ctx.profile}'{how}"), ""]
    for finding in findings:
        message = _wrap(finding.message, " " * 9, " " * 9, width)
        message[0] = paint(finding.level, finding.level) + message[0][len(finding.level):]
        lines += message
        if finding.fix:
            lines += _wrap(finding.fix, " " * 9 + "fix: ", " " * 14, width)
    errors = sum(1 for f in findings if f.level == "error")
    warnings = sum(1 for f in findings if f.level == "warning")
    lines.append("")
    if errors:
        lines.append(paint("error", f"{counted(errors, 'error')}, {counted(warnings, 'warning')}"))
    elif warnings:
        lines.append(paint("warning", f"no errors, {counted(warnings, 'warning')}"))
    else:
        lines.append(paint("ok", "all good"))
    return "\n".join(lines)


def _wrap(text: str, first: str, rest: str, width: Optional[int]) -> List[str]:
    if width is None or width < 40:
        return [first + text]
    import textwrap

    return textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False) or [first]


def run(args: Any) -> int:
    """`shellsso doctor [--profile P] [--json]`."""
    ctx, findings = diagnose(getattr(args, "profile", None))
    if getattr(args, "json", False):
        import json

        sys.stdout.write(json.dumps(report(ctx, findings), indent=2) + "\n")
    else:
        from shellsso.core.output import use_color

        width = None
        if sys.stdout.isatty():
            import shutil

            width = shutil.get_terminal_size().columns - 1
        sys.stdout.write(render(ctx, findings, use_color(sys.stdout), width) + "\n")
    sys.stdout.flush()
    return 1 if any(f.level == "error" for f in findings) else 0
