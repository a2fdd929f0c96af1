"""`atomic trust` and `atomic untrust`: review what a project folder's files would change, then
record (or forget) that you trust them. The record is _config/trust.py's; the gate that reads
it, _config/project.py."""
import os

from .._config import project as gate
from .._config import trust as record
from .._core.errors import AtomicError, Exit, Unsafe, UsageError
from .output import print_json, write_lines

STATES = {"trusted": "trusted, unchanged", "untrusted": "not trusted",
          "changed": "changed since you trusted it: not used until you trust it again"}


def trust(args, ctx):
    """`atomic trust [DIR] [--yes] [--list] [--json]`."""
    if args.list:
        return _list(args, ctx)
    root = _folder(args.folder, ctx)
    project = gate.scan(root, ctx)
    if project.unsafe:
        name, why = sorted(project.unsafe.items())[0]
        raise Unsafe("cannot trust %s: %s; %s" % (os.path.join(root, name), why, gate.SAFE_RULE))
    if not project.files:
        if args.json:
            print_json({"folder": root, "state": None, "files": []})
        ctx.say("Nothing to trust in %s: it has none of the files atomic reads from a project (%s)."
                % (root, _what_is_read()))
        return 0
    state = record.state(ctx, root, project.files)
    _show(root, state, project, ctx, args.json)
    if state == "trusted":
        ctx.say("Already trusted as it is; nothing recorded.")
        return 0
    if not args.yes:
        _ask(root, ctx)
    record.record(ctx, root, record.digests(project.files))  # the files as shown, not as they are by now
    ctx.say("Trusted %s: atomic now uses %s. A change to any of them, or a new one, needs `atomic trust` again."
            % (root, gate.listed(sorted(project.files))))
    return 0


def untrust(args, ctx):
    """`atomic untrust [DIR]`."""
    root = _folder(args.folder, ctx)
    if record.forget(ctx, root):
        ctx.say("%s is no longer trusted: atomic does not use its project files." % root)
    else:
        ctx.say("%s was not trusted; nothing to forget." % root)
    return 0


def _folder(given, ctx):
    """The real path of DIR, or of the folder atomic was started in."""
    folder = os.path.expanduser(given) if given else gate.start_folder(ctx)
    if folder is None:
        raise UsageError("the current folder is gone; name the project folder: atomic trust DIR")
    if not os.path.isdir(folder):
        raise UsageError("%s is not a folder; name the project folder (the one holding .atomic or .pi)" % folder)
    return os.path.realpath(folder)


def _show(root, state, project, ctx, as_json):
    from .review import review

    found = review(project, ctx)
    if as_json:
        digests = record.digests(project.files)
        print_json({"folder": root, "state": state,
                    "files": [{"path": rel, "sha256": digests[rel], "changes": lines} for rel, lines in found]})
        return
    out = ["%s (%s)" % (root, STATES[state])]
    for rel, lines in found:
        out.append("  " + rel)
        out.extend("    " + line for line in lines)
    write_lines(out)


def _ask(root, ctx):
    """Confirm on a terminal; without one (or answered no) nothing is recorded: exit 10."""
    from .._core.prompts import confirm, interactive

    if not interactive(ctx):
        raise AtomicError("not trusted: atomic asks before trusting a folder and there is no terminal to ask on; "
                          "review the files above, then run `atomic trust --yes %s`" % root, Exit.LOGIN_FAILED)
    if not confirm(ctx, "Trust %s? Its files may then send your credentials where they say and run code as you."
                   % root):
        raise AtomicError("not trusted; nothing recorded", Exit.LOGIN_FAILED)


def _list(args, ctx):
    """Every trusted folder, and whether its files are still the ones trusted."""
    rows = []
    for root, entry in sorted(record.read_record(ctx).items()):
        rows.append({"folder": root, "trusted": entry.get("trusted"), "files": sorted(entry["files"]),
                     "state": _state_now(root, entry, ctx)})
    if args.json:
        print_json(rows)
    elif rows:
        write_lines("%s  %s  %d file%s, trusted %s" % (row["folder"], row["state"], len(row["files"]),
                                                      "" if len(row["files"]) == 1 else "s", row["trusted"] or "?")
                    for row in rows)
    else:
        ctx.say("No folder is trusted. In a project folder, `atomic trust` reviews its files and trusts them.")
    return 0


def _state_now(root, entry, ctx):
    if not os.path.isdir(root):
        return "gone"
    project = gate.scan(root, ctx)
    if project.unsafe:
        return "unsafe"
    return "trusted" if record.digests(project.files) == entry["files"] else "changed"


def _what_is_read():
    names = ["%s/%s" % (folder, name) for folder, files in sorted(gate.READ.items()) for name, _kind in files]
    return ", ".join(names + ["%s/%s/*.py" % (gate.ATOMIC, gate.EXTENSIONS)])
