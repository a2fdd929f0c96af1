"""The layers of providers/, read from the import graph: each imports only what its rules allow."""
import ast
import os

import pytest

from conftest import REPO

from providers import builtins

PACKAGE = os.path.join(REPO, "providers")
PROVIDER_MODULES = {p.module_name for p in builtins() if p.module_name}


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
    return {n for n in names if n == "atomic" or n == "providers" or n.startswith("providers.")}


MODULES = _modules()


def test_the_graph_is_read():
    # The reader sees relative and absolute imports alike (else every rule below passes vacuously).
    assert "providers._core.errors" in imports_of("providers._core.chain", MODULES["providers._core.chain"])
    assert "providers.api" in imports_of("providers.anthropic", MODULES["providers.anthropic"])
    assert "providers._net.http" in imports_of("providers._net.oauth", MODULES["providers._net.oauth"])
    assert "providers" in imports_of("providers._models.catalog", MODULES["providers._models.catalog"])


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("providers._core")))
def test_core_imports_nothing_outside_core(module):
    outside = {n for n in imports_of(module, MODULES[module]) if not n.startswith("providers._core")}
    assert outside == set(), "%s reaches outside _core: %s" % (module, sorted(outside))


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("providers._wire")))
def test_wire_never_imports_a_provider_module(module):
    reached = imports_of(module, MODULES[module])
    assert reached & PROVIDER_MODULES == set(), module
    assert not any(n.startswith("providers._cli") for n in reached), module


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
    for layer in ("_core", "_net", "_models", "_wire", "_cli"):
        assert os.path.exists(os.path.join(PACKAGE, layer, "__init__.py")), layer
