"""`atomic --help` without argparse: the same text argparse would print, laid out from the command
table in atomic.py (argparse, with re and gettext, would be most of the time `--help` takes).

tests/test_imports.py compares this with argparse's own output at many widths and on every
Python the project supports, so the two cannot drift apart.
"""
import sys

MAX_HELP_POSITION = 24   # argparse.HelpFormatter's defaults
INDENT = 2
OPTIONS = (("-h, --help", "show this help message and exit"),
           ("--version", "show program's version number and exit"))


def top_help(prog, description, commands, epilog, width):
    """The help argparse prints for `prog --help`; commands is [(name, summary)].

    width is what argparse is given (the terminal's columns less 2). None when the text would
    need argparse's line breaking of the usage line (a very narrow terminal).
    """
    usage = "usage: %s [-h] [--version] COMMAND ..." % prog
    if len(usage) > width:
        return None
    entries = [(INDENT, "COMMAND", None)] + [(2 * INDENT, name, summary) for name, summary in commands]
    options = [(INDENT, flag, text) for flag, text in OPTIONS]
    longest = max(_measured(indent) + len(label) for indent, label, _text in entries + options)
    position = min(longest + 2, min(MAX_HELP_POSITION, max(width - 20, 2 * INDENT)))
    title = "options:" if sys.version_info >= (3, 10) else "optional arguments:"
    parts = [usage, "", description.strip("\n"), "", "positional arguments:"]
    parts += [line for entry in entries for line in _entry(entry, position, width)]
    parts += ["", title] + [line for entry in options for line in _entry(entry, position, width)]
    parts += ["", epilog.strip("\n")]
    return "\n".join(parts) + "\n"


def _measured(indent):
    """The indent argparse counts an entry's label at: before 3.13 it measures commands at their
    section's indent, not the deeper one they are printed at (it shows once a command's name is
    longer than the options)."""
    return indent if sys.version_info >= (3, 13) else INDENT


def _entry(entry, position, width):
    indent, label, text = entry
    if not text:
        return [" " * indent + label]
    lines = wrap(text, max(width - position, 11))
    room = position - indent - 2
    if len(label) <= room:
        first = [" " * indent + label.ljust(room) + "  " + lines[0]]
    else:
        first = [" " * indent + label, " " * position + lines[0]]
    return first + [" " * position + line for line in lines[1:]]


def wrap(text, width):
    """Greedy word wrap, as textwrap does for plain words (without importing textwrap and re)."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = line + " " + word if line else word
    return lines + [line] if line else lines
