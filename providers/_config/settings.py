"""settings.json: the global file in the agent directory, with a project's `.atomic/settings.json`
over it field by field (objects merged key by key), as the Atomic agent reads them.

atomic writes only the global file, under its lock and atomically, and keeps every key it does
not know. A file that does not parse is reported (exit 4) and never overwritten.
"""
import os

from .._core.files import parse_json_object, read_capped

SETTINGS_FILE = "settings.json"
FIX = "fix it by hand or move it aside; atomic has not changed it"


def global_path(ctx):
    return os.path.join(ctx.agent_dir, SETTINGS_FILE)


def project_path(ctx):
    """The project's settings.json, or None when there is no project (the folder is gone)."""
    return os.path.join(ctx.cwd, ".atomic", SETTINGS_FILE) if ctx.cwd is not None else None


def read_settings(ctx):
    """The settings in force: the project's file over the global one; read once per command."""
    if ctx.settings is None:
        project = project_path(ctx)
        ctx.settings = merged(_read(global_path(ctx), ctx), _read(project, ctx) if project else {})
    return ctx.settings


def setting_files(ctx):
    """[(path, its settings)] for the files that exist, the project's first (it wins)."""
    project = project_path(ctx)
    found = []
    for path in ([project] if project else []) + [global_path(ctx)]:
        data = _read(path, ctx)
        if data:
            found.append((path, data))
    return found


def merged(base, over):
    """base with over's fields on top; where both hold an object, the two are merged the same way."""
    out = dict(base)
    for name, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(name), dict):
            value = merged(out[name], value)
        out[name] = value
    return out


def update_settings(ctx, change):
    """Apply change(global settings) -> new settings (or None: no write) to the global file.

    The file is re-read under its lock, so keys written meanwhile by another program survive.
    Returns what change returned; the next read_settings sees the result.
    """
    from .._core.lock import FileLock
    from .._core.writes import ensure_private_dir, write_json_atomic

    directory = ensure_private_dir(ctx.agent_dir, ctx, ctx.agent_dir_base)
    with FileLock(directory, SETTINGS_FILE, ctx):
        new = change(_read(global_path(ctx), ctx))
        if new is not None:
            write_json_atomic(global_path(ctx), new)
    ctx.settings = None
    return new


def _read(path, ctx):
    raw, _st = read_capped(path, ctx, FIX, private=False)
    return {} if raw is None else parse_json_object(raw, path, FIX)
