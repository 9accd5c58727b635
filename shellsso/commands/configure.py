"""`shellsso configure`: the `aws configure sso` wizard, with filtering for long lists.

It asks for the SSO session (or offers the one the config has, skipping what
is known), logs in with shellsso's own login (PKCE or device code, headless
rules included), lists the accounts and then the roles of the chosen one,
and writes what `aws configure sso` writes (docs/protocol.md §1.7). Nothing is
written before the last answer: Ctrl-C or Ctrl-D at any question leaves the
config as it was.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import TYPE_CHECKING, Callable, List, Optional, Sequence, Tuple, TypeVar
from urllib.parse import urlsplit, urlunsplit

from shellsso.awsconfig.regions import check_region, known_region
from shellsso.core.errors import ExitStatus, ShellssoError
from shellsso.core.questions import hint, yes_or_no

if TYPE_CHECKING:
    from shellsso.awsconfig.edit import ConfigFile
    from shellsso.awsconfig.model import SsoTarget

T = TypeVar("T")

DEFAULT_SCOPES = "sso:account:access"
DEFAULT_REGION = "us-east-1"
OUTPUTS = ("json", "yaml", "yaml-stream", "text", "table")
SHOWN = 15  # list entries shown at once; longer lists are filtered by typing

# Hosts the AWS CLI accepts without resolving them (docs/protocol.md §4.9).
_AWS_SUFFIXES = (".awsapps.com", ".app.aws", ".portal.amazonaws.com", ".awsapps.cn",
                 ".portal.amazonaws.com.cn", ".app.amazonwebservices.com.cn",
                 ".portal.amazonaws.eu", ".api.amazonwebservices.eu")
_AWS_HOSTS = ("identitycenter.amazonaws.com", "identitycenter.amazonaws.com.cn",
              "identitycenter.amazonaws.eu", "identitycenter.us-gov.amazonaws.com")
_SESSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]*")
# An Identity Center directory id, which the console shows next to the portal URL.
_DIRECTORY_ID = re.compile(r"d-[0-9a-z]{10}")
_REGION_IN_HOST = (re.compile(r"\.portal\.([a-z]{2}(?:-gov)?-[a-z]+-[0-9]+)\.app\.aws$"),
                   re.compile(r"\.([a-z]{2}(?:-gov)?-[a-z]+-[0-9]+)\.portal\.amazonaws\.com$"))


class Cancelled(Exception):
    """Ctrl-D at a question."""


# --- answers, checked ------------------------------------------------------------------------


def check_start_url(text: str) -> Tuple[Optional[str], Optional[str]]:
    """(the URL to store, None) or (None, why not). A missing https:// is added;
    the `#/...` that the portal page shows in the address bar is dropped."""
    text = text.strip()
    if not text:
        return None, "the start URL is required"
    if _DIRECTORY_ID.fullmatch(text.lower()):
        return portal_of_directory(text), None
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme != "https":
        return None, "the start URL must use https, e.g. https://d-1234567890.awsapps.com/start"
    host = (parts.hostname or "").lower()
    if not host or " " in text:
        return None, "that is not a URL; e.g. https://d-1234567890.awsapps.com/start"
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, "")), None


def portal_of_directory(directory_id: str) -> str:
    """The access portal's default URL for a directory id: `https://d-xxxxxxxxxx.awsapps.com/start`."""
    return f"https://{directory_id.lower()}.awsapps.com/start"


def aws_owned(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in _AWS_HOSTS or host.endswith(_AWS_SUFFIXES)


def region_of_url(url: str) -> Optional[str]:
    host = (urlsplit(url).hostname or "").lower()
    for pattern in _REGION_IN_HOST:
        match = pattern.search(host)
        if match:
            return match.group(1)
    return None


def check_session_name(text: str) -> Optional[str]:
    if _SESSION_NAME.fullmatch(text):
        return None
    return "a session name is letters, digits and . _ @ + - (e.g. my-sso)"


def check_profile_name(text: str) -> Optional[str]:
    if not text:
        return "a profile name is required"
    if any(ch in text for ch in "[]\r\n\t") or text != text.strip():
        return "a profile name has no brackets, tabs, line breaks or surrounding spaces"
    return None


def region_check() -> Callable[[str], Optional[str]]:
    """The check of a region answer: a region name, and a known one (with close matches)
    unless the same name is typed twice in a row (a region newer than the known ones)."""
    last: List[str] = []

    def check(text: str) -> Optional[str]:
        problem = check_region(text)
        if problem is not None:
            return problem
        known, close = known_region(text)
        if known or last == [text]:
            return None
        last[:] = [text]
        if close:
            return (f"{text} is not a known region; did you mean {close[0]}? "
                    "Or type it again to use it anyway (a region newer than the known ones)")
        return (f"{text} is not a known region; type it again to use it anyway (a region "
                "newer than the known ones)")

    return check


# --- questions -------------------------------------------------------------------------------


class Asker:
    """Questions on stdout, answers from stdin; Ctrl-D cancels."""

    def __init__(self, read: Callable[[str], str] = input) -> None:
        self.read = read

    def ask(self, question: str, default: Optional[str] = None,
            check: Optional[Callable[[str], Optional[str]]] = None) -> str:
        prompt = f"{question} [{default}]: " if default else f"{question}: "
        while True:
            try:
                answer = self.read(prompt).strip()
            except EOFError:
                raise Cancelled() from None
            if not answer and default is not None:
                answer = default
            problem = check(answer) if check else (None if answer else "an answer is required")
            if problem is None:
                return answer
            print(f"  {problem}")

    def yes(self, question: str, default: bool = False) -> bool:
        """A yes/no question of the dialogue, read as every other (questions.yes_or_no)."""
        answer = self.ask(f"{question} ({hint(default)})", "y" if default else "n",
                          lambda a: None if yes_or_no(a, default) is not None else
                          "answer y or n")
        return yes_or_no(answer, default) is True


def matches(words: Sequence[str], text: str) -> bool:
    """Every word a case-insensitive substring of `text`."""
    lowered = text.lower()
    return all(word.lower() in lowered for word in words)


def pick(asker: Asker, items: Sequence[T], label: Callable[[T], str],
         haystack: Callable[[T], str], noun: str, header: str = "") -> T:
    """Choose one item: by number, or by typing words that narrow the list.

    Long lists (hundreds of accounts) show the first entries and a count;
    typing part of a name, id or e-mail address narrows them, one match is
    taken at once, and an empty answer shows the whole list again, under
    `header`. A number of one or two digits is a number of the list shown
    (out of range, it says so); longer digits filter, as part of an id.
    """
    if len(items) == 1:
        print(f"Using the only {noun}: {label(items[0])}")
        return items[0]
    current: Sequence[T] = items
    while True:
        shown = current[:SHOWN]
        width = len(str(len(shown)))
        for number, item in enumerate(shown, 1):
            print(f"  {number:>{width}}  {label(item)}")
        if len(current) > len(shown):
            print(f"  ... {len(current) - len(shown)} more; type part of a name or id to "
                  "narrow the list")
        question = (f"{noun.capitalize()} (number, or text to filter)" if current is items else
                    f"{noun.capitalize()} (number, text to filter, or empty for the full list)")
        answer = asker.ask(question, "", lambda _a: None)
        if answer and answer.isascii() and answer.isdigit() and len(answer) <= 2:
            if 1 <= int(answer) <= len(shown):
                chosen = shown[int(answer) - 1]
                print(f"Using {noun} {label(chosen)}")
                return chosen
            print(f"  {answer} is out of range: 1-{len(shown)}")
            continue
        found = [item for item in items if matches(answer.split(), haystack(item))]
        if not answer or not found:
            if answer:
                print(f"  no {noun} matches '{answer}'; the full list again:")
            current = items
            if header:
                print(header)
            continue
        if len(found) == 1:
            print(f"Using {noun} {label(found[0])}")
            return found[0]
        print(f"  {len(found)} of {len(items)} match '{answer}':")
        current = found


# --- the wizard ------------------------------------------------------------------------------


def _session_values(asker: Asker, name: str) -> Tuple[str, str, str, bool]:
    """(start URL, SSO region, scopes, known): from the config, or asked."""
    from shellsso.awsconfig.model import load_config

    config = load_config()
    if name in config.sessions:
        target = config.session_target(name)
        scopes = ", ".join(target.scopes) if target.scopes else ""
        print(f"Using SSO session '{name}': {target.start_url} ({target.region})")
        return target.start_url, target.region, scopes, True
    while True:
        url = asker.ask("SSO start URL", None, lambda a: check_start_url(a)[1])
        start_url = check_start_url(url)[0]
        assert start_url is not None
        if _DIRECTORY_ID.fullmatch(url.strip().lower()):
            print(f"{url.strip()} is a directory id: using its portal, {start_url}")
        if aws_owned(start_url) or asker.yes(
                f"{urlsplit(start_url).hostname} is not an AWS access portal host "
                "(*.awsapps.com, *.app.aws, ...); use it anyway?"):
            break
    region = asker.ask("SSO region", region_of_url(start_url) or DEFAULT_REGION,
                       region_check())
    scopes = asker.ask("SSO registration scopes", DEFAULT_SCOPES, lambda a: None)
    return start_url, region, scopes, False


def _choose_session(asker: Asker, given: Optional[str]) -> str:
    from shellsso.awsconfig.model import load_config

    existing = list(load_config().sessions)
    if given:
        problem = None if given in existing else check_session_name(given)
        if problem:
            raise ShellssoError(f"--sso-session {given!r}: {problem}", ExitStatus.USAGE)
        return given
    if existing:
        print(f"SSO sessions in the config: {', '.join(existing)} (or type a new name)")
    return asker.ask("SSO session name", existing[0] if existing else None, check_session_name)


def _token(target: SsoTarget, start_url: str, args: argparse.Namespace) -> str:
    from shellsso.sso.login import login
    from shellsso.sso.session import get_token

    token = get_token(target)
    if token is not None and token.start_url == start_url:
        print("Using the cached login of this session.")
        return token.access_token
    fresh = login(target, use_device_code=bool(getattr(args, "use_device_code", False)),
                  no_browser=bool(getattr(args, "no_browser", False)), force=True)
    return fresh.access_token


def _profile_name(asker: Asker, file: ConfigFile, session: str, account_id: str,
                  account_name: str, role: str) -> str:
    """The profile to write: never a name of the credentials file (botocore would resolve
    the user's static keys through SSO instead), nor one of populate's block (the next
    populate would undo the edit), a profile of the config only if the user says to
    replace it; the name offered is one in use nowhere."""
    from shellsso.awsconfig.edit import names_in_use, populated_names
    from shellsso.awsconfig.naming import DEFAULT_TEMPLATE, free_name, make_name

    doc = file.read()[0]
    in_use = names_in_use(doc, file.path)
    owned = populated_names(doc)
    suggestion = free_name(make_name(DEFAULT_TEMPLATE, session, account_id, account_name, role),
                           account_id, {**in_use, **owned})

    def check(text: str) -> Optional[str]:
        if in_use.get(text, file.path) != file.path:
            return f"'{text}' is a profile in {in_use[text]}; choose another name"
        if text in owned:
            return (f"'{text}' belongs to `shellsso populate` (its block for SSO session "
                    f"{owned[text]}), which rewrites it on every run; choose another name. "
                    "To change populate's profiles lastingly, name them with `shellsso "
                    "populate --naming TEMPLATE`, or move its section out of the block "
                    "(populate then leaves it alone)")
        return check_profile_name(text)

    while True:
        profile = asker.ask("Profile name", suggestion, check)
        if profile not in in_use or asker.yes(
                f"Profile '{profile}' exists in {file.path}; replace its settings?"):
            return profile


def wizard(args: argparse.Namespace, asker: Asker) -> int:
    from shellsso.awsconfig.edit import (
        ConfigFile,
        Document,
        profile_header,
        session_header,
    )
    from shellsso.awsconfig.model import SsoTarget, load_config, parse_scopes

    file = ConfigFile()
    # a config that does not parse, or that must not be written, is refused first
    existed = file.read()[1] is not None
    name = _choose_session(asker, getattr(args, "sso_session", None))
    start_url, region, scopes, known = _session_values(asker, name)
    target = SsoTarget(profile="", session_name=name, start_url=start_url, region=region,
                       scopes=parse_scopes(scopes) or None, account_id=None, role_name=None)
    access_token = _token(target, start_url, args)

    from shellsso.sso.portal import Portal

    portal = Portal(target, access_token)
    print("Listing the accounts...")
    accounts = portal.accounts()
    if not accounts:
        raise ShellssoError(f"SSO session '{name}' reaches no accounts; nothing was written")
    heading = f"{len(accounts)} accounts:"
    print(heading)
    account = pick(asker, accounts, lambda a: f"{a.name}  ({a.account_id}, {a.email})",
                   lambda a: f"{a.name} {a.account_id} {a.email}", "account", heading)
    roles = portal.roles(account.account_id)
    if not roles:
        raise ShellssoError(f"no roles in account {account.name} ({account.account_id}) for "
                            "you; nothing was written")
    heading = f"{len(roles)} roles in {account.name}:"
    if len(roles) > 1:
        print(heading)
    role = pick(asker, roles, str, str, "role", heading)

    profile = _profile_name(asker, file, name, account.account_id, account.name, role)
    current = load_config().profiles.get(profile) or {}
    client_region = asker.ask("Default client region", str(current.get("region") or region),
                              region_check())
    output = asker.ask("Default output format", str(current.get("output") or "json"),
                       lambda a: None if a in OUTPUTS else f"one of {', '.join(OUTPUTS)}")

    session_keys = {"sso_start_url": start_url, "sso_region": region}
    if scopes:
        session_keys["sso_registration_scopes"] = scopes
    profile_keys = {"sso_session": name, "sso_account_id": account.account_id,
                    "sso_role_name": role, "region": client_region, "output": output}

    def edit(doc: Document) -> None:
        found = doc.find_session(name)
        if not known or found is None:
            doc.set_keys(found[0] if found else session_header(name), session_keys)
        section = doc.find_profile(profile)
        header = section[0] if section else profile_header(profile)
        # A replaced legacy profile: the session now carries the start URL and region
        # (botocore refuses a profile whose copies disagree with its session's).
        doc.remove_keys(header, ["sso_start_url", "sso_region"])
        doc.set_keys(header, profile_keys)

    _, written = file.update(edit)
    if written:
        print(f"Wrote profile '{profile}' to {file.path}"
              + (f" (previous version: {file.backup})" if existed else "")
              + ".")
    else:
        print(f"Profile '{profile}' in {file.path} already says all this; nothing changed.")
    import shlex

    word = shlex.quote(profile)
    print(f"Use it: awsuse {word}    or: aws sts get-caller-identity --profile {word}")
    return ExitStatus.OK


def run(args: argparse.Namespace) -> int:
    """`shellsso configure [--sso-session S]`."""
    try:
        return wizard(args, Asker())
    except (KeyboardInterrupt, Cancelled):
        from shellsso.core import paths
        sys.stdout.write("\n")
        sys.stdout.flush()
        sys.stderr.write(f"shellsso: configure cancelled; {paths.config_file()} is unchanged\n")
        sys.stderr.flush()
        return ExitStatus.INTERRUPTED
