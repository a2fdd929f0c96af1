"""The interactive mode (`atomic` on a terminal, `atomic chat`), and `atomic fast`.

A plain line-based loop (input(), with readline's editing and history where it exists; no
curses, so it works over SSH in any terminal). Each message is one request through the client
layer (providers._client: route, send); the files are read again before each turn, so a /login
here or in another terminal is used by the next message. The conversation keeps the text of each
answer (the history the next turn sends), nothing more.
"""
import sys

from .._client import fast
from .._core.errors import AtomicError, NetworkError, NotLoggedIn, UsageError

LIST_LIMIT = 40  # models shown by /model before asking for a search word

HELP = """\
  /model [TEXT]     choose a model: a numbered list of those you have a credential for (TEXT searches)
  /models [TEXT]    list those models
%s  /login [PROVIDER] sign in, then talk to that provider's everyday model
  /logout PROVIDER  remove a stored credential
  /profile [NAME]   show which login each message uses, or use the login NAME from now on (default: the unnamed one)
  /help             this list
  /quit             leave (or Ctrl-D); Ctrl-C stops an answer and keeps the conversation"""
FAST_HELP = ("  /fast [on|off] [chat|workflow]  Codex fast mode, saved in settings.json for every session; bare "
             "/fast toggles chat\n")


class _Quit(Exception):
    pass


def chat(args, ctx):
    """Run a conversation until /quit or Ctrl-D."""
    from .._core.prompts import interactive

    if not interactive(ctx):
        raise UsageError("atomic chat needs a terminal; for a script, use `atomic ask` (it reads the prompt "
                         "from stdin)")
    session = Session(ctx, args.system, args.max_tokens)
    session.start(args.model)
    return session.run()


class Session:
    def __init__(self, ctx, system, max_tokens=None):
        from .._client.exchange import new_session_id

        self.ctx, self.system, self.max_tokens = ctx, system, max_tokens
        self.route = None
        self.messages = []  # ir.Message: the conversation so far
        self.session_id = new_session_id()

    @property
    def provider(self):
        return self.route.provider if self.route else None

    @property
    def model(self):
        return self.route.model if self.route else None

    def start(self, target):
        from .._client.route import route

        _use_readline()
        try:
            self.route = route(self.ctx, target)
        except (UsageError, NotLoggedIn, NetworkError) as exc:
            if target:
                raise
            if isinstance(exc, NotLoggedIn):
                self.ctx.say("%s.\nType /login to sign in." % exc.message.split(":")[0].capitalize())
            else:  # a credential there is, but no model to talk to yet (a server that is not running)
                _report(exc)
                self.ctx.say("Type /model to choose a model, or /login to sign in to another provider.")
        self.ctx.say("Talking to %s. /help lists the commands; Ctrl-D leaves." % self.label() if self.model
                     else "/help lists the commands; Ctrl-D leaves.")

    def label(self):
        if self.model is None:
            return "(no model)"
        on = fast.eligible(self.model) and self._fast_state()["chat"]
        return "%s/%s%s" % (self.provider.id, self.model["id"], " fast" if on else "")

    def _fast_state(self):
        try:
            return fast.state(self.ctx)
        except AtomicError as exc:
            self.ctx.say("atomic: " + exc.message)
            return fast.all_off()

    def run(self):
        while True:
            try:
                line = input(self.label() + "> ")
            except EOFError:
                sys.stdout.write("\n")
                return 0
            except KeyboardInterrupt:
                sys.stdout.write("\n")
                continue
            line = line.strip()
            if not line:
                continue
            try:
                if line.startswith("/"):
                    self.command(line)
                else:
                    self.turn(line)
            except _Quit:
                return 0
            except AtomicError as exc:
                _report(exc)
            except KeyboardInterrupt:
                sys.stdout.write("\n")

    # A turn ------------------------------------------------------------------------------

    def turn(self, text):
        from .._client.answer import Answer
        from .._client.exchange import send
        from .._wire import ir
        from .ask import answer_cap
        from .render import Printer, is_fast, summary

        if self.model is None:
            self.ctx.say("No model yet: /login to sign in, or /model to choose one.")
            return
        self.ctx.forget_files()  # what another atomic or the Atomic agent wrote meanwhile
        asked_fast = fast.applies(self.ctx, self.model, "chat")
        self.messages.append(ir.Message("user", [ir.Text(text)]))
        printer = Printer(sys.stdout, tty=True)
        answer = Answer(on_text=printer.text, on_reasoning=printer.reasoning, on_flush=printer.flush)
        request = ir.Request(self.system, list(self.messages), fast=asked_fast, session_id=self.session_id,
                             options=ir.Options(max_tokens=answer_cap(self.max_tokens, self.ctx)))
        try:
            send(self.ctx, self.route, request, answer)
        except KeyboardInterrupt:
            printer.finish()
            self._keep(answer)
            self.ctx.say("(stopped)")
            return
        except AtomicError as exc:
            printer.finish()
            self._keep(answer)
            _report(exc)
            return
        printer.finish()
        self._keep(answer)
        self.ctx.say(summary(self.provider, self.model, answer, is_fast(answer, asked_fast, self.route.api)))

    def _keep(self, answer):
        """The answer's text joins the conversation, even a part of one; a turn with none is
        forgotten. Only text: the next turn may go to a model whose API carries nothing else."""
        from .._wire import ir

        if answer.full_text:
            self.messages.append(ir.Message("assistant", [ir.Text(answer.full_text)]))
        else:
            self.messages.pop()

    # Slash commands ----------------------------------------------------------------------

    def command(self, line):
        name, _sp, rest = line[1:].partition(" ")
        words = rest.split()
        handler = {
            "quit": self._quit, "exit": self._quit, "q": self._quit, "help": self._help,
            "model": self._model, "models": self._models, "fast": self._fast,
            "login": self._login, "logout": self._logout, "profile": self._profile,
        }.get(name.lower())
        if handler is None:
            self.ctx.say("Unknown command /%s; /help lists them." % name)
            return
        handler(words)

    def _quit(self, words):
        raise _Quit()

    def _help(self, words):
        self.ctx.say(HELP % (FAST_HELP if self.model and fast.eligible(self.model) else ""))

    def _candidates(self, words):
        from .._models.catalog import load_catalog, matches
        from .._models.choose import usable_models

        self.ctx.forget_files()
        models = usable_models(self.ctx, load_catalog(self.ctx))
        search = " ".join(words)
        return [m for m in models if matches(m, search, False, False)], search

    def _models(self, words):
        from .._models.table import output_width, table_lines

        models, search = self._candidates(words)
        if not models:
            self.ctx.say("No models%s; /login to add a provider." % (" match %r" % search if search else ""))
            return
        sys.stdout.write("".join(line + "\n" for line in table_lines(models, output_width(self.ctx, sys.stdout))))

    def _model(self, words):
        from .._client.route import route
        from .._core.prompts import ask

        if len(words) == 1 and "/" in words[0]:
            self._switch(route(self.ctx, words[0]))
            return
        models, search = self._candidates(words)
        if not models:
            self.ctx.say("No models%s; /login to add a provider." % (" match %r" % search if search else ""))
            return
        shown = models[:LIST_LIMIT]
        lines = ["%3d) %s/%s%s" % (n, m["provider"], m["id"], "  (current)" if m is self.model or (
            self.model and m["provider"] == self.model["provider"] and m["id"] == self.model["id"]) else "")
            for n, m in enumerate(shown, 1)]
        if len(models) > len(shown):
            lines.append("     … %d more: /model TEXT narrows the list" % (len(models) - len(shown)))
        try:
            answer = ask(self.ctx, "\n".join(lines) + "\nModel number (Enter keeps %s): " % self.label())
        except AtomicError:  # end of input at the question
            return
        if not answer:
            return
        if answer.isdigit() and 1 <= int(answer) <= len(shown):
            model = shown[int(answer) - 1]
            from .. import find
            from .._client.route import for_model
            self._switch(for_model(self.ctx, find(model["provider"], self.ctx), model))
        elif "/" in answer and not answer.startswith("/"):  # PROVIDER/MODEL; a /command is not one
            self._switch(route(self.ctx, answer))
        else:
            self.ctx.say("%r is not on the list; nothing changed." % answer)

    def _switch(self, target):
        self.route = target
        self.ctx.say("Now talking to %s." % self.label())

    def _fast(self, words):
        if self.model is None or not fast.eligible(self.model):
            self.ctx.say("Codex fast mode is for OpenAI and ChatGPT (Codex) models; %s is not one."
                         % ("the current model" if self.model is None else self.label()))
            return
        self.ctx.say(set_fast_mode(self.ctx, words))

    def _login(self, words):
        """Sign in, then talk to that provider's everyday model (what people expect of /login groq)."""
        from .login import sign_in
        from .._client.route import route

        args = _command_line("login", words)
        if args is None:
            return
        provider = sign_in(args, self.ctx)
        self.ctx.forget_files()
        try:
            self._switch(route(self.ctx, provider.id))
        except AtomicError as exc:
            _report(exc)
            self.ctx.say("Still talking to %s; /model chooses another." % self.label() if self.model
                         else "/model chooses a model.")

    def _profile(self, words):
        """/profile: which login the next message uses and why; /profile NAME: that login from now on,
        in this conversation only (nothing is stored, other terminals are not affected)."""
        from .._auth.profiles import DEFAULT, check_name, chosen

        if len(words) > 1:
            self.ctx.say("usage: /profile [NAME]")
            return
        if words:
            self.ctx.profile = check_name(words[0], "/profile")
        self.ctx.forget_files()
        if self.provider is None:
            self.ctx.say("Profile: %s (no model yet)." % (self.ctx.profile or "as ATOMIC_PROFILE and the folder rules choose"))
            return
        choice = chosen(self.provider, self.ctx, self.ctx.profile)
        if choice is None or choice.name == DEFAULT:
            self.ctx.say("%s: the default login%s." % (self.provider.id, " (%s)" % choice.why if choice else ""))
        else:
            self.ctx.say("%s: the login named %s (%s)." % (self.provider.id, choice.name, choice.why))

    def _logout(self, words):
        from .login import logout

        if len(words) != 1:
            self.ctx.say("Name the provider: /logout PROVIDER")
            return
        args = _command_line("logout", words)
        if args is not None:
            logout(args, self.ctx)


def _command_line(command, words):
    """/login and /logout take what `atomic login` / `atomic logout` take, parsed by the same
    parser (a usage error is the caller's to show); None when --help printed its text."""
    from .parser import parse_args

    argv = [command] + list(words)
    try:
        return parse_args(argv)
    except SystemExit:  # --help: the text is shown, the conversation goes on
        return None


def set_fast_mode(ctx, words):
    """/fast [on|off] [chat|workflow]: set it, or toggle chat when no state is given; the new state."""
    state = [w for w in words if w in ("on", "off")]
    scope = [w for w in words if w in fast.SCOPES]
    other = [w for w in words if w not in ("on", "off") and w not in fast.SCOPES]
    if other or len(state) > 1 or len(scope) > 1:
        raise UsageError("usage: /fast [on|off] [chat|workflow]")
    scope = scope[0] if scope else "chat"
    on = (state[0] == "on") if state else not fast.stored(ctx)[scope]
    return _store(ctx, scope, on)


def _store(ctx, scope, on):
    """Store the flag; say where (the global settings.json: every session's), when the environment
    or a project's settings win over it here, and when the other scope stays on."""
    from .._config.settings import global_path

    flags = fast.store(ctx, scope, on)
    ctx.say("Saved in %s: every new atomic and Atomic agent session uses it." % global_path(ctx))
    if fast.state(ctx)[scope] != on:
        ctx.warn("%s is %s here all the same: %s overrides it" % (
            scope, "on" if not on else "off",
            fast.ENV if scope in fast.overrides(ctx) else "the project's .atomic/settings.json"))
    other = [name for name in fast.SCOPES if name != scope][0]
    if not on and flags[other]:
        ctx.say("Fast mode for %s stays on (%s); `atomic fast off --%s` turns it off."
                % ("workflow stages" if other == "workflow" else "chat",
                   "every stage on the priority tier" if other == "workflow" else "/fast in chat", other))
    return fast.describe(ctx)


def fast_command(args, ctx):
    """`atomic fast [on|off] [--chat | --workflow]`."""
    if args.state is None:
        if args.scope is not None:
            raise UsageError("say on or off: atomic fast on --%s" % args.scope)
        sys.stdout.write(fast.describe(ctx) + "\n")
        return 0
    sys.stdout.write(_store(ctx, args.scope or "chat", args.state == "on") + "\n")
    return 0


def _report(exc):
    """An error inside the conversation, whose fixes are its own commands (/login groq, not
    `atomic login groq`, which would mean leaving it)."""
    import re

    from .._core.mask import mask_text

    message = re.sub(r"`atomic (login|logout)\b", r"`/\1", exc.message)
    print("atomic: " + mask_text(message), file=sys.stderr, flush=True)


def _use_readline():
    """Line editing and history for input(), where the stdlib has readline."""
    try:
        import readline  # noqa: F401  (importing it is what turns it on)
    except ImportError:
        pass
