"""Browser OAuth logins shared by the subscription providers (RFC 6749, 7636 PKCE, 8252 loopback).

A login prints the authorize URL (and opens a browser where one can be shown), then waits for
whichever comes first: the browser's redirect to the loopback callback server (callback.py), or
the redirect URL (or the bare code) pasted on stdin. The whole wait has a deadline. Nothing is
written here: the caller returns the record and providers/_cli/login.py saves it under the lock.
"""
import base64
import hashlib
import os
import secrets
import sys
import time

from .._core.errors import LoginFailed, NetworkError
from .._core.mask import excerpt
from .._core.text import has_control_chars
from .callback import CallbackServer, first_value, same_secret

LOGIN_TIMEOUT = 600      # seconds for the whole login, unless ATOMIC_LOGIN_TIMEOUT says otherwise
MAX_PASTE = 16384        # bytes of one pasted line; a redirect URL is far shorter


def pkce():
    """(verifier, challenge): 32 random bytes base64url without padding, and its S256 challenge."""
    verifier = _b64url(secrets.token_bytes(32))
    challenge = _b64url(hashlib.sha256(verifier.encode("ascii")).digest())
    return verifier, challenge


def new_state():
    """A fresh `state` (256 bits), independent of the PKCE verifier."""
    return secrets.token_urlsafe(32)


def _b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def browser_login(ctx, service, make_url, port, path, ssh_hint=None, host="localhost", note=None):
    """(code, verifier, state) of a PKCE sign-in in the browser; make_url(challenge, state) is the
    provider's authorize address, and the callback comes to http://HOST:port/path (host: as the
    registered redirect URI names it; the server listens on loopback either way) or is pasted.
    The whole wait ends after ATOMIC_LOGIN_TIMEOUT seconds (default 600). note: what people
    should know before they sign in (a subscription's billing), said before the address."""
    deadline = time.monotonic() + ctx.seconds("ATOMIC_LOGIN_TIMEOUT", LOGIN_TIMEOUT)
    if note:
        ctx.say(note)
    verifier, challenge = pkce()
    state = new_state()
    code = wait_for_code(ctx, service, make_url(challenge, state), port, path, state, deadline, ssh_hint, host)
    return code, verifier, state


# The browser ---------------------------------------------------------------------------------

def browser_reachable(ctx):
    """True where opening a graphical browser can work: not over SSH, not on a Unix without a display."""
    if ctx.env("SSH_CONNECTION") or ctx.env("SSH_TTY"):
        return False
    if sys.platform in ("darwin", "win32", "cygwin"):
        return True
    return bool(ctx.env("DISPLAY") or ctx.env("WAYLAND_DISPLAY"))


def open_browser(url, ctx):
    """Ask the desktop to open url, without a shell and without a console browser; True if started."""
    import subprocess

    if sys.platform == "win32":
        try:
            os.startfile(url)  # ShellExecute with the URL as a file name, no cmd.exe parsing
            return True
        except OSError:
            return False
    command = ["open", url] if sys.platform == "darwin" else ["xdg-open", url]
    try:
        subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, close_fds=True, start_new_session=True, env=dict(ctx.environ))
        return True
    except OSError:
        return False


# The wait: callback server raced with a paste prompt -----------------------------------------

def wait_for_code(ctx, service, authorize_url, port, path, state, deadline, ssh_hint=None, host="localhost"):
    """The authorization code from the callback on HOST:port/path or from a paste on stdin.

    `state` is checked on both paths; a callback with a wrong or missing state is answered 400
    and the wait goes on. LoginFailed when the provider reports an error, a pasted state does not
    match, or the deadline passes.
    """
    import queue
    import threading

    events, stop = queue.Queue(), threading.Event()
    server = None
    try:
        server = CallbackServer(port, path, state, service, events)
    except OSError as exc:
        ctx.say("Port %d on 127.0.0.1 is not available (%s), so the browser cannot hand the sign-in back "
                "to atomic directly; paste the address instead, as described below." % (port, exc.strerror or exc))
    try:
        ctx.say("Open this address in a browser to sign in to %s:\n\n  %s\n" % (service, authorize_url))
        if browser_reachable(ctx) and open_browser(authorize_url, ctx):
            ctx.say("(A browser window should have opened.)")
        elif ssh_hint and (ctx.env("SSH_CONNECTION") or ctx.env("SSH_TTY")):
            ctx.say(ssh_hint)
        ctx.say("After you approve, the browser goes to http://%s:%d%s. If that page does not load "
                "(for example on another machine), copy its full address from the address bar and paste it "
                "here, then press Enter." % (host, port, path))
        _start_paste_reader(ctx.stdin, events, stop)
        return _first_answer(ctx, events, state, deadline, server, service, port, "http://%s:%d%s" % (host, port, path))
    finally:
        stop.set()
        if server is not None:
            server.close()


def _first_answer(ctx, events, state, deadline, server, service, port, callback):
    """The code from whichever comes first; on a terminal, a paste that is not the right address
    is said and asked for again, as the menu does (elsewhere it ends the login: nobody to ask)."""
    import queue

    from .._core.prompts import interactive

    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise LoginFailed("timed out: no sign-in for %s arrived within the login time limit "
                              "(ATOMIC_LOGIN_TIMEOUT); run the login again" % service)
        try:
            kind, value = events.get(timeout=min(remaining, 0.25))
        except queue.Empty:
            continue
        if kind == "code":
            return value
        if kind == "denied":
            raise LoginFailed("%s did not grant access (%s); run the login again to retry" % (service, value))
        if kind == "paste":
            try:
                code = parse_pasted(value, state, service)
            except LoginFailed as exc:
                if not (getattr(exc, "again", False) and interactive(ctx)):
                    raise
                ctx.say("atomic: %s.\nPaste the address again (or approve in the browser); Ctrl-C stops." % exc.message)
                continue
            if code is not None:
                return code
        elif kind == "eof" and server is None:
            raise LoginFailed("nothing was pasted (end of input) and port %d was not available for the "
                              "browser's callback; free the port or paste the redirect address" % port)
        elif kind == "eof":
            ctx.say("Nothing can be pasted here (stdin is at its end), so atomic waits for the browser's return to "
                    "%s only, for up to %s (ATOMIC_LOGIN_TIMEOUT); Ctrl-C stops."
                    % (callback, _minutes(deadline - time.monotonic())))


def _minutes(seconds):
    return "%d min" % round(seconds / 60.0) if seconds >= 90 else "%d s" % max(1, round(seconds))


def _paste_again(message):
    """LoginFailed for a paste that is not the address: on a terminal, asked for again."""
    error = LoginFailed(message)
    error.again = True
    return error


def parse_pasted(text, state, service):
    """The code from a pasted redirect URL, `code#state`, query string or bare code; None to ignore.

    A pasted state must match ours, and a pasted URL or query string must carry one: otherwise
    anyone could have a victim paste the redirect of the attacker's own sign-in (login CSRF).
    Only a bare code may come without it. An error in the pasted URL ends the login.
    """
    import urllib.parse

    text = text.strip()
    if not text:
        return None
    params = None
    if "://" in text:
        params = urllib.parse.parse_qs(urllib.parse.urlsplit(text).query)
    elif "code=" in text or "error=" in text:
        params = urllib.parse.parse_qs(text.lstrip("?"))
    if params is not None:
        error = first_value(params, "error")
        if error:
            raise LoginFailed("%s reported an error in the pasted address: %s"
                              % (service, excerpt(" ".join(filter(None, (error, first_value(params, "error_description")))))))
        code, pasted_state = first_value(params, "code"), first_value(params, "state")
        if pasted_state is None:
            raise _paste_again("the pasted address has no state=, so it cannot be told apart from another "
                               "sign-in's; paste the full address the browser was sent to after you approved")
    elif "#" in text:
        code, pasted_state = text.split("#", 1)
    else:
        code, pasted_state = text, None
    if pasted_state is not None and not same_secret(pasted_state, state):
        raise _paste_again("state mismatch: the pasted address belongs to a different sign-in attempt; paste "
                           "the address of this one (or run the login again)")
    if not code or any(ch.isspace() for ch in code) or has_control_chars(code):
        raise _paste_again("the pasted text has no authorization code; paste the full address the browser "
                           "was sent to (it contains code=)")
    return code


def _start_paste_reader(stdin, events, stop):
    """Read pasted lines on a daemon thread until `stop` is set. os.read on the descriptor holds no
    Python-level lock, so a thread still blocked here cannot stall the interpreter's exit; and it
    reads only when a line is there and the login still waits, so once the sign-in is done the
    lines that follow (a chat's next message) are left for whoever reads stdin next."""
    import threading

    try:
        fd = stdin.fileno()
    except (AttributeError, ValueError, OSError):
        fd = None

    def read_lines():
        if stdin is None:  # no stdin at all (pythonw, a closed descriptor): the callback only
            events.put(("eof", None))
            return
        if fd is None:
            for line in iter(stdin.readline, ""):
                events.put(("paste", line))
            events.put(("eof", None))
            return
        pending = b""
        while not stop.is_set():
            try:
                if os.name == "posix":
                    import select

                    ready, _w, _x = select.select([fd], [], [], 0.2)
                    if not ready or stop.is_set():
                        continue
                chunk = os.read(fd, 4096)
            except (OSError, ValueError):
                break
            if not chunk:
                break
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                events.put(("paste", line.decode("utf-8", "replace")))
            if len(pending) > MAX_PASTE:
                pending = b""
        if pending.strip() and not stop.is_set():
            events.put(("paste", pending.decode("utf-8", "replace")))
        events.put(("eof", None))

    threading.Thread(target=read_lines, name="atomic-paste", daemon=True).start()


# Token endpoint ------------------------------------------------------------------------------

def token_request(url, ctx, fields, as_json, refused, what, headers=None, deadline=None):
    """POST `what` (e.g. "the refresh token") to a token endpoint; the JSON object it answers with.

    A refusal (HTTP 400/401 carrying an OAuth `error`) raises `refused` (LoginAgain on refresh,
    LoginFailed on login); anything else that is not a 2xx JSON object is a NetworkError. Every
    secret among `fields` is masked in what the answer says (the HTTP helper finds them by name).
    `deadline`: seconds for the whole request (default: the HTTP helper's).
    """
    from .http import request

    resp = request("POST", url, ctx, headers=headers, json_body=fields if as_json else None,
                   form=None if as_json else fields, deadline=deadline)
    if resp.ok:
        doc = resp.json_or_none(_UNUSABLE)
        if not isinstance(doc, dict):
            error = NetworkError("%s answered the token request with %s: %s; try again later"
                                 % (resp.host, "something that is not JSON" if doc is _UNUSABLE
                                    else "JSON that is not an object", resp.body_excerpt() or "(empty)"))
            error.answer_lost = True  # a 2xx: the server may have rotated the refresh token all the same
            raise error
        return doc
    code = _oauth_error(resp)
    if resp.status in (400, 401) and code in ("invalid_client", "unauthorized_client"):
        # Logging in again with the same client id would be refused the same way.
        raise refused("%s does not accept atomic's client id (HTTP %d: %s); the provider may have changed "
                      "it: update atomic, then try again" % (resp.host, resp.status, resp.error_text()))
    if resp.status in (400, 401) and code:
        raise refused("%s refused %s (HTTP %d: %s)" % (resp.host, what, resp.status, resp.error_text()))
    raise NetworkError("%s answered HTTP %d when sent %s (%s); try again later"
                       % (resp.host, resp.status, what, resp.error_text()))


_UNUSABLE = object()


def _oauth_error(resp):
    """The OAuth `error` of an answer ("invalid_grant"; an object's code or type), or None."""
    doc = resp.json_or_none()
    error = doc.get("error") if isinstance(doc, dict) else None
    if isinstance(error, dict):
        error = error.get("code") or error.get("type") or bool(error)
    return error or None


def token_fields(doc, host, ctx, want_refresh, margin_ms=0):
    """(access, refresh or None, expires in epoch ms as auth.json stores it) from a token answer.

    An answer without an access token raises NetworkError; when it carries a new refresh_token
    all the same, the error keeps it (see keeping()), as the server may have spent the old one.
    """
    refresh = doc.get("refresh_token")
    if not isinstance(refresh, str) or not refresh.strip():
        refresh = None
    elif not token_safe(refresh):
        raise NetworkError("%s sent a refresh_token with spaces or control characters; not storing it; "
                           "try again later" % host)
    access = doc.get("access_token")
    if not isinstance(access, str) or not access.strip():
        raise keeping(NetworkError("%s answered the token request without an access_token; try again later"
                                   % host), refresh)
    if not token_safe(access):
        # It would go into header lines (`atomic key --header`): a line break there adds a header.
        raise keeping(NetworkError("%s sent an access_token with spaces or control characters; not using "
                                   "it; try again later" % host), refresh)
    if want_refresh and refresh is None:
        raise NetworkError("%s answered the token request without a refresh_token; try again later" % host)
    expires_in = doc.get("expires_in")
    if isinstance(expires_in, str):
        try:
            expires_in = float(expires_in)
        except ValueError:
            expires_in = None
    if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)) or not 0 < expires_in < 10 ** 9:
        # A token of unknown lifetime is used for this call only: it was just issued, so it works
        # now, while any guessed lifetime could outlast it and hand out a dead token for that
        # long. Stored as due now, it is refreshed at its next use.
        ctx.warn("%s sent no usable expires_in with the new token; atomic will refresh it at its next use" % host)
        return access, refresh, int(ctx.now() * 1000)
    return access, refresh, int(ctx.now() * 1000 + expires_in * 1000 - margin_ms)


def token_safe(value):
    """A token (not empty) that can travel in a header line, by the rule auth.json's entries are
    read with (keyform.key_problem): what is saved must read back."""
    from .._core.keyform import key_problem

    return bool(value) and key_problem(value) is None


def keeping(error, refresh):
    """error, carrying a rotated refresh token to be saved before it is raised.

    A 2xx token answer we cannot use may still carry a new refresh token, the old one already
    spent: providers/_auth/refresh.py writes `error.keep` into the entry, then raises the error.
    """
    if refresh:
        error.keep = {"refresh": refresh}
    return error
