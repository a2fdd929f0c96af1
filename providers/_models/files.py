"""Reading models.json and models.toml (custom providers); validation lives in schema.py."""
import os

from .._core.errors import BadFile
from .._core.files import CONFIG_FIX, parse_json_object, read_capped

FILES = ("models.json", "models.toml")


def read_models_files(ctx):
    """{"providers": {...}} merged from models.json and models.toml, and which file defined each.

    Read once per command (ctx.models_files). The same provider in both files is an error naming both.
    """
    cached = ctx.models_files
    if isinstance(cached, BadFile):
        raise cached  # reported once per reader, not once per provider asked about
    if cached is not None:
        return cached
    try:
        ctx.models_files = _read(ctx)
    except BadFile as exc:
        ctx.models_files = exc
        raise
    return ctx.models_files


def _read(ctx):
    providers, origin = {}, {}
    for name in FILES:
        path = os.path.join(ctx.agent_dir, name)
        raw, _st = read_capped(path, ctx, CONFIG_FIX, private=False)
        if raw is None:
            continue
        doc = parse_toml(raw, path) if name.endswith(".toml") else parse_json_object(raw, path, CONFIG_FIX)
        section = doc.get("providers", {})
        if not isinstance(section, dict):
            raise BadFile("%s: providers: expected an object of provider ids" % path)
        for pid, config in section.items():
            if pid in origin:
                raise BadFile("provider %r is defined in both %s and %s; keep it in one file"
                              % (pid, origin[pid], path))
            providers[pid], origin[pid] = config, path
    return providers, origin


def parse_toml(raw, path):
    """Parse models.toml with tomllib (3.11+) or tomli, naming the file and place on failure."""
    try:
        import tomllib  # novermin (3.11+; tomli below)
    except ImportError:
        try:
            import tomli as tomllib
        except ImportError:
            raise BadFile("%s needs the tomli package on Python < 3.11: pip install tomli "
                          "(or use models.json)" % path)
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadFile("%s is not valid UTF-8 (byte %d); fix it or move it aside" % (path, exc.start))
    except tomllib.TOMLDecodeError as exc:
        raise BadFile("%s is not valid TOML (%s); fix it or move it aside" % (path, exc))
