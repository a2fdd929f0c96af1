"""Reading models.json and models.toml (custom providers); validation lives in schema.py.

Four folders may hold them, as the Atomic agent orders them: the project's `.atomic/`, the agent
directory, the project's `.pi/`, then pi's `~/.pi/agent` (only when no variable chose the agent
directory). A provider defined in several is merged field by field, the earlier folder's field
winning whole; each field remembers its file, so a `!command` is judged by the file it is in.
"""
import os

from .._core.errors import BadFile
from .._core.files import CONFIG_FIX, decode_utf8, parse_json_object, read_capped, strip_bom

FILES = ("models.json", "models.toml")


class Origins(dict):
    """{provider id: the file that defines it first}, plus .fields {id: {field: file}} and
    .files {id: [every file that defines it, first first]}."""

    def __init__(self):
        dict.__init__(self)
        self.fields, self.files = {}, {}


def folders(ctx):
    """The folders whose models files are read, highest precedence first (each once)."""
    project = ctx.cwd
    found = [os.path.join(project, ".atomic")] if project else []
    found.append(ctx.agent_dir)
    if project:
        found.append(os.path.join(project, ".pi"))
    if ctx.pi_agent_dir is not None:
        found.append(ctx.pi_agent_dir)
    unique = []
    for folder in found:
        if os.path.abspath(folder) not in [os.path.abspath(f) for f in unique]:
            unique.append(folder)
    return unique


def read_models_files(ctx):
    """{"providers": {...}} merged from every models.json and models.toml, and which file defined each.

    Read once per command (ctx.models_files). The same provider in both files of one folder is an
    error naming both.
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


def field_file(ctx, pid, field):
    """The file a provider's field (apiKey, headers, ...) comes from, or None."""
    _configs, origin = read_models_files(ctx)
    return origin.fields.get(pid, {}).get(field)


def defining_files(ctx, pid):
    """Every models file that defines the provider, the one that wins first."""
    _configs, origin = read_models_files(ctx)
    return list(origin.files.get(pid, ()))


def _read(ctx):
    providers, origin = {}, Origins()
    for folder in folders(ctx):
        here = {}
        for name in FILES:
            path = os.path.join(folder, name)
            for pid, config in _sections(path, name, ctx):
                if pid in here:
                    raise BadFile("provider %r is defined in both %s and %s; keep it in one file"
                                  % (pid, here[pid], path))
                here[pid] = path
                _merge(providers, origin, pid, config, path)
    return providers, origin


def _sections(path, name, ctx):
    raw, _st = read_capped(path, ctx, CONFIG_FIX, private=False)
    if raw is None:
        return []
    doc = parse_toml(raw, path) if name.endswith(".toml") else parse_json_object(raw, path, CONFIG_FIX)
    for field in doc:
        if field not in ("providers", "$schema"):  # the file has nothing else: a misspelling changes nothing
            from .._core.text import did_you_mean
            ctx.warn("%s: %s: unknown top-level field, ignored%s" % (path, field, did_you_mean(field, ["providers"])))
    section = doc.get("providers", {})
    if not isinstance(section, dict):
        raise BadFile("%s: providers: expected an object of provider ids" % path)
    return list(section.items())


def _merge(providers, origin, pid, config, path):
    """Add a lower-precedence file's entry: only the fields no earlier file set."""
    origin.files.setdefault(pid, []).append(path)
    if pid not in providers:
        providers[pid], origin[pid] = config, path
        origin.fields[pid] = {field: path for field in config} if isinstance(config, dict) else {}
        return
    merged = providers[pid]
    if not isinstance(merged, dict) or not isinstance(config, dict):
        return  # the first file's entry is not an object: schema.py reports it there
    merged = dict(merged)
    for field, value in config.items():
        if field not in merged:
            merged[field] = value
            origin.fields[pid][field] = path
    providers[pid] = merged


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
    text = decode_utf8(strip_bom(raw), path, "fix it or move it aside")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadFile("%s is not valid TOML (%s); fix it or move it aside" % (path, exc))
    except RecursionError:  # thousands of nested brackets: the parser gives up, and no models file needs them
        raise BadFile("%s is nested too deeply to be a models file; fix it or move it aside" % path)
