"""The package's layers and written-down interfaces, checked (issue 18).

* imports: no module imports a private ``_name`` of another module (package
  ``__init__`` re-exports and the kernels a backend loads excepted), no import
  cycle between modules, and every import goes down (or across) the layers;
* the tree: few top-level modules, every subpackage says in its docstring what
  it holds and which layers it may import, and the README's Layout section is
  the one generated from the tree (``python tests/test_layout.py`` prints it);
* interfaces: the batch-solver problem protocols, the stochastic-method base
  class, the kernel-backend contract and the constants the Cython and Numba
  kernels share.
"""

import ast
import inspect
import itertools
import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "ridgejit"

#: each module's layer: an import may only go to the same or a lower layer
LAYERS = [
    ("ridgejit._config", "ridgejit._threads", "ridgejit.kernels"),
    ("ridgejit.problem", "ridgejit.initializers"),
    ("ridgejit.stats", "ridgejit._validation"),
    ("ridgejit.solvers", "ridgejit.inference"),
    ("ridgejit.ridge", "ridgejit.stochastic", "ridgejit.streaming", "ridgejit.classifier"),
    ("ridgejit.cv",),
    ("ridgejit.dask",),
    ("ridgejit.bench", "ridgejit._info", "ridgejit.plot"),
    ("ridgejit.cli",),
    ("ridgejit",),
]


def module_name(path):
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules():
    """``{module name: (path, parsed tree)}`` of every Python module in the package."""
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        out[module_name(path)] = (path, ast.parse(path.read_text(), str(path)))
    return out


def imports(name, path, tree, known):
    """``[(target module, imported name or None, lineno)]``: every ridgejit import, at any depth."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, None, node.lineno) for a in node.names if a.name.split(".")[0] == "ridgejit"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "ridgejit":
                continue
            for a in node.names:
                sub = f"{target}.{a.name}"
                # "from . import layout" imports a module; "from .x import f" a name of x
                found.append((sub, None, node.lineno) if sub in known else (target, a.name, node.lineno))
    return found


def layer_of(name):
    best = None
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if name == prefix or name.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (rank, len(prefix))
    return best[0]


@pytest.fixture(scope="module")
def graph():
    mods = modules()
    return mods, {name: imports(name, path, tree, mods) for name, (path, tree) in mods.items()}


def test_no_module_imports_another_modules_private_names(graph):
    mods, edges = graph
    bad = []
    for name, found in edges.items():
        path = mods[name][0]
        for target, imported, line in found:
            if imported is None or not imported.startswith("_") or imported.startswith("__"):
                continue
            if path.name == "__init__.py" and target.startswith(name):
                continue  # a package re-exporting its own module's names
            bad.append(f"{path.relative_to(ROOT)}:{line}: {target}.{imported}")
    assert not bad, "private names imported across modules:\n" + "\n".join(bad)


def test_no_import_cycles_between_modules(graph):
    mods, edges = graph
    adj = {name: {t for t, _, _ in found if t in mods and t != name} for name, found in edges.items()}
    # a package's __init__ importing its own submodules is how packages work, and those
    # submodules importing a sibling "from . import x" resolve to the sibling, not the package
    for name in adj:
        adj[name] = {t for t in adj[name] if not (mods[name][0].name == "__init__.py" and t.startswith(name + "."))}
    index, low, stack, on, cycles = {}, {}, [], set(), []
    counter = itertools.count()

    def strongconnect(v):
        index[v] = low[v] = next(counter)
        stack.append(v)
        on.add(v)
        for w in adj[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in adj:
        if v not in index:
            strongconnect(v)
    assert not cycles, f"import cycles: {cycles}"


def test_imports_go_down_the_layers(graph):
    mods, edges = graph
    bad = []
    for name, found in edges.items():
        for target, _, line in found:
            if target in mods and layer_of(target) > layer_of(name):
                bad.append(f"{mods[name][0].relative_to(ROOT)}:{line}: {name} (layer {layer_of(name)}) "
                           f"imports {target} (layer {layer_of(target)})")
    assert not bad, "imports that go up a layer:\n" + "\n".join(bad)


def test_every_module_has_a_layer(graph):
    mods, _ = graph
    assert all(layer_of(name) is not None for name in mods)


def test_top_level_holds_few_modules_and_every_subpackage_says_its_layer():
    top = [p.name for p in SRC.glob("*.py") if p.name != "__init__.py"]
    # 11 since classifier.py: the next estimator module should move the estimators to a subpackage
    assert len(top) <= 11, top
    for pkg in (p for p in SRC.iterdir() if (p / "__init__.py").exists()):
        doc = ast.get_docstring(ast.parse((pkg / "__init__.py").read_text()))
        assert doc and "Layer" in doc, f"{pkg.name}/__init__.py must say what it holds and its layer"


def test_no_file_grows_past_the_size_where_it_should_be_two():
    long = [str(p.relative_to(ROOT)) for p in SRC.rglob("*.py") if len(p.read_text().splitlines()) > 450]
    assert not long, long


# -- the README's Layout section -----------------------------------------------------------
def _summary(path):
    """The first line of a module's docstring, RST markup removed, cut to fit a line."""
    text = path.read_text()
    if path.suffix == ".py":
        doc = ast.get_docstring(ast.parse(text)) or ""
    elif '"""' in text:
        doc = text.split('"""')[1].strip()
    else:  # a .pxd: its leading comment
        doc = "\n".join(line.lstrip("# ") for line in text.splitlines() if line.startswith("#"))
    first = doc.splitlines()[0] if doc else ""
    first = re.sub(r":\w+:`~?([^`]+)`", r"\1", first).replace("``", "")
    if len(first) > WIDTH:
        first = first[: WIDTH - 3].rsplit(" ", 1)[0] + "..."
    return first


#: characters of a summary in the Layout block
WIDTH = 72


def layout_text():
    """The Layout block: every module of every package with the first line of its docstring."""
    lines = ["src/ridgejit/"]
    packages = sorted(p for p in SRC.iterdir() if (p / "__init__.py").exists())
    for pkg in [SRC] + packages:
        indent = "  " if pkg == SRC else "    "
        if pkg != SRC:
            lines.append(f"  {pkg.name + '/':<24}{_summary(pkg / '__init__.py')}")
        for f in sorted(p for p in pkg.iterdir() if p.suffix in (".py", ".pyx", ".pxd") and p.name != "__init__.py"):
            lines.append(f"{indent}{f.name:<{26 - len(indent)}}{_summary(f)}".rstrip())
    return "\n".join(lines)


def readme_layout():
    text = (ROOT / "README.md").read_text()
    start = text.index("## Layout")
    block = text[start:].split("```")[1]
    return block.strip("\n").removeprefix("text\n")


def test_readme_layout_is_generated_from_the_tree():
    assert readme_layout() == layout_text(), (
        "README's Layout section is out of date; paste the output of `python tests/test_layout.py`")


# -- interfaces --------------------------------------------------------------------------
def test_problem_implements_the_batch_solver_protocols():
    from conftest import make_data
    from ridgejit.kernels import get_backend
    from ridgejit.problem import Problem
    from ridgejit.solvers.base import GradientProblem, NormalEquations

    X, y, sw = make_data(n=50, p=3)
    prob = Problem(X, y[:, None], sw, np.ones(1), True, get_backend("numpy"))
    assert isinstance(prob, NormalEquations) and isinstance(prob, GradientProblem)
    assert prob.centred_target_ss == pytest.approx(sw @ (y - np.average(y, weights=sw)) ** 2, rel=1e-12)


def test_stochastic_methods_share_one_constructor_and_the_base_class():
    from ridgejit.solvers import STOCHASTIC_METHODS, StochasticMethod

    signature = inspect.signature(StochasticMethod.__init__)
    for name, cls in STOCHASTIC_METHODS.items():
        assert issubclass(cls, StochasticMethod) and cls.name == name
        assert inspect.signature(cls.__init__) == signature, name
        assert not cls.__abstractmethods__, name


def test_a_backend_missing_a_kernel_is_unavailable_and_says_which(monkeypatch):
    import ridgejit.kernels as K

    fake = types.ModuleType("ridgejit_fake_backend")
    reference = sys.modules["ridgejit.kernels.reference"]
    for k in K.CONTRACT:
        if k not in ("gradient", "svrg_inner_sparse") and hasattr(reference, k):
            setattr(fake, k, getattr(reference, k))
    monkeypatch.setitem(sys.modules, "ridgejit_fake_backend", fake)
    monkeypatch.setitem(K._MODULES, "fake", ("ridgejit_fake_backend",))
    with pytest.raises(K.BackendUnavailableError, match=r"lack the kernel\(s\) gradient, .*svrg_inner_sparse"):
        K._load("fake")
    monkeypatch.setattr(K, "BACKENDS", K.BACKENDS + ("fake",))
    assert K._cache.get("fake") is None


def test_every_backend_provides_the_whole_contract():
    from ridgejit.kernels import CONTRACT, backend_status, get_backend

    for name, (ok, reason) in backend_status().items():
        if ok:
            assert set(get_backend(name).functions) == set(CONTRACT), name


def _cython():
    from ridgejit.kernels import backend_status

    ok, reason = backend_status()["cython"]
    if not ok:
        pytest.skip(reason)
    from ridgejit.kernels import _cython_dense

    return _cython_dense


def test_cython_layout_constants_equal_the_python_ones():
    from ridgejit.kernels import layout

    assert _cython().layout_constants() == layout.names()


def test_cython_and_numba_row_block_rules_agree():
    from ridgejit.kernels.numba_dense import n_blocks
    from ridgejit.kernels.numba_sparse import sparse_blocks

    cy = _cython()
    for n in (0, 1, 255, 256, 257, 1000, 16_384, 16_385, 10**6, 10**8):
        for width in (1, 2, 7, 100, 2002, 10**5, 10**7):
            assert cy.block_rule(n, width) == n_blocks(n, width), (n, width)
            for nnz in (0, 1, 8 * width - 1, 8 * width, 50 * n, 10**9):
                assert cy.sparse_block_rule(n, nnz, width) == sparse_blocks(n, nnz, width), (n, nnz, width)


def _count():
    """``(private imports, modules in import cycles)`` over the package, for the command line."""
    mods = modules()
    edges = {name: imports(name, path, tree, mods) for name, (path, tree) in mods.items()}
    private = 0
    for name, found in edges.items():
        for target, imported, _ in found:
            if imported and imported.startswith("_") and not imported.startswith("__") and not (
                    mods[name][0].name == "__init__.py" and target.startswith(name)):
                private += 1
    try:
        test_no_import_cycles_between_modules((mods, edges))
        cycles = 0
    except AssertionError as exc:
        cycles = str(exc).count("[")
    return private, cycles


if __name__ == "__main__":
    if sys.argv[1:] == ["--imports"]:  # the counts the layers issue asks for
        private, cycles = _count()
        print(f"{len(modules())} modules; private names imported across modules: {private}; "
              f"import cycles: {cycles}")
    else:  # the README's Layout block
        print(layout_text())
