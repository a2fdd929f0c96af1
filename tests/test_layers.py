"""The house of providers/, read from the import graph: every import goes down a floor or stays in
its own package, siblings on one floor stay apart, and there are no circles (docs/design.md §3).

The graph counts imports inside functions (most of atomic's are, for start-up) and the edges made
by name: providers.api's lazy names and the wire-API table's modules.
"""
import ast
import os

import pytest

from conftest import REPO

from providers import api, builtins
from providers._wire.apis import APIS

PACKAGE = os.path.join(REPO, "providers")
PROVIDER_MODULES = {p.module_name for p in builtins() if p.module_name}

# The floor of each part of the house. The registry is providers/__init__.py (the rows) with _registry/.
FLOOR = {"_core": 1, "_net": 2, "_wire": 2, "_config": 2, "_auth": 3, "_registry": 3, "_models": 4,
         "_client": 5, "api": 5, "provider": 6, "_serve": 7, "_cli": 8}
# The one import that runs back up: the registry split in two for start-up (`atomic key openai`
# must not load lookup), so that find() reaches lookup and lookup the rows.
ALLOWED_UP = {("providers", "providers._registry.lookup")}
# Parts on one floor that never import each other, in either direction.
SIBLINGS_APART = [("_net", "_wire"), ("_net", "_config"), ("_wire", "_config"), ("_auth", "_registry"),
                  ("_client", "api")]
# What the registry (floor 3) may read of the floor below besides _core and _config: the wire table.
REGISTRY_READS = {"providers._wire.apis"}


def _modules():
    """{dotted module name: path} for every module under providers/."""
    found = {}
    for root, _dirs, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                rel = os.path.relpath(path, REPO)[:-3].replace(os.sep, ".")
                found[rel[:-len(".__init__")] if rel.endswith(".__init__") else rel] = path
    return found


def imports_of(module, path):
    """Every providers.* / atomic module that `module` imports (top level or inside functions)."""
    is_package = path.endswith("__init__.py")
    package = module if is_package else module.rpartition(".")[0]
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            names.add(target)
            # `from providers import api` imports the module providers.api
            names.update("%s.%s" % (target, alias.name) for alias in node.names
                         if "%s.%s" % (target, alias.name) in MODULES)
    found = {n for n in names if n == "atomic" or n == "providers" or n.startswith("providers.")}
    # `from .._core import errors` imports the package too; its face is not an edge worth a rule.
    return {n for n in found if n == "providers" or not (n in PACKAGES and any(m.startswith(n + ".") for m in found))}


MODULES = _modules()
PACKAGES = {m for m, p in MODULES.items() if p.endswith("__init__.py")}


def _by_name():
    """Edges made with importlib: providers.api's lazy names and the wire table's modules. A registry
    row's module is not one: the registry calls it through its hooks (Provider.hook), as it calls
    an extension, and the module depends on the registry, not the other way round."""
    edges = {("providers.api", (api.__name__.rpartition(".")[0] + target) if target.startswith(".") else target)
             for target, _attr in api._LAZY.values()}
    edges = {(a, b.rstrip(".")) for a, b in edges}
    edges |= {("providers._wire.apis", row.module) for row in APIS.values()}
    return edges


def _graph():
    graph = {m: set(imports_of(m, p)) & set(MODULES) for m, p in MODULES.items()}
    for a, b in _by_name():
        graph[a].add(b)
    return graph


GRAPH = _graph()


def part(module):
    """The part of the house a module belongs to (a key of FLOOR)."""
    if module == "providers":
        return "_registry"
    if module == "providers.api":
        return "api"
    if module in PROVIDER_MODULES:
        return "provider"
    name = module.split(".")[1]
    return name if name in FLOOR else "provider"


def test_the_graph_is_read():
    # The reader sees relative and absolute imports alike (else every rule below passes vacuously).
    assert "providers._core.errors" in GRAPH["providers._auth.chain"]
    assert "providers.api" in GRAPH["providers.anthropic"]
    assert "providers._net.http" in GRAPH["providers._net.oauth"]
    assert "providers" in GRAPH["providers._models.catalog"]
    assert "providers._core.prompts" in GRAPH["providers.api"]          # by name, through _LAZY
    assert "providers._wire.anthropic_messages" in GRAPH["providers._wire.apis"]


def test_every_module_has_a_floor():
    assert {m for m in MODULES if part(m) not in FLOOR} == set()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_import_goes_down_a_floor_or_stays_home(module):
    wrong = []
    for target in sorted(GRAPH[module]):
        here, there = part(module), part(target)
        if here == there or (module, target) in ALLOWED_UP:
            continue
        if FLOOR[there] >= FLOOR[here] and not (here == "_registry" and target in REGISTRY_READS):
            wrong.append("%s (floor %d) -> %s (floor %d)" % (module, FLOOR[here], target, FLOOR[there]))
    assert wrong == []


@pytest.mark.parametrize("pair", SIBLINGS_APART)
def test_siblings_on_one_floor_stay_apart(pair):
    a, b = pair
    crossing = [(m, t) for m in GRAPH for t in GRAPH[m] if {part(m), part(t)} == {a, b}
                and not (part(m) == "_registry" and t in REGISTRY_READS)]
    assert crossing == []


def test_no_circles_but_the_registry_split():
    index, low, stack, on, circles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(comp)

    for m in sorted(GRAPH):
        if m not in index:
            visit(m)
    assert circles == [{"providers", "providers._registry.lookup"}]


def test_the_public_surface_reaches_no_front_door():
    seen, todo = set(), ["providers.api"]
    while todo:
        m = todo.pop()
        for t in GRAPH[m]:
            if t not in seen and part(t) not in ("provider",):
                seen.add(t)
                todo.append(t)
    assert {m for m in seen if part(m) in ("_client", "_serve", "_cli")} == set()


@pytest.mark.parametrize("module", sorted(PROVIDER_MODULES))
def test_a_provider_module_imports_only_the_public_api(module):
    reached = imports_of(module, MODULES[module]) - {"providers"}
    assert reached == {"providers.api"}, "%s imports %s" % (module, sorted(reached))


@pytest.mark.parametrize("module", sorted(MODULES))
def test_nothing_in_providers_imports_atomic(module):
    # style.md #8: under `python atomic.py` the entry script is __main__, so importing it again
    # would split the exception classes in two.
    assert "atomic" not in imports_of(module, MODULES[module]), module


def test_every_layer_is_a_package():
    for layer in FLOOR:
        if layer.startswith("_") and layer != "_serve":
            assert os.path.exists(os.path.join(PACKAGE, layer, "__init__.py")), layer


def test_only_the_wire_table_lists_wire_api_ids():
    # Every id a registry row or a wire module names is a key of the one table.
    from providers import builtins
    assert {p.api for p in builtins()} <= set(APIS)


def test_only_the_trust_gate_reads_the_start_folder():
    # docs/design.md §3: ctx.cwd (and os.getcwd, behind it) in _config/project.py alone, so that no
    # project file is read past the trust gate.
    allowed = {"providers._config.project": "cwd", "providers._core.context": "getcwd"}
    readers = set()
    for module, path in MODULES.items():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("cwd", "getcwd", "getcwdb"):
                if allowed.get(module) != node.attr:
                    readers.add("%s: .%s (line %d)" % (module, node.attr, node.lineno))
    assert readers == set()


# Single owners: each step that must happen one way has one module that does it (docs/design.md §11) --

def _calls(module):
    """[(callee name, first argument if a string constant, enclosing function)] of every call in a module."""
    with open(MODULES[module], encoding="utf-8") as f:
        tree = ast.parse(f.read())
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, ast.Call):
                func = child.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                first = child.args[0].value if child.args and isinstance(child.args[0], ast.Constant) else None
                found.append((name, first, inner))
            visit(child, inner)

    visit(tree, None)
    return found


def _modules_calling(predicate):
    return sorted(m for m in MODULES if any(predicate(name, first) for name, first, _f in _calls(m)))


def test_the_graph_of_calls_is_read():
    assert ("open_stream", "POST", None) not in _calls("providers._client.exchange")  # the method is a variable
    assert any(name == "open_stream" for name, _a, _f in _calls("providers._client.exchange"))


def test_only_authorize_calls_prepare_and_the_signer():
    prepare = _modules_calling(lambda name, first: name == "hook" and first == "prepare")
    assert prepare == ["providers._client.authorize"]
    assert _modules_calling(lambda name, first: name == "signer") == ["providers._client.authorize"]


def test_only_the_exchange_opens_a_stream_to_a_model():
    # Provider modules may stream their own login or refresh traffic; the HTTP layer defines it.
    callers = _modules_calling(lambda name, first: name == "open_stream")
    others = [m for m in callers if part(m) not in ("_net", "provider")]
    assert others == ["providers._client.exchange"]


def test_only_refresh_calls_a_module_s_refresh_hook():
    assert _modules_calling(lambda name, first: name == "refresh" or (name == "hook" and first == "refresh")) == [
        "providers._auth.refresh"]


def test_only_the_store_writes_auth_json():
    writers = _modules_calling(lambda name, first: name in ("write_json_atomic", "PendingWrite"))
    assert "providers._auth.store" in writers
    # In the store, only update_auth writes (under the lock, re-read first).
    assert {f for name, _a, f in _calls("providers._auth.store") if name in ("write_json_atomic", "PendingWrite")} == {
        "update_auth"}
    for module in writers:
        if module in ("providers._auth.store", "providers._core.writes"):  # the store; how any file is written
            continue
        with open(MODULES[module], encoding="utf-8") as f:
            tree = ast.parse(f.read())
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                      and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
        code = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                and id(n) not in docstrings] + [n.id for n in ast.walk(tree) if isinstance(n, ast.Name)]
        assert not [c for c in code if "auth.json" in c or c in ("AUTH_FILE", "auth_path")], module
