"""One line of progress on stderr, rewritten in place while something is waited for.

Only on a terminal: piped or redirected, stderr gets nothing from here, so logs and scripts
see the same lines they always did. The line is redrawn with a carriage return and padded with
spaces (no escape sequences, so TERM=dumb works), and cut to the terminal's width so it never
wraps into a second line that could not be redrawn.
"""
import os


class StatusLine:
    """show(text) replaces the line; clear() removes it. Does nothing when stderr is not a terminal."""

    def __init__(self, ctx):
        self._stream = ctx.stderr
        self._shown = 0
        try:
            self.live = self._stream.isatty()
        except (AttributeError, ValueError):
            self.live = False

    def show(self, text):
        if not self.live:
            return
        text = text[:max(_width(self._stream) - 1, 10)]
        self._write("\r" + text + " " * max(self._shown - len(text), 0) + "\r" + text)
        self._shown = len(text)

    def clear(self):
        if self.live and self._shown:
            self._write("\r" + " " * self._shown + "\r")
            self._shown = 0

    def _write(self, data):
        try:
            self._stream.write(data)
            self._stream.flush()
        except (OSError, ValueError):
            self.live = False  # the terminal went away: the command itself goes on

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.clear()


def _width(stream):
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


def countdown(seconds):
    """`14:05` for seconds left (at least 0)."""
    seconds = max(int(seconds + 0.999), 0)
    return "%d:%02d" % divmod(seconds, 60)
