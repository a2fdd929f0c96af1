"""The trust record: the project folders you reviewed and trusted (`atomic trust`), with what
their files held then.

trust.json in the agent directory: {"folders": {real path: {"files": {relative path: sha256 hex},
"trusted": "2026-12-08T10:00:00Z"}}}. A folder stays trusted while the files atomic reads there
are exactly the recorded ones, byte for byte: a changed, added or removed file ends it until it
is trusted again (direnv's rule). Written as auth.json is: 0600, atomically, under its lock. A
record that is not yours, or that others could have written, is not believed.
"""
import os

from .._core import errors

TRUST_FILE = "trust.json"
FIX = "fix it by hand or move it aside (then trust your project folders again); atomic has not changed it"


def record_path(ctx):
    return os.path.join(ctx.agent_dir, TRUST_FILE)


def digests(files):
    """{relative path: sha256 hex} of {relative path: bytes}."""
    import hashlib

    return {rel: hashlib.sha256(raw).hexdigest() for rel, raw in files.items()}


def read_record(ctx):
    """{real path: {"files": {...}, "trusted": ...}} of every trusted folder; {} without a record.
    BadFile (exit 4) for a record that does not parse, Unsafe (7) for one others could have written."""
    from .._core.files import controlled_by_others, parse_json_object, read_capped

    path = record_path(ctx)
    raw, st = read_capped(path, ctx, FIX)
    if raw is None:
        return {}
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        raise errors.Unsafe("%s belongs to uid %d, not you, so its trusted folders are not believed" % (path, st.st_uid))
    reason = controlled_by_others(path, st.st_uid, st.st_mode)
    if reason:
        raise errors.Unsafe("the trust record is not believed: %s; run `chmod 600` on it and `chmod 700` on its "
                            "folder" % reason)
    return folders_of(parse_json_object(raw, path, FIX), path)


def folders_of(data, path):
    """The record's folders, each checked; BadFile naming the first field that is not as written."""
    folders = data.get("folders", {})
    if not isinstance(folders, dict):
        raise errors.BadFile("%s: folders: expected an object of folder paths; %s" % (path, FIX))
    for folder, entry in folders.items():
        files = entry.get("files") if isinstance(entry, dict) else None
        if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
            raise errors.BadFile("%s: folders[%r].files: expected an object of file: sha256; %s" % (path, folder, FIX))
    return folders


def state(ctx, root, files):
    """"trusted", "untrusted" (no record of the folder) or "changed" (recorded with other contents)
    for the folder at real path root, whose project files are {relative path: bytes}."""
    entry = read_record(ctx).get(root)
    if entry is None:
        return "untrusted"
    return "trusted" if entry["files"] == digests(files) else "changed"


def record(ctx, root, hashes):
    """Trust the folder at real path root with these digests (those of the files as reviewed)."""
    import time

    from .._core.jsonfile import update_json

    def change(data):
        folders = dict(folders_of(data, record_path(ctx)))
        folders[root] = {"files": dict(sorted(hashes.items())),
                         "trusted": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ctx.now()))}
        return dict(data, folders=folders)

    update_json(ctx, TRUST_FILE, change, FIX)


def forget(ctx, root):
    """Trust the folder at real path root no more; whether it was trusted."""
    from .._core.jsonfile import update_json

    removed = []

    def change(data):
        folders = dict(folders_of(data, record_path(ctx)))
        if root not in folders:
            return None
        removed.append(folders.pop(root))
        return dict(data, folders=folders)

    if os.path.lexists(record_path(ctx)):  # no record: nothing to forget, and nothing is created
        update_json(ctx, TRUST_FILE, change, FIX)
    return bool(removed)
