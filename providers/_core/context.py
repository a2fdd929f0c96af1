"""The world a command runs in, injected so tests and callers can replace any part of it."""
import _thread
import os
import sys
import time

from . import errors

MAX_SECONDS = 86400  # the longest duration setting atomic takes
_UNKNOWN = object()  # pi's folder, not looked for yet (None is an answer: there is none)


class Context:
    """Environment, clock, streams and per-process state for one atomic invocation.

    Everything a command carries is declared here. The file snapshots (auth, models, settings)
    are read on first use and replaced when atomic writes the file; a long-lived process (chat)
    calls forget_files() between turns to see what other programs wrote meanwhile, and a
    process that serves requests in threads gives each its own fork().
    """

    def __init__(self, environ=None, now=None, stdin=None, stderr=None, cli_key=None, cwd=None):
        self.environ = os.environ if environ is None else environ
        self.now = now or time.time
        self.stdin = stdin or sys.stdin
        # With stderr closed, sys.stderr is None and print() would write to stdout, which is data.
        self.stderr = stderr or sys.stderr or open(os.devnull, "w")
        self.cli_key = cli_key        # (value, source) from --api-key / --api-key-file, or None
        self.profile = None           # --profile: the named login this command uses (_auth/profiles.py)
        self.warnings = []            # every warning given, for `atomic status`
        self.refresh_deadline = None  # seconds for a refresh request; _auth/refresh.py shortens it while the token works
        self.auth = None              # store.AuthFile: auth.json as this command last read or wrote it
        self.lower_auth = None        # store.AuthFile of ~/.pi/agent/auth.json (or the BadFile it raised); _auth/store.py
        self.linked = None            # linked-logins.json as read (logins of other tools); _auth/linked.py
        self.models_files = None      # models files as read (or the BadFile they raised); see _config/models_files.py
        self.settings = None          # settings.json merged with the project's; see _config/settings.py
        self.project = None           # what the trust gate found in the start folder; _config/project.py
        self._cwd = cwd
        self._warned = set()
        self._agent_dir = None
        self._pi_agent_dir = _UNKNOWN
        # What every fork shares: the discovered extensions, the !command results, their lock, and
        # what was made of the user's files (stamps.Memo, made by the first fork).
        self._shared = {"extensions": None, "commands": None, "lock": _thread.allocate_lock(), "memo": None}

    @property
    def command_results(self):
        """!command -> its output (flight.CommandResults: a command runs once per process, however
        many threads ask), shared by every fork; made when a command first runs."""
        shared = self._shared
        if shared["commands"] is None:
            from .flight import CommandResults

            with shared["lock"]:
                if shared["commands"] is None:
                    shared["commands"] = CommandResults()
        return shared["commands"]

    @property
    def memo(self):
        """stamps.Memo: what was made of the user's files (the models files merged, the catalogue),
        kept while the files stay the same; shared by every fork. None in a context that was never
        forked (a command reads each file once anyway)."""
        return self._shared["memo"]

    @property
    def extensions(self):
        """{id: Extension} as discovered (_registry/extensions.py), shared by every fork; None until then."""
        return self._shared["extensions"]

    @extensions.setter
    def extensions(self, found):
        self._shared["extensions"] = found

    def fork(self):
        """A context for one request of a long-lived process (a gateway's thread): its own file
        snapshots and refresh deadline; the environment, the clock, the streams, the warned-once
        set, the discovered extensions and the !command results shared with this one (the
        results under a lock, each command run once however many threads want it), and the
        Memo of what was made of the files, used again while they stay the same."""
        shared = self._shared
        if shared["memo"] is None:
            from .stamps import Memo

            with shared["lock"]:
                if shared["memo"] is None:
                    shared["memo"] = Memo()
        try:  # found once, here, rather than by every request: the environment does not change
            self.agent_dir, self.pi_agent_dir
        except errors.AtomicError:
            pass  # HOME unusable: each request says so where it needs the folder
        child = object.__new__(Context)
        child.__dict__.update(self.__dict__)
        child.forget_files()
        child.refresh_deadline = None
        return child

    def forget_files(self):
        """Read auth.json, models files and settings again at their next use."""
        self.auth = self.lower_auth = self.linked = self.models_files = self.settings = self.project = None

    def forget_commands(self):
        """Run !commands again at their next use (a chat session whose key was refused)."""
        if self._shared["commands"] is not None:
            self._shared["commands"].forget()

    def warn(self, message):
        """Print a warning to stderr once per process."""
        if self._first(message):
            from .mask import shown

            text = shown(message)      # a message may quote what a server or an extension said
            self.warnings.append(text)  # `atomic status --json` puts these on stdout
            print("atomic: warning: " + text, file=self.stderr)

    def notice(self, message):
        """Print a line about what atomic leaves out to stderr, once per process, as `atomic: ...`
        (no "warning:": nothing is wrong, a folder is just not trusted yet)."""
        if self._first(message):
            from .text import printable

            self.warnings.append(message)
            print("atomic: " + printable(message), file=self.stderr)

    def _first(self, message):
        """Whether message is said now for the first time in this process (the forks of a gateway's
        threads share the set: one line, however many threads meet it)."""
        with self._shared["lock"]:
            first = message not in self._warned
            self._warned.add(message)
        return first

    def say(self, message):
        """Tell the person something (stderr; stdout is for data), at once: a login may wait next.
        Names in it may come from files: their control characters are shown as `?`."""
        from .text import printable

        print(printable(message, lines=True), file=self.stderr, flush=True)

    def env(self, name):
        """An environment variable, with empty or blank values counted as unset. An ATOMIC_ setting
        may also be given by its PI_ name, as the Atomic agent accepts; the ATOMIC_ name wins."""
        value = self.environ.get(setting_name(self.environ, name), "")
        return value if value.strip() else None

    def seconds(self, name, default):
        """A duration setting from the environment: a number of seconds above 0, at most a day
        (beyond that, timers and thread waits overflow, and no wait of atomic's needs more);
        `default` (None: no limit) when it is unset."""
        raw = self.env(name)
        if raw is None:
            return default
        name = setting_name(self.environ, name)  # the error names the variable that was set
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        if not 0 < value <= MAX_SECONDS:
            raise errors.UsageError("%s=%s: expected a number of seconds greater than 0 and at most %d (a day), "
                                    "e.g. %g; or unset it" % (name, raw.strip()[:40], MAX_SECONDS,
                                                               600 if default is None else default))
        return value

    @property
    def cwd(self):
        """The folder atomic was started in (where a project's .atomic/ is), or None when it has
        been removed meanwhile: then there is no project."""
        if self._cwd:
            return self._cwd
        try:
            return os.getcwd()
        except OSError:
            return None

    @property
    def agent_dir(self):
        if self._agent_dir is None:
            self._agent_dir = find_agent_dir(self.environ)
        return self._agent_dir

    @property
    def agent_dir_base(self):
        """The folder that must already exist for atomic to create the agent directory: the home
        directory for one inside it (~/.atomic/agent), else the agent directory's parent."""
        path = self.agent_dir
        try:
            home = os.path.abspath(_home(self.environ))
        except errors.AtomicError:  # HOME empty or relative, with an absolute ATOMIC_CODING_AGENT_DIR
            home = None
        if home and (path + os.sep).startswith(home.rstrip(os.sep) + os.sep):
            return home
        return os.path.dirname(path)

    @property
    def pi_agent_dir(self):
        """pi's ~/.pi/agent, read below the agent directory; None when a variable chose the directory."""
        if self._pi_agent_dir is _UNKNOWN:
            found = None
            if agent_dir_variable(self.environ) is None:
                found = os.path.join(_home(self.environ), ".pi", "agent")
            self._pi_agent_dir = found
        return self._pi_agent_dir


AGENT_DIR_VARIABLE = "ATOMIC_CODING_AGENT_DIR"


def setting_name(environ, name):
    """The variable that gives an ATOMIC_ setting: its own name when set (not blank), else its
    PI_ alias when that is set, else the name itself."""
    if name.startswith("ATOMIC_") and not environ.get(name, "").strip():
        alias = "PI_" + name[len("ATOMIC_"):]
        if environ.get(alias, "").strip():
            return alias
    return name


def agent_dir_variable(environ):
    """ATOMIC_CODING_AGENT_DIR or PI_CODING_AGENT_DIR, whichever chooses the directory; None for the default."""
    name = setting_name(environ, AGENT_DIR_VARIABLE)
    return name if environ.get(name, "").strip() else None


def find_agent_dir(environ):
    """$ATOMIC_CODING_AGENT_DIR (or its alias $PI_CODING_AGENT_DIR; ~ expanded), else ~/.atomic/agent."""
    name = agent_dir_variable(environ)
    if name is not None:
        path = environ[name].strip()
        if path == "~" or path.startswith("~/"):
            path = os.path.join(_home(environ), path[2:])
        elif path.startswith("~"):  # ~user/...: that user's home, as the shell would have it
            path = os.path.expanduser(path)
        return os.path.abspath(path)
    return os.path.join(_home(environ), ".atomic", "agent")


def agent_dir_reason(environ):
    """Why the agent directory is the one it is, for `atomic status`."""
    name = agent_dir_variable(environ)
    if name == AGENT_DIR_VARIABLE:
        also = " (PI_CODING_AGENT_DIR is set too; the ATOMIC_ name wins)" if environ.get(
            "PI_CODING_AGENT_DIR", "").strip() else ""
        return "set by ATOMIC_CODING_AGENT_DIR" + also
    if name is not None:
        return "set by PI_CODING_AGENT_DIR (accepted for ATOMIC_CODING_AGENT_DIR, as the Atomic agent does)"
    return "the default: neither ATOMIC_CODING_AGENT_DIR nor PI_CODING_AGENT_DIR is set"


def _home(environ):
    home = environ.get("HOME")
    if home is None:
        return os.path.expanduser("~")  # falls back to the password database
    if not home or not os.path.isabs(home):
        # expanduser would turn HOME="" into "/.atomic": refuse rather than guess.
        raise errors.AtomicError("HOME is %s; set HOME to your home directory or set "
                          "ATOMIC_CODING_AGENT_DIR to the folder atomic should use"
                          % ("empty" if not home else "relative (%r)" % home), errors.Exit.USAGE)
    return home
