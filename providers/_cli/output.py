"""What the commands write: lines for people, JSON for scripts, and the few sentences several
commands share."""
import sys


def print_json(data):
    import json
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def write_lines(lines):
    """Lines for people on stdout. Names and ids may come from a models.json (a project's, too) or
    an extension: no control character of theirs reaches the terminal (each becomes one `?`,
    so columns stay aligned)."""
    from providers._core.text import printable
    sys.stdout.write("".join(printable(line) + "\n" for line in lines))


def refuse_no_value(provider, found):
    """A credential that signs each request has nothing to print: say what to use instead (exit 3)."""
    from providers._core.errors import NotLoggedIn

    instead = " or set %s to use a key instead" % provider.env[0] if provider.env else ""
    raise NotLoggedIn("the %s credential (%s) signs each request instead of sending a key, so there is none "
                      "to print; `atomic exec %s -- COMMAND` gives a command these credentials,%s"
                      % (provider.id, found.source, provider.id, instead))


def lasting(found, ctx):
    """`, valid for 59m` for a credential whose expiry is known."""
    if found.expires_at is None:
        return ""
    from providers._core.text import format_duration
    left = found.expires_at / 1000.0 - ctx.now()
    shown = format_duration(left)
    return ", expired" if left <= 0 else ", " + shown if shown == "never expires" else ", valid for " + shown
