"""Start-up guard: `atomic key` and `atomic --help` import nothing heavy they do not need."""
import os
import subprocess

import pytest

from conftest import ATOMIC_PY, PYTHON, REPO, clean_env

from providers import builtins
from providers._wire.apis import APIS

HEAVY = {"ssl", "urllib.request", "http.client", "tomllib", "tomli", "subprocess",
         "providers._models.catalog", "providers._net.http", "providers._net.oauth"}
HEAVY |= {p.module_name for p in builtins() if p.module_name}
HEAVY |= {"botocore", "boto3", "json"}  # json: the cloud modules read their files only when there are some
# The conversation pipeline: the IR, the readers (wire modules, framings) and the client layer's
# exchange are not on `key`'s path; `key --header` needs the header code alone (_client.authorize).
HEAVY |= {"providers._wire.ir", "providers._wire.sse", "providers._wire.common", "providers._wire.eventstream",
          "providers._client.exchange", "providers._client.answer", "providers._client.route",
          "providers._client.passthrough", "providers._client.credentials", "providers._client.python_api",
          "providers._core.flight"}
HEAVY |= {row.module for row in APIS.values()}
# The faces (what `atomic serve` translates with) are not on key's or --help's path either.
HEAVY |= {"providers._wire.sse_write", "providers._wire.faces", "providers._wire.faces.common",
          "providers._wire.faces.openai_completions", "providers._wire.faces.openai_responses",
          "providers._wire.faces.anthropic_messages"}
# `atomic status` asks each cloud provider's module whether its own credentials are set up (files
# and variables only: no network, no botocore), so those small modules are imported there.
CLOUD_MODULES = {p.module_name for p in builtins() if "cloud" in p.auth}

# Runs atomic.main in a fresh interpreter and writes sys.modules (one name a line) to a file;
# written without json so the probe itself adds nothing.
PROBE = """
import sys
sys.path.insert(0, %r)
import atomic
try:
    code = atomic.main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
with open(sys.argv[1], "w") as f:
    f.write("%%s\\n" %% code + "\\n".join(sorted(sys.modules)))
""" % REPO

KEY = "sk-import-guard-00000000001"


def _auth_variant(home, auth='{"openai": {"type": "api_key", "key": "%s"}}' % KEY, settings=None):
    agent = os.path.join(home, "agent")
    os.mkdir(agent, 0o700)
    for name, text in (("auth.json", auth), ("settings.json", settings)):
        if text is not None:
            with open(os.path.join(agent, name), "w") as f:
                f.write(text)
            os.chmod(os.path.join(agent, name), 0o600)
    return clean_env(home, agent)


def _profile_variant(home):
    # Named logins and a folder rule: choosing one still needs nothing heavy.
    return _auth_variant(home, '{"openai": {"type": "api_key", "key": "sk-other"}, '
                               '"openai:work": {"type": "api_key", "key": "%s"}}' % KEY,
                         '{"profiles": [{"folder": "/", "use": "work"}]}')


def _pi_variant(home):
    # No directory override: atomic's own file lacks openai, so pi's ~/.pi/agent/auth.json answers.
    pi = os.path.join(home, ".pi", "agent")
    os.makedirs(pi, 0o700)
    with open(os.path.join(pi, "auth.json"), "w") as f:
        f.write('{"openai": {"type": "api_key", "key": "%s"}}' % KEY)
    os.chmod(os.path.join(pi, "auth.json"), 0o600)
    return clean_env(home)


CASES = {
    "key openai (env var)": (["key", "openai"], lambda home: clean_env(home, os.path.join(home, "agent"), OPENAI_API_KEY=KEY)),
    "key openai (auth.json)": (["key", "openai"], _auth_variant),
    "key openai --header (auth.json)": (["key", "openai", "--header"], _auth_variant),
    "key openai (pi's auth.json)": (["key", "openai"], _pi_variant),
    "key openai (a named login chosen by a folder rule)": (["key", "openai"], _profile_variant),
    "key claude (an alias, env var)": (["key", "claude"], lambda home: clean_env(home, os.path.join(home, "agent"),
                                                                            ANTHROPIC_API_KEY=KEY)),
    "key openai --explain (env var)": (["key", "openai", "--explain"],
                                       lambda home: clean_env(home, os.path.join(home, "agent"), OPENAI_API_KEY=KEY)),
    "key openai --min-valid (env var)": (["key", "openai", "--min-valid", "2h"],
                                         lambda home: clean_env(home, os.path.join(home, "agent"), OPENAI_API_KEY=KEY)),
    "--help": (["--help"], lambda home: clean_env(home)),
    "key --help": (["key", "--help"], lambda home: clean_env(home)),
    "status (api keys only)": (["status"], _auth_variant),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_nothing_heavy_is_imported(tmp_path, case):
    args, make_env = CASES[case]
    out = tmp_path / "modules.txt"
    r = subprocess.run([PYTHON, "-c", PROBE, str(out)] + args, env=make_env(str(tmp_path)),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    code, *modules = out.read_text().splitlines()
    assert code in ("0", "None"), r.stderr
    if args[0] == "key" and "--help" not in args:
        assert KEY in r.stdout.decode()
    heavy = HEAVY - CLOUD_MODULES - {"json"} if args[0] == "status" else HEAVY
    assert sorted(heavy & set(modules)) == []
    if "--help" in args:
        assert sorted(m for m in modules if m.startswith("providers._client")) == []


# The trust gate costs two lstat calls when the start folder has no .atomic or .pi: the record is
# neither read nor imported, and nothing is hashed.
UNTRUSTED_WORK = {"providers._config.trust", "hashlib", "_hashlib"}


@pytest.mark.parametrize("case", ["key openai (env var)", "key openai --header (auth.json)", "key openai --explain (env var)",
                                  "--help", "status (api keys only)"])
def test_without_a_project_folder_no_trust_record_is_read_and_nothing_hashed(tmp_path, case):
    args, make_env = CASES[case]
    out = tmp_path / "modules.txt"
    start = tmp_path / "start"
    start.mkdir()
    r = subprocess.run([PYTHON, "-c", PROBE, str(out)] + args, env=make_env(str(tmp_path)), cwd=str(start),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    code, *modules = out.read_text().splitlines()
    assert code in ("0", "None"), r.stderr
    assert sorted(UNTRUSTED_WORK & set(modules)) == []
    if args[0] == "status" or "--header" in args:
        assert "providers._config.project" in modules  # proof the gate was asked


@pytest.mark.parametrize("case", ["key openai (env var)", "key openai (auth.json)", "key openai --header (auth.json)",
                                  "key claude (an alias, env var)", "key openai (pi's auth.json)",
                                  "key openai (a named login chosen by a folder rule)"])
def test_plain_key_needs_neither_argparse_nor_json_nor_re(tmp_path, case):
    # Measured against what this interpreter imports for `pass` (a site .pth may import re itself).
    baseline = tmp_path / "baseline.txt"
    subprocess.run([PYTHON, "-c", "import sys\nwith open(sys.argv[1], 'w') as f: f.write('\\n'.join(sys.modules))",
                    str(baseline)], check=True)
    args, make_env = CASES[case]
    out = tmp_path / "modules.txt"
    r = subprocess.run([PYTHON, "-c", PROBE, str(out)] + args, env=make_env(str(tmp_path)),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    code, *modules = out.read_text().splitlines()
    assert code in ("0", "None") and KEY in r.stdout.decode(), r.stderr
    added = set(modules) - set(baseline.read_text().splitlines())
    assert "providers._auth.chain" in added  # the probe saw the command run
    assert sorted({"argparse", "json", "json.decoder", "re", "enum"} & added) == []
    # Without named logins, flag or ATOMIC_PROFILE, nothing of profiles is loaded (design §8).
    named = case == "key openai (a named login chosen by a folder rule)"
    assert ("providers._auth.profiles" in added) == named and ("providers._config.settings" in added) == named


@pytest.mark.parametrize("args, extra", [(["key", "openai"], {"OPENAI_API_KEY": KEY}), (["--help"], {})])
def test_the_real_command_line_imports_nothing_heavy(tmp_path, args, extra):
    # The same through `python atomic.py`, read from -X importtime.
    r = subprocess.run([PYTHON, "-X", "importtime", ATOMIC_PY] + args, env=clean_env(tmp_path, **extra),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert r.returncode == 0
    imported = {line.rsplit("|", 1)[1].strip() for line in r.stderr.decode().splitlines()
                if line.startswith("import time:") and "|" in line}
    # proof the parse found the imports
    assert ("providers._cli.helptext" if args == ["--help"] else "providers._auth.chain") in imported
    assert sorted(HEAVY & imported) == []


# Plain `atomic key` and `atomic models` lines skip argparse; the two parsers must agree ------

PLAIN = [["key", "openai"], ["key", "--json", "openai"], ["key", "openai", "--header", "--explain"],
         ["key", "groq", "--json", "--json"], ["key", "my-proxy", "--explain"], ["key", "OpenAI"],
         ["key", "claude"], ["models"], ["models", "--all"], ["models", "anthropic", "--reasoning"], ["models", "openai/gpt-4o"],
         ["models", "--all", "--search", "sonnet", "--json"], ["models", "--images", "--search", "x", "groq"]]
NOT_PLAIN = [[], ["key"], ["key", "--json"], ["key", "--help"], ["key", "-h", "openai"],
             ["key", "openai", "--api-key", "sk-x"], ["key", "--api-key=sk-x", "openai"],
             ["key", "openai", "--api-key-file", "/dev/null"], ["key", "--expl", "openai"],
             ["key", "--", "openai"], ["key", "openai", "groq"], ["key", "openai", "-"],
             ["status"], ["--version"], ["login", "openai"], ["keys", "openai"], ["key", "openai", "--json=1"],
             ["models", "--help"], ["models", "--search"], ["models", "--search", "--all"],
             ["models", "--search=x"], ["models", "a", "b"], ["models", "--al"],
             ["key", "openai", "--min-valid", "30m"]]   # a duration, converted by argparse


def test_plain_command_lines_parse_as_argparse_would():
    import atomic
    for argv in PLAIN:
        quick = atomic.parse_plain(argv)
        assert quick is not None, argv
        assert vars(quick) == vars(atomic.build_parser(argv).parse_args(argv)), argv
    for argv in NOT_PLAIN:
        assert atomic.parse_plain(argv) is None, argv


# Checked by each interpreter: the fast top-level help is argparse's, at every width it handles.
HELP_PROBE = """
import os, sys
sys.path.insert(0, %r)
import atomic
checked = 0
for columns in range(20, 201, 3):
    os.environ["COLUMNS"] = str(columns)
    fast = atomic.top_level_help(["--help"])
    if fast is None:
        continue
    slow = atomic.build_parser(["--help"]).format_help()
    assert fast == slow, (columns, fast, slow)
    checked += 1
assert checked > 50, checked
print(checked)
""" % REPO


def _pythons():
    import glob
    found = [PYTHON] + sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3")))
    usable = []
    for python in found:
        probe = subprocess.run([python, "-c", "import sys; assert sys.version_info >= (3, 8)"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if probe.returncode == 0 and os.path.realpath(python) not in [os.path.realpath(u) for u in usable]:
            usable.append(python)
    return usable


@pytest.mark.parametrize("python", _pythons())
def test_the_fast_top_level_help_is_argparses(python, tmp_path):
    r = subprocess.run([python, "-c", HELP_PROBE], env=clean_env(tmp_path), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    assert r.returncode == 0, r.stderr.decode()[-2000:]


def test_top_level_help_imports_no_argparse(tmp_path):
    out = tmp_path / "modules.txt"
    r = subprocess.run([PYTHON, "-c", PROBE, str(out), "--help"], env=clean_env(str(tmp_path)),
                       stdout=subprocess.PIPE, check=True)
    assert r.stdout.decode().startswith("usage: atomic [-h] [--version] COMMAND ...")
    modules = set(out.read_text().splitlines()[1:])
    assert "argparse" not in modules and "re" not in modules - _bare_modules(tmp_path)


def _bare_modules(tmp_path):
    path = tmp_path / "bare.txt"
    subprocess.run([PYTHON, "-c", "import sys\nwith open(sys.argv[1], 'w') as f: f.write('\\n'.join(sys.modules))",
                    str(path)], check=True)
    return set(path.read_text().splitlines())


def test_plain_key_command_line_does_not_import_argparse(tmp_path):
    out = tmp_path / "modules.txt"
    env = clean_env(str(tmp_path), str(tmp_path / "agent"), OPENAI_API_KEY=KEY)
    subprocess.run([PYTHON, "-c", PROBE, str(out), "key", "openai", "--header"], env=env, check=True,
                   stdout=subprocess.PIPE)
    modules = set(out.read_text().splitlines()[1:])
    assert "argparse" not in modules and "json" not in modules
    assert "providers._auth.chain" in modules


def test_help_follows_columns(tmp_path):
    def lines(columns):
        r = subprocess.run([PYTHON, ATOMIC_PY, "key", "--help"], env=clean_env(str(tmp_path), COLUMNS=str(columns)),
                           stdout=subprocess.PIPE, check=True)
        return r.stdout.decode().splitlines()
    narrow, wide = lines(50), lines(200)
    assert len(narrow) > len(wide)
    options = narrow[narrow.index("options:"):narrow.index("Where the credential comes from (first found wins):")]
    assert max(len(line) for line in options) <= 48
