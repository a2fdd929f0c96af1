"""`atomic completion`: shell completion scripts, and the answers they ask for at each Tab.

The scripts are small and know nothing about atomic: at each Tab they hand atomic the words
typed so far (`atomic completion --complete words|line`, on stdin) and show what comes back.
So commands and options come from the argparse table itself, and provider and model ids are
read from the registry, models.json and the catalogue at that moment, never at shell start-up.

What to offer for an argument follows its metavar: PROVIDER (and PROVIDER[/MODEL]) means
provider ids, MODEL (or the option -m/--model) model ids as PROVIDER/MODEL, PATH a file name;
choices are offered as they are. The answer is one candidate a line ("word<TAB>description" in
words mode), or ":files" / ":commands" for the shell to complete those itself.
"""
import sys

FILES, COMMANDS = ":files", ":commands"


def complete(parser, mode, ctx):
    """Read the words (or bash's line) from stdin and print what may come next; always exit 0."""
    text = ctx.stdin.read() if ctx.stdin is not None else ""
    words = _split_line(text) if mode == "line" else _split_words(text)
    words = words or [""]
    found = candidates(parser, words[:-1], words[-1], ctx)
    out = []
    if mode == "line":
        out.append(words[-1])  # bash replaces only the part after its last word break (":", "=")
    out.extend(word if mode == "line" or not about else "%s\t%s" % (word, about) for word, about in found)
    sys.stdout.write("".join(line + "\n" for line in out))
    return 0


def _split_words(text):
    """One word a line, the last one being completed; the program's name is not among them."""
    if text.endswith("\n"):
        text = text[:-1]
    return text.split("\n")


def _split_line(text):
    """bash's command line up to the cursor as words, without the program name; "" last when
    the cursor follows a space."""
    import shlex

    for closing in ("", '"', "'"):
        try:
            words = shlex.split(text + closing)
            break
        except ValueError:  # an open quote: complete inside it
            continue
    else:
        words = text.split()
    if not text or text[-1] in " \t":
        words.append("")
    return words[1:]


def candidates(parser, done, partial, ctx):
    """[(word, description)] that may follow the words `done`, starting with `partial`."""
    commands = _commands(parser)
    sub, expect, positionals, after_dashes, literal = None, None, 0, None, False
    for word in done:
        if expect is not None:
            expect = None
        elif sub is None:
            if not word.startswith("-"):
                sub = commands.get(word, (None, None))[1]
                if sub is None:
                    return []  # not a command of ours: nothing sensible to offer
        elif after_dashes is not None:
            after_dashes += 1
        elif word == "--" and not literal:
            if _remainder(sub) is not None:
                after_dashes = 0
            literal = True
        elif word.startswith("-") and not literal:
            option, eq, _value = word.partition("=")
            action = _options(sub).get(option)
            if action is not None and action.nargs != 0 and not eq:
                expect = action
        else:
            nested = _commands(sub).get(word, (None, None))[1] if positionals == 0 else None
            if nested is not None:  # `serve token create`: the words that follow are that command's
                sub = nested
            else:
                positionals += 1
    if sub is None:
        if partial.startswith("-"):
            return _matching(_option_words(parser), partial)
        return _matching([(word, about) for word, (about, _p) in commands.items()], partial)
    if expect is not None:
        return _values(expect, partial, ctx)
    if after_dashes is not None:
        return [(COMMANDS, "")] if after_dashes == 0 else [(FILES, "")]
    if partial.startswith("--") and "=" in partial and not literal:  # --model=groq/lla…
        option, _eq, value = partial.partition("=")
        action = _options(sub).get(option)
        if action is None or action.nargs == 0:
            return []
        return [(option + "=" + word, about) for word, about in _values(action, value, ctx)]
    if partial.startswith("-") and not literal:
        return _matching(_option_words(sub), partial)
    action = _positional(sub, positionals)
    return _values(action, partial, ctx) if action is not None else []


def _commands(parser):
    """{name: (summary, parser)} of the sub-commands, in the table's order."""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            about = {choice.dest: choice.help for choice in action._choices_actions}
            return {name: (about.get(name) or "", sub) for name, sub in action.choices.items()}
    return {}


def _visible(action):
    import argparse

    return action.help != argparse.SUPPRESS


def _options(parser):
    return {flag: action for action in parser._actions for flag in action.option_strings}


def _option_words(parser):
    return [(flag, _first_sentence(action.help)) for action in parser._actions if _visible(action)
            for flag in action.option_strings if flag.startswith("--") or len(action.option_strings) == 1]


def _positional(parser, index):
    """The positional argument that the index-th positional word fills, or None."""
    import argparse

    for action in parser._actions:
        if action.option_strings:
            continue
        if action.nargs in ("*", "+", argparse.REMAINDER):
            return action
        if index == 0:
            return action
        index -= 1
    return None


def _remainder(parser):
    import argparse

    return next((a for a in parser._actions if not a.option_strings and a.nargs == argparse.REMAINDER), None)


def _values(action, partial, ctx):
    """Candidates for one argument, from its choices or its metavar."""
    if action.choices:
        return _matching([(str(choice), "") for choice in action.choices], partial)
    metavar = (action.metavar or "").lstrip("[")  # "[PROVIDER…] -- COMMAND": providers first
    if metavar.startswith("PROVIDER"):
        if "/" in partial and "/MODEL" in metavar:
            return _matching(model_words(ctx), partial)
        return _matching(provider_words(ctx), partial)
    if metavar.startswith("MODEL") or set(action.option_strings) & {"-m", "--model"}:
        return _matching(model_words(ctx), partial)
    if metavar in ("PATH", "FILE", "DIR"):
        return [(FILES, "")]
    return []


def provider_words(ctx):
    """[(id or alias, name)] of every provider: built-in, extensions' (by id: none is imported at a
    Tab), then custom ones (built-ins and extensions alone when models.json is broken: completion
    never fails)."""
    from .. import builtins, custom_providers, extension_ids
    from .._core.errors import AtomicError

    try:
        customs = custom_providers(ctx)
    except AtomicError:
        customs = []
    words = []
    for provider in builtins():
        words.append((provider.id, provider.name))
        words.extend((alias, "%s (%s)" % (provider.name, provider.id)) for alias in provider.aliases)
    words.extend((ext_id, "extension") for ext_id in extension_ids(ctx))
    words.extend((provider.id, provider.name) for provider in customs)
    return words


def model_words(ctx):
    """[(PROVIDER/MODEL, name)] of every known model but the extensions' (a Tab imports none)."""
    from .._core.errors import AtomicError
    from .._models.catalog import builtin_catalog, load_catalog

    try:
        catalog = load_catalog(ctx, extensions=False)
    except AtomicError:
        catalog = builtin_catalog()
    return [("%s/%s" % (pid, model.get("id")), str(model.get("name") or "")) for pid, models in catalog.items()
            for model in models if isinstance(model, dict) and model.get("id")]


def list_words(kind, ctx):
    """`atomic completion --list providers|models`: the words alone."""
    return [word for word, _about in (provider_words(ctx) if kind == "providers" else model_words(ctx))]


def _matching(pairs, partial):
    return [(word, about) for word, about in pairs if word.startswith(partial)]


def _first_sentence(text):
    text = (text or "").split("; ")[0].split(". ")[0]
    return text if len(text) <= 60 else text[:59] + "…"


def script(shell):
    """The completion script for bash, zsh or fish."""
    return {"bash": BASH, "zsh": ZSH, "fish": FISH}[shell]


BASH = r"""# bash completion for atomic. Load it with:  source <(atomic completion bash)
_atomic() {
    local prog=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} partial word
    local -a found=()
    type -P -- "$prog" >/dev/null 2>&1 || prog=atomic
    {
        IFS= read -r partial
        while IFS= read -r word; do found+=("$word"); done
    } < <(printf '%s' "${COMP_LINE:0:COMP_POINT}" | "$prog" completion --complete line 2>/dev/null)
    COMPREPLY=()
    case ${found[0]-} in
    :files)
        compopt -o filenames 2>/dev/null
        while IFS= read -r word; do COMPREPLY+=("$word"); done < <(compgen -f -- "$cur") ;;
    :commands)
        while IFS= read -r word; do COMPREPLY+=("$word"); done < <(compgen -c -- "$cur") ;;
    *)
        # bash replaces only what follows its last word break (":" in a model id, "=").
        local strip=$(( ${#partial} - ${#cur} ))
        (( strip < 0 )) && strip=0
        for word in "${found[@]}"; do COMPREPLY+=("${word:strip}"); done ;;
    esac
}
complete -F _atomic atomic
"""

ZSH = r"""#compdef atomic
# zsh completion for atomic. Save it as _atomic in a folder on $fpath, or, after compinit:
#   source <(atomic completion zsh)
_atomic() {
    local prog=${words[1]} line
    local -a out cands descs
    (( $+commands[$prog] )) || [[ -x $prog ]] || prog=atomic
    out=("${(@f)$(print -rl -- "${(@)words[2,CURRENT]}" | $prog completion --complete words 2>/dev/null)}")
    case ${out[1]} in
    :files) _files ;;
    :commands) _command_names -e ;;
    *)
        for line in $out; do
            [[ -n $line ]] || continue
            cands+=("${line%%$'\t'*}")
            descs+=("${line/$'\t'/  -- }")
        done
        (( $#cands )) && compadd -l -d descs -a cands ;;
    esac
}
if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
    _atomic "$@"
else
    compdef _atomic atomic
fi
"""

FISH = r"""# fish completion for atomic. Save it as ~/.config/fish/completions/atomic.fish, or:
#   atomic completion fish | source
function __atomic_complete
    set -l tokens (commandline -opc)
    set -l prog $tokens[1]
    set -e tokens[1]
    set -l current (commandline -ct)
    command -q $prog; or test -x "$prog"; or set prog atomic
    set -l out (printf '%s\n' $tokens "$current" | $prog completion --complete words 2>/dev/null)
    switch "$out[1]"
        case :files
            __fish_complete_path "$current"
        case :commands
            __fish_complete_command
        case '*'
            printf '%s\n' $out
    end
end
complete -c atomic -f -a '(__atomic_complete)'
"""
