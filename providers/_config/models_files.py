"""Reading models.json and models.toml (custom providers); validation lives in _models/schema.py.

Four folders may hold them, as the Atomic agent orders them: the project's `.atomic/`, the agent
directory, the project's `.pi/`, then pi's `~/.pi/agent` (only when no variable chose the agent
directory). A project's folders are read only through the trust gate (_config/project.py), as
the bytes it checked. A provider defined in several is merged field by field, the earlier
folder's field winning whole; each field remembers its file, so a `!command` is judged by the
file it is in.
"""
import os

from .._core.errors import BadFile
from .._core.files import CONFIG_FIX, parse_config, read_capped

FILES = ("models.json", "models.toml")


class Origins(dict):
    """{provider id: the file that defines it first}, plus .fields {id: {field: file}}, .files
    {id: [every file that defines it, first first]}, .sections [(file, its providers)] and
    .project_files (those of them that are a project's)."""

    def __init__(self):
        dict.__init__(self)
        self.fields, self.files, self.sections, self.project_files = {}, {}, [], set()


def folders(ctx, project_folders):
    """The folders whose models files are read, highest precedence first (each once), given the
    project folders the trust gate lets be read (_config/project.py)."""
    found = [f for f in project_folders if os.path.basename(f) == ".atomic"] + [ctx.agent_dir]
    found += [f for f in project_folders if os.path.basename(f) == ".pi"]
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
    """(providers, origin), made again only when a file changed (ctx.memo, in a serving process)."""
    from .project import folders as gate

    project_folders = gate(ctx, "models")
    memo = ctx.memo
    if memo is None:
        return _merged(ctx, _paths(ctx, project_folders), project_folders)
    # The paths depend on the project folders alone (the agent directories do not change).
    paths = memo.kept("models paths", (project_folders,)) or memo.keep(
        "models paths", (project_folders,), _paths(ctx, project_folders))
    key = _key(ctx, paths, project_folders)
    return memo.kept("models files", key) or memo.keep("models files", key, _merged(ctx, paths, project_folders))


def _paths(ctx, project_folders):
    """[(folder, path)] of every models file that may be read, in order."""
    return [(folder, os.path.join(folder, name)) for folder in folders(ctx, project_folders) for name in FILES]


def _key(ctx, paths, project_folders):
    """What the merged files are made from: each path, with its stamp, or a project file's bytes
    (the gate read those for this request, so they are compared whole)."""
    from .._core.stamps import stamp, stamps
    from .project import content

    if not project_folders:
        return stamps([path for _folder, path in paths])
    key = []
    for folder, path in paths:
        key += (path, content(ctx, path) if folder in project_folders else stamp(path))
    return tuple(key)


def _merged(ctx, paths, project_folders):
    from .project import content

    providers, origin = {}, Origins()
    here, previous = {}, None
    for folder, path in paths:
        if folder != previous:
            here, previous = {}, folder
        if folder in project_folders:  # the bytes the gate checked, not the disk's again
            raw = content(ctx, path)
            if raw is not None:
                origin.project_files.add(path)
        else:
            raw, _st = read_capped(path, ctx, CONFIG_FIX, private=False)
        sections = _sections(raw, path, ctx)
        origin.sections.append((path, dict(sections)))
        for pid, config in sections:
            if pid in here:
                raise BadFile("provider %r is defined in both %s and %s; keep it in one file"
                              % (pid, here[pid], path))
            here[pid] = path
            _merge(providers, origin, pid, config, path)
    return providers, origin


def _sections(raw, path, ctx):
    if raw is None:
        return []
    doc = parse_config(raw, path, CONFIG_FIX)
    for field in doc:
        if field not in ("providers", "$schema"):  # the file has nothing else: a misspelling changes nothing
            from .._core.text import did_you_mean
            ctx.warn("%s: %s: unknown top-level field, ignored%s" % (path, field, did_you_mean(field, ["providers"])))
    section = doc.get("providers", {})
    if not isinstance(section, dict):
        raise BadFile("%s: providers: expected an object of provider ids" % path)
    return list(section.items())


def project_addresses(ctx, pids=None):
    """[(provider id, model id or None, address, file, field)] for every baseUrl a project file
    sets (of the providers pids only, when given): a trusted project may re-point a provider, and
    `status` and `key --explain` say so."""
    _configs, origin = read_models_files(ctx)
    found = []
    for path, section in origin.sections:
        if path not in origin.project_files:
            continue
        for pid, config in section.items():
            if not isinstance(config, dict) or (pids is not None and pid not in pids):
                continue
            if isinstance(config.get("baseUrl"), str):
                found.append((pid, None, config["baseUrl"], path, "providers.%s.baseUrl" % pid))
            models = config.get("models") if isinstance(config.get("models"), list) else []
            for n, model in enumerate(models):
                if isinstance(model, dict) and isinstance(model.get("baseUrl"), str):
                    found.append((pid, model.get("id"), model["baseUrl"], path,
                                  "providers.%s.models[%d].baseUrl" % (pid, n)))
    return found


def address_notes(ctx, pids):
    """`openai → https://… (from ./.atomic/models.json)` for each address a project file gives
    one of the providers pids."""
    from .project import shown

    return ["%s%s → %s (from %s)" % (pid, "/%s" % model if model else "", url, shown(ctx, path))
            for pid, model, url, path, _field in project_addresses(ctx, pids)]


def _merge(providers, origin, pid, config, path):
    """Add a lower-precedence file's entry: only the fields no earlier file set."""
    origin.files.setdefault(pid, []).append(path)
    if pid not in providers:
        providers[pid], origin[pid] = config, path
        origin.fields[pid] = {field: path for field in config} if isinstance(config, dict) else {}
        return
    merged = providers[pid]
    if not isinstance(merged, dict) or not isinstance(config, dict):
        return  # the first file's entry is not an object: _models/schema.py reports it there
    merged = dict(merged)
    for field, value in config.items():
        if field not in merged:
            merged[field] = value
            origin.fields[pid][field] = path
    providers[pid] = merged
