"""The exit codes of the contract and the one small exception tree that carries them.

Every kind of failure is a subclass of AtomicError whose exit_code says what happened. The
subclasses are made on first use (module __getattr__) from the table below: creating a class
costs as much as a small import, and `atomic key` on its happy path raises none of them. Modules
on that path write `errors.BadFile(...)` at the raise site rather than importing the name.
"""


class Exit:
    """Exit codes (atomic.md); every failure class has its own so scripts can branch on them."""
    OK = 0
    BUG = 1
    USAGE = 2
    NO_CREDENTIAL = 3
    BAD_FILE = 4
    LOGIN_AGAIN = 5
    NETWORK = 6
    UNSAFE = 7
    COMMAND_FAILED = 8
    LOCK_TIMEOUT = 9
    LOGIN_FAILED = 10
    CHECK_FAILED = 11     # `status`: a problem found; with --check, a credential did not pass
    TOO_SHORT = 12        # `key --min-valid`: the token cannot be made to last that long
    CANNOT_RUN = 126      # `exec`: the command is there but cannot be run (as the shell says)
    NOT_FOUND = 127       # `exec`: no such command (as the shell says)
    BROKEN_PIPE = 141  # 128 + SIGPIPE, what `yes | head` gives
    INTERRUPTED = 130


class AtomicError(Exception):
    """An expected failure: one line for the user and an exit code."""
    exit_code = Exit.BUG

    def __init__(self, message, exit_code=None):
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code


# name: (parent, exit code)
KINDS = {
    "UsageError": ("AtomicError", Exit.USAGE),
    "NotLoggedIn": ("AtomicError", Exit.NO_CREDENTIAL),
    "NothingFound": ("NotLoggedIn", Exit.NO_CREDENTIAL),      # no source had a credential at all
    "MissingSetting": ("NotLoggedIn", Exit.NO_CREDENTIAL),    # a value the provider's address needs
    "BadFile": ("AtomicError", Exit.BAD_FILE),
    "LoginAgain": ("AtomicError", Exit.LOGIN_AGAIN),
    "NetworkError": ("AtomicError", Exit.NETWORK),
    "Unsafe": ("AtomicError", Exit.UNSAFE),
    "CommandFailed": ("AtomicError", Exit.COMMAND_FAILED),
    "LockTimeout": ("AtomicError", Exit.LOCK_TIMEOUT),
    "LoginFailed": ("AtomicError", Exit.LOGIN_FAILED),
    "TooShort": ("AtomicError", Exit.TOO_SHORT),              # key --min-valid cannot be met
}


def __getattr__(name):
    try:
        parent, code = KINDS[name]
    except KeyError:
        raise AttributeError("module %r has no attribute %r" % (__name__, name)) from None
    kind = type(name, (globals().get(parent) or __getattr__(parent),), {"exit_code": code, "__module__": __name__})
    globals()[name] = kind
    return kind
