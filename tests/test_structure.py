"""The package's structure: the layering documented in the README's map holds in the code.

Each module of trm_nb/ sits on one floor of the README's "Layers of the package" table. A module imports
trm_nb modules only at its top (never inside a function, where a dependency hides), only from its own
floor or below, and the imports form no cycle. Modules stay short enough to read in one sitting."""
import ast, re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "trm_nb"
GENERATED = {"__init__", "_modidx"}          # nbdev's package root and its generated index
MAX_LINES = 450                               # a module over this has more than one job
NETWORK_MUST_NOT_IMPORT = {"config", "tasks", "presets", "engine", "train", "runs", "checkpoint", "scoring", "study", "cli"}


def floors() -> dict:
    "module -> floor number, from the README's table `| floor | modules | ... |` under '## Layers of the package'."
    text = (ROOT / "README.md").read_text()
    section = text.split("## Layers of the package", 1)
    assert len(section) == 2, "README.md has no '## Layers of the package' section"
    out = {}
    for line in section[1].split("\n## ", 1)[0].splitlines():
        m = re.match(r"\|\s*(\d+)\s*\|([^|]+)\|", line)
        if not m: continue
        for name in re.findall(r"`([a-z_]+)`", m.group(2)):
            assert name not in out, f"README's layers list `{name}` twice"
            out[name] = int(m.group(1))
    return out


def modules() -> list:
    return sorted(p.stem for p in PKG.glob("*.py") if p.stem not in GENERATED)


def trm_imports(tree: ast.Module, mods: set) -> list:
    "(module imported, line, at top level?) for every import of a trm_nb module."
    top = {id(n) for n in tree.body}
    out = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level == 1 or mod == "trm_nb" or mod.startswith("trm_nb."):
                base = mod.removeprefix("trm_nb").lstrip(".") if node.level == 0 else mod
                if base: names.append(base.split(".")[0])
                else: names += [a.name for a in node.names if a.name in mods]   # from . import x / from trm_nb import x
        elif isinstance(node, ast.Import):
            names += [a.name.split(".")[1] for a in node.names if a.name.startswith("trm_nb.")]
        out += [(n, node.lineno, id(node) in top) for n in names if n in mods]
    return out


def graph() -> dict:
    mods = set(modules())
    return {m: trm_imports(ast.parse((PKG / f"{m}.py").read_text()), mods) for m in mods}


def test_every_module_has_one_floor():
    fl, mods = floors(), modules()
    assert not set(mods) - set(fl), f"modules missing from the README's layers: {sorted(set(mods) - set(fl))}"
    assert not set(fl) - set(mods), f"the README's layers name modules that do not exist: {sorted(set(fl) - set(mods))}"


def test_imports_at_the_top_and_never_upwards():
    fl, bad = floors(), []
    for m, imps in graph().items():
        for dep, line, at_top in imps:
            if not at_top: bad.append(f"trm_nb/{m}.py:{line} imports {dep} inside a function or block")
            elif fl[dep] > fl[m]: bad.append(f"trm_nb/{m}.py:{line} (floor {fl[m]}) imports {dep} (floor {fl[dep]}): upwards")
    assert not bad, "\n".join(bad)


def test_no_import_cycle():
    g = {m: sorted({d for d, _, _ in imps if d != m}) for m, imps in graph().items()}
    state, stack, cycles = {}, [], []
    def visit(m):
        state[m] = "open"; stack.append(m)
        for d in g[m]:
            if state.get(d) == "open": cycles.append(stack[stack.index(d):] + [d])
            elif d not in state: visit(d)
        stack.pop(); state[m] = "done"
    for m in g:
        if m not in state: visit(m)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_network_knows_no_run():
    g = graph()
    for m in ("layers", "model", "variants"):
        assert not {d for d, _, _ in g[m]} & NETWORK_MUST_NOT_IMPORT, f"trm_nb/{m}.py imports {sorted({d for d, _, _ in g[m]})}"


def test_modules_are_short():
    long = {m: n for m in modules() if (n := len((PKG / f"{m}.py").read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_the_checks_catch_what_they_look_for(tmp_path):
    "The import reader sees relative, absolute and package imports, at the top and inside functions."
    src = "from .a import x\nimport trm_nb.b\nfrom trm_nb import c\ndef f():\n    from trm_nb.d import y\n"
    imps = trm_imports(ast.parse(src), {"a", "b", "c", "d"})
    assert [(n, top) for n, _, top in imps] == [("a", True), ("b", True), ("c", True), ("d", False)]


def test_papermill_reads_every_parameter():
    "papermill parses every annotated line of each parameters cell (a comment it cannot parse makes `-p NAME` 'unknown')."
    import json, re
    from papermill.translators import PythonTranslator
    seen = 0
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        for c in json.loads(nb.read_text())["cells"]:
            if "parameters" not in c.get("metadata", {}).get("tags", []): continue
            src = "".join(c["source"])
            names = {p.name for p in PythonTranslator.inspect({"source": src})}
            assert {m.group(1) for m in re.finditer(r"^(\w+)\s*:", src, re.M)} <= names, nb.name
            seen += 1
    assert seen >= 7
