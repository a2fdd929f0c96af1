"""What a project folder's files would change once trusted, in words, for `atomic trust`: the
providers they add, the ones they re-point (old → new address), the headers they send and which
of them carry credentials, the !commands they run and the variables they read, the settings
they set, and the extension files that would run as you."""
from .. import builtin
from .._config.project import in_order
from .._core.errors import BadFile

SETTING_NOTES = {
    "codexFastMode": "the priority tier: faster, and 2-2.5x the price",
    "defaultProvider": "`atomic ask` and chat use it when no model is named",
    "defaultModel": "`atomic ask` and chat use it when no model is named",
}


def review(project, ctx):
    """[(relative path, [what it changes, ...])] for each of the project's files."""
    from .._registry.extensions import own_ids

    extensions = set(own_ids(ctx)) | {rel.rsplit("/", 1)[1][:-3].replace("_", "-") for rel in project.files
                                      if project.kinds[rel] == "extensions"}
    return [(rel, file_changes(rel, project.files[rel], project.kinds[rel], extensions)) for rel in in_order(project)]


def file_changes(rel, raw, kind, extensions=()):
    """What one project file would change, a line each."""
    if kind == "extensions":
        stem = rel.rsplit("/", 1)[1][:-3].replace("_", "-")
        return ["runs as you when the %s provider is used or listed: an extension (Python code, %d bytes)"
                % (stem, len(raw))]
    try:
        doc = _parse(rel, raw)
    except BadFile as exc:
        return ["cannot be read (%s); trusting records it as it is, and atomic reports the problem where "
                "it reads it" % exc.message]
    if kind == "settings":
        return [_setting(name, value) for name, value in doc.items()] or ["sets nothing"]
    section = doc.get("providers")
    lines = []
    for pid, config in (section.items() if isinstance(section, dict) else ()):
        lines += provider_changes(pid, config, extensions)
    return lines or ["changes no provider"]


def provider_changes(pid, config, extensions=()):
    """What a models file's entry does to the provider `pid` (extensions: the ids of the user's and
    the folder's extensions, whose entries change them rather than add a provider)."""
    if not isinstance(config, dict):
        return ["providers.%s is not an object (atomic reports it when it reads the file)" % pid]
    row = builtin(pid)
    own = row is not None or pid in extensions
    address = config.get("baseUrl") if isinstance(config.get("baseUrl"), str) else None
    if not own:
        lines = ["adds the provider %s at %s" % (pid, address or "(no address of its own)")]
    elif address:
        lines = ["re-points %s: %s → %s (your %s credential goes there)"
                 % (pid, (row.base_url if row else "") or "its own address", address, pid)]
    else:
        lines = []
    models = config.get("models") if isinstance(config.get("models"), list) else []
    for model in models:
        if isinstance(model, dict) and isinstance(model.get("baseUrl"), str):
            lines.append("re-points the model %s/%s → %s" % (pid, model.get("id"), model["baseUrl"]))
    headers = config.get("headers") if isinstance(config.get("headers"), dict) else {}
    for name, value in headers.items():
        lines.append("sends the header %s to %s%s" % (name, pid, " (a credential)" if _carries(name, value) else ""))
    key = config.get("apiKey")
    if isinstance(key, str) and not _is_reference(key):  # a reference is named below, with what it runs or reads
        from .._core.mask import mask_value

        lines.append("gives %s the key %s, written in the file" % (pid, mask_value(key)))
    if config.get("authHeader") is True:
        lines.append("sends the %s key as Authorization: Bearer" % pid)
    lines += _references(config, "providers." + pid)
    if models or isinstance(config.get("modelOverrides"), dict):
        lines.append("adds %d and changes %d of its models" % (len(models), len(config.get("modelOverrides") or {})))
    return lines


def _references(value, where):
    """`runs as you: !cmd (field)` and `reads $VAR (field)` for every string below `value`."""
    from .._auth.keys import variables_read
    from .._core.mask import mask_text

    if isinstance(value, dict):
        return [line for name, item in value.items() for line in _references(item, "%s.%s" % (where, name))]
    if isinstance(value, list):
        return [line for n, item in enumerate(value) for line in _references(item, "%s[%d]" % (where, n))]
    if not isinstance(value, str):
        return []
    if value.startswith("!"):
        return ["runs as you: %s (%s)" % (mask_text(value), where)]
    return ["reads the environment variable %s (%s)" % (name, where) for name in variables_read(value)]


def _carries(name, value):
    from .._core.mask import is_secret_header

    return is_secret_header(name) or (isinstance(value, str) and _is_reference(value))


def _is_reference(value):
    from .._auth.keys import is_reference, variables_read

    return is_reference(value) or bool(variables_read(value))


def _setting(name, value):
    import json

    shown = json.dumps(value, ensure_ascii=False)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    note = SETTING_NOTES.get(name)
    return "sets %s: %s%s" % (name, shown, " (%s)" % note if note else "")


def _parse(rel, raw):
    from .._core.files import parse_config

    return parse_config(raw, rel, "fix it before trusting the folder")
