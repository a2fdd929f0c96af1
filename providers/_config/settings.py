"""settings.json: the global file in the agent directory, with a project's `.atomic/settings.json`
over it field by field (objects merged key by key), as the Atomic agent reads them; the project's
only once its folder is trusted (_config/project.py).

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
    """The project's settings.json, or None when there is none the trust gate lets be read."""
    from .project import folders

    found = folders(ctx, "settings")
    return os.path.join(found[0], SETTINGS_FILE) if found else None


def read_settings(ctx):
    """The settings in force: the project's file over the global one; read once per command."""
    if ctx.settings is None:
        project = project_path(ctx)
        ctx.settings = merged(_read(global_path(ctx), ctx), _read_project(project, ctx) if project else {})
    return ctx.settings


def setting_files(ctx):
    """[(path, its settings)] for the files that exist, the project's first (it wins)."""
    project = project_path(ctx)
    found = [(project, _read_project(project, ctx))] if project else []
    found.append((global_path(ctx), _read(global_path(ctx), ctx)))
    return [(path, data) for path, data in found if data]


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
    from .._core.jsonfile import update_json

    new = update_json(ctx, SETTINGS_FILE, change, FIX, private=False)
    ctx.settings = None
    return new


def _read(path, ctx):
    raw, _st = read_capped(path, ctx, FIX, private=False)
    return {} if raw is None else parse_json_object(raw, path, FIX)


def _read_project(path, ctx):
    """The project's settings, from the bytes the trust gate checked."""
    from .project import content

    raw = content(ctx, path)
    return {} if raw is None else parse_json_object(raw, path, FIX)
