"""The exit codes of the contract and the one small exception tree that carries them."""


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
    CHECK_FAILED = 11     # `status --check`: a credential did not pass its check
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


class UsageError(AtomicError):
    exit_code = Exit.USAGE


class NotLoggedIn(AtomicError):
    exit_code = Exit.NO_CREDENTIAL


class BadFile(AtomicError):
    exit_code = Exit.BAD_FILE


class LoginAgain(AtomicError):
    exit_code = Exit.LOGIN_AGAIN


class NetworkError(AtomicError):
    exit_code = Exit.NETWORK


class Unsafe(AtomicError):
    exit_code = Exit.UNSAFE


class CommandFailed(AtomicError):
    exit_code = Exit.COMMAND_FAILED


class LockTimeout(AtomicError):
    exit_code = Exit.LOCK_TIMEOUT


class LoginFailed(AtomicError):
    exit_code = Exit.LOGIN_FAILED


class TooShort(AtomicError):
    exit_code = Exit.TOO_SHORT
