"""Where a team's fragment comes from: a file, an `https://` URL, or `git+URL#PATH`.

- A file path: read as it is (a regular file, at most fragment.MAX_BYTES).
  It is remembered as an absolute path, so `sync` works from any folder.
- `https://` only: a plain `http://` answer could be changed by anyone on the
  way, and a redirect to one is refused too. Certificates are checked as
  Python's ssl module checks them (`SSL_CERT_FILE` and `SSL_CERT_DIR` are
  honoured); the timeout is SHELLSSO_HTTP_TIMEOUT's.
- `git+URL#PATH`: the file PATH at the remote's HEAD, fetched with the `git`
  program (your credential helpers and ssh keys work) into a bare, shallow,
  partial repository in shellsso's cache (`~/.cache/shellsso/team/`): the
  commit, its trees and PATH's content, not every file of a big repository.
  git runs without a shell,
  without prompting (`GIT_TERMINAL_PROMPT=0`), with `--` before the URL, and
  with only the `https`, `ssh` and `file` transports allowed
  (`GIT_ALLOW_PROTOCOL`): never `ext::` (runs a command), `fd::`, nor the
  unauthenticated `git://` and `http://`.

A source holding a password (`https://user:secret@host/...`), or over https any
user part (`https://TOKEN@host/...`), is refused: the source is remembered in the
config in clear. A source is one line of
printable text, so that it cannot break out of the comment it is kept in.
"""

from __future__ import annotations

import os
import re

from shellsso.core.errors import ShellssoError
from shellsso.core.safety import visible
from shellsso.team.fragment import MAX_BYTES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

GIT_PROTOCOLS = "https:ssh:file"
PARTIAL_CLONE = (("core.repositoryformatversion", "1"), ("extensions.partialClone", "origin"),
                 ("remote.origin.promisor", "true"),
                 ("remote.origin.partialclonefilter", "blob:none"))
"""The cached repository's settings, the remote's URL last (its presence: set up whole)."""


class Source:
    """A parsed SOURCE: `kind` is "file", "https" or "git"; `text` what the config keeps."""

    def __init__(self, kind: str, text: str, location: str, path: str = "") -> None:
        self.kind = kind
        self.text = text  # as remembered in the block's `# source:` line
        self.location = location  # the file, the URL, or the repository's URL
        self.path = path  # git: the file inside the repository

    def default_name(self) -> str:
        """The source's file name without its extension."""
        tail = self.path if self.kind == "git" else self.location.split("?")[0].split("#")[0]
        base = tail.rstrip("/").rsplit("/", 1)[-1]
        return base.split(".", 1)[0] if not base.startswith(".") else base[1:].split(".", 1)[0]


def parse_source(text: str) -> Source:
    """The SOURCE a user typed (or a block remembers), checked; a usage error otherwise."""
    from shellsso.core.errors import ExitStatus

    def usage(why: str) -> ShellssoError:
        return ShellssoError(f"SOURCE {visible(text)!r}: {why}", ExitStatus.USAGE)

    if not text or not text.isprintable() or text != text.strip():
        raise usage("not one line of printable text")
    if text.startswith("git+"):
        url, sep, path = text[4:].partition("#")
        if not sep or not path or not url:
            raise usage("a git source is git+URL#PATH, PATH the file inside the repository")
        if url.startswith("-"):
            raise usage("a URL cannot start with '-' (git would read it as an option)")
        if "::" in url.split("/", 1)[0] or re.match(r"(ext|fd)::", url):
            raise usage("git's transport helpers (ext::, fd::, ...) are not allowed: they can "
                        "run commands")
        scheme = url.split("://", 1)[0].lower() if "://" in url else ""
        if scheme and scheme not in ("https", "ssh", "file"):
            raise usage(f"git transport {scheme}:// is not allowed (https://, ssh://, "
                        "user@host:path, file:// or a path)")
        _no_password(url, usage)
        if path.startswith("/") or ".." in path.split("/"):
            raise usage("PATH is a file inside the repository (relative, no '..')")
        if not scheme and ":" not in url.split("/", 1)[0]:
            url = os.path.abspath(os.path.expanduser(url))  # a local repository, by path
        return Source("git", f"git+{url}#{path}", url, path)
    lower = text.lower()
    if lower.startswith("https://"):
        _no_password(text, usage)
        return Source("https", text, text)
    if lower.startswith("http://"):
        raise usage("http:// is refused: anyone on the way could change the fragment; use "
                    "https://")
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", text):
        raise usage("a source is a file path, an https:// URL or git+URL#PATH")
    path = os.path.abspath(os.path.expanduser(text))
    return Source("file", path, path)


def _no_password(url: str, usage: Any) -> None:
    """Refuse a password in the URL, and over https any user part at all: there it is a
    token (`https://TOKEN@host/...`, as forges hand them out). ssh's user (`git@`) is a
    name, not a secret."""
    scheme, sep, rest = url.partition("://")
    netloc = rest.split("/", 1)[0] if sep else ""
    if "@" not in netloc:
        return
    user = netloc.rsplit("@", 1)[0]
    if ":" in user or scheme.lower() == "https":
        raise usage("the URL holds a password or token, which would be kept in the config in "
                    "clear (and shown to other users in git's command line); use a git "
                    "credential helper or an ssh key")


def fetch(source: Source) -> str:
    """The fragment's text (UTF-8); ShellssoError when it cannot be had.

    A file is read as the config is (awsconfig.ini.read_text: a regular file,
    capped); fragment.parse then holds it to fragment.MAX_BYTES.
    """
    if source.kind == "file":
        from shellsso.awsconfig.ini import read_text

        text = read_text(source.location)
        if text is None:
            raise ShellssoError(f"cannot read {source.location}: no such file")
        return text
    data = _read_https(source.location) if source.kind == "https" else _read_git(source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ShellssoError(f"{source.text}: not UTF-8 text (AWS tools read the config as "
                            "UTF-8); nothing was written") from None


def _too_big(source: str) -> ShellssoError:
    return ShellssoError(f"{source}: larger than {MAX_BYTES >> 10} KB, which no team's config "
                         "is; nothing was written")


def _read_https(url: str) -> bytes:
    """The body, within core/timeouts.answer_deadline in all (20 s by default).

    The socket's timeout bounds each read, not the download: a server that
    sends a byte every few seconds (headers or body) would keep `team` busy
    for days. The download runs in a daemon thread that is left behind at
    the deadline (the command ends soon after).
    """
    import threading

    from shellsso.core.timeouts import answer_deadline, http_timeout

    timeout = http_timeout()
    deadline = answer_deadline()
    outcome: List[Any] = []

    def download() -> None:
        try:
            outcome.append(_download(url, timeout))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            outcome.append(exc)

    worker = threading.Thread(target=download, name="team-https", daemon=True)
    worker.start()
    worker.join(deadline)
    if not outcome:
        raise ShellssoError(f"cannot fetch {url}: the server took more than {deadline:g} s "
                            "(4 x SHELLSSO_HTTP_TIMEOUT); nothing was written")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    data: bytes = outcome[0]
    return data


def _download(url: str, timeout: float) -> bytes:
    import http.client
    import ssl
    import urllib.error
    import urllib.request

    class HttpsOnly(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                             newurl: str) -> Any:
            if not newurl.lower().startswith("https://"):
                raise ShellssoError(f"{url}: redirected to a URL that is not https://; "
                                    "refused, nothing was written")
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=ssl.create_default_context()), HttpsOnly())
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "shellsso-team"})
        with opener.open(request, timeout=timeout) as response:
            data: bytes = response.read(MAX_BYTES + 1)
            length = response.headers.get("Content-Length", "")
    except urllib.error.HTTPError as exc:
        raise ShellssoError(f"{url}: the server answered {exc.code} {visible(exc.reason)}; "
                            "nothing was written") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        why = reason.strerror if isinstance(reason, OSError) and reason.strerror else str(reason)
        raise ShellssoError(f"cannot fetch {url}: {visible(why)}; nothing was written") from None
    except http.client.HTTPException as exc:  # a status line, header or body not HTTP's
        raise ShellssoError(f"cannot fetch {url}: the server's answer is not valid HTTP "
                            f"({type(exc).__name__}); nothing was written") from None
    except (OSError, ValueError) as exc:  # timeouts, resets, a bad URL
        raise ShellssoError(f"cannot fetch {url}: {visible(str(exc) or type(exc).__name__)}; "
                            "nothing was written") from None
    if len(data) > MAX_BYTES:
        raise _too_big(url)
    if length.isdigit() and len(data) < int(length):
        # A connection dropped half-way: the start of a fragment can be a valid fragment
        # that lacks profiles (sync would remove them) or ends inside a role's name.
        raise ShellssoError(f"cannot fetch {url}: the answer was cut short ({len(data)} of "
                            f"{int(length)} bytes); nothing was written")
    return data


# --- git -------------------------------------------------------------------------------------


def git_environment() -> Dict[str, str]:
    env = dict(os.environ)
    env.update({
        "GIT_TERMINAL_PROMPT": "0",  # no question on the terminal: an error instead
        "GIT_ALLOW_PROTOCOL": GIT_PROTOCOLS,
        "GIT_PROTOCOL_FROM_USER": "0",
        "GCM_INTERACTIVE": "never",
        "LC_ALL": "C",
    })
    return env


def _git(argv: List[str], what: str, timeout: float) -> bytes:
    """git's stdout; ShellssoError when it fails or outlives `timeout`.

    git runs in a process group of its own with its helpers (ssh,
    git-remote-https, index-pack), so that a timeout or a Ctrl-C stops them
    all: SIGTERM first, so that git removes its lock and temp files.
    """
    import subprocess

    try:
        process = subprocess.Popen(["git", "-c", "protocol.ext.allow=never",
                                    "-c", "protocol.fd.allow=never", *argv],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=git_environment(),
                                   start_new_session=True)
    except FileNotFoundError:
        raise ShellssoError("git sources need the git program, which is not on PATH") from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process)
        raise ShellssoError(f"{what}: git took more than {timeout:.0f} s; nothing was "
                            "written") from None
    except BaseException:
        _stop(process)
        raise
    if process.returncode != 0:
        raise ShellssoError(f"{what}: {_cause(stderr, process.returncode)}; nothing was "
                            "written")
    return bytes(stdout)


def _stop(process: Any) -> None:
    """Stop git's process group: SIGTERM, then SIGKILL to what is left after 2 s."""
    import signal
    import subprocess

    for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except OSError:
            break  # the group is gone
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def _cause(stderr: bytes, status: int) -> str:
    """The line of git's stderr that says what went wrong: its first, warnings and hints
    aside. git ends with advice ("Please make sure you have the correct access rights /
    and the repository exists."), which names no cause."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    said = [line for line in lines if line and not line.lower().startswith(("warning:", "hint:"))]
    return visible(said[0]) if said else f"git exited {status}"


def _cache_repository(url: str) -> Tuple[str, str]:
    """(bare repository folder, lock name) in shellsso's cache, one per URL."""
    from shellsso.core.cache_folder import check_own_cache
    from shellsso.core.fast_stdlib import sha1_hex

    digest = sha1_hex(url.encode("utf-8"))[:16]
    tail = re.sub(r"[^A-Za-z0-9._-]+", "-", url.rstrip("/").rsplit("/", 1)[-1])[-40:].strip(".-")
    folder = check_own_cache("team", create=True)
    assert folder is not None
    return os.path.join(folder, f"{tail or 'repo'}-{digest}"), f"team-{digest}"


def _afresh_if_left_broken(repository: str, what: str) -> None:
    """Remove a cached copy that a killed git left half-made or holding its lock files.

    git leaves `shallow.lock` (and ref locks) behind when it is killed, and
    then refuses every later fetch ("remove the file manually to continue").
    No fetch of ours is running in it (its lock is held), and the copy is
    only a cache: the next fetch starts it again.
    """
    import shutil

    if not os.path.lexists(repository):
        return
    whole = all(os.path.exists(os.path.join(repository, part))
                for part in ("HEAD", "config", "objects", "refs"))
    if whole:  # set up as a partial clone to the end (a copy made before was not one)
        with open(os.path.join(repository, "config"), "rb") as handle:
            whole = b"\turl = " in handle.read(65536)
    if whole:
        names = os.listdir(repository)
        names += [name for _, _, found in os.walk(os.path.join(repository, "refs"))
                  for name in found]
        if not any(name.endswith(".lock") for name in names):
            return
    try:
        shutil.rmtree(repository)
    except OSError as exc:
        raise ShellssoError(f"{what}: cannot start the cached copy {repository} afresh: "
                            f"{exc.strerror or exc}; nothing was written") from None


def _read_git(source: Source) -> bytes:
    from shellsso.core.cache_folder import lock_file
    from shellsso.core.locks import locked
    from shellsso.core.timeouts import http_timeout

    timeout = max(30.0, 12 * http_timeout())
    repository, lock = _cache_repository(source.location)
    what = f"git+{source.location}"
    with locked(lock_file(lock), f"another fetch of {what}", timeout=timeout):
        _afresh_if_left_broken(repository, what)
        if not os.path.isdir(os.path.join(repository, "objects")):
            _git(["init", "--quiet", "--bare", "--", repository], what, timeout)
            # A partial clone: the commit and its trees, and the one file's content asked
            # for when it is read, not every file of the repository.
            for key, value in (*PARTIAL_CLONE, ("remote.origin.url", source.location)):
                _git(["--git-dir", repository, "config", key, value], what, timeout)
        _git(["--git-dir", repository, "fetch", "--quiet", "--no-tags", "--depth", "1",
              "--filter=blob:none", "--no-write-fetch-head", "--", "origin",
              "+HEAD:refs/shellsso/fetched"], what, timeout)
        listed = _git(["--git-dir", repository, "ls-tree", "-l", "-z", "refs/shellsso/fetched",
                       "--", source.path], what, timeout).split(b"\0")[0]
        fields = listed.split(b"\t", 1)[0].split()
        # A link is a blob holding its target's path, a submodule a commit: neither is the
        # file a member who checks the repository out reads.
        odd = {b"120000": "a symbolic link", b"160000": "a submodule"}.get(
            fields[0] if fields else b"")
        if odd is not None:
            raise ShellssoError(f"{source.text}: {source.path} is {odd} in the repository, "
                                "not a file; nothing was written")
        if len(fields) != 4 or fields[1] != b"blob":
            raise ShellssoError(f"{source.text}: the repository has no file {source.path}; "
                                "nothing was written")
        if int(fields[3]) > MAX_BYTES:
            raise _too_big(source.text)
        return _git(["--git-dir", repository, "cat-file", "blob", fields[2].decode("ascii")],
                    what, timeout)


def describe(source: Optional[Source]) -> str:
    return source.text if source is not None else "-"
