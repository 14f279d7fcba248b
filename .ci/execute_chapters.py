"""Re-execute the chapters in nbs/ in place, so each carries its outputs (tables, pictures) for readers.

    python .ci/execute_chapters.py              # every chapter (index and numbered notebooks)
    python .ci/execute_chapters.py nbs/01_model.ipynb ...
    python .ci/execute_chapters.py --check      # fail if a chapter has no output at all (CI runs this)
    python .ci/execute_chapters.py nbs/analyses.ipynb -p transfer_csvs hf   # papermill parameters for study notebooks

Cells run as `nbdev_test` runs them: `#| eval: false` cells and cells flagged `slow`, `gpu` or `notest`
are skipped and keep the outputs they had. Notebooks with `skip_exec` frontmatter are papermill entry
points: nbs/train.ipynb (its runs go to results/) is left alone; the study notebooks (table*.ipynb, analyses.ipynb, beyond.ipynb) are run
with papermill at their default scale with `-p train False` (where they can train), so they only collect the runs committed in
results/ and rewrite their tables and figures, and their outputs are copied back into nbs/. Pictures are PNG at a small dpi so that
nbs/ stays small. Each notebook runs in its own process, in its own folder, and stops at the first error."""
import json, os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP_FLAGS = {"slow", "gpu", "notest"}

def chapters():
    return [p for p in sorted((ROOT / "nbs").glob("*.ipynb")) if not p.name.startswith("_")]

def has_outputs(p: Path) -> bool:
    return any(c.get("outputs") for c in json.loads(p.read_text())["cells"] if c["cell_type"] == "code")

def skip_exec(p: Path) -> bool:
    cells = json.loads(p.read_text())["cells"]
    return bool(cells) and cells[0]["cell_type"] == "raw" and "skip_exec: true" in "".join(cells[0]["source"])

def papermill_outputs(p: Path, params=()):
    "Run a study notebook with papermill (collect only) and copy its outputs into `p`, cell by cell."
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / p.name
        # Agg as in CI: under the inline backend a figure left open is shown a second time at the end of its cell
        env = {**os.environ, "MPLBACKEND": "Agg"}
        cells = json.loads(p.read_text())["cells"]
        trains = any("parameters" in c["metadata"].get("tags", []) and "train:" in "".join(c["source"]) for c in cells)
        collect = ["-p", "train", "False"] if trains else []       # a notebook that never trains has no such switch
        subprocess.run([sys.executable, "-m", "papermill", str(p), str(out), *collect, *params, "--cwd", str(p.parent)], check=True, env=env)
        ran = {"".join(c["source"]): c for c in json.loads(out.read_text())["cells"] if c["cell_type"] == "code"}
    nb = json.loads(p.read_text())
    for c in nb["cells"]:
        r = ran.get("".join(c["source"]))
        if c["cell_type"] == "code" and r is not None: c["outputs"], c["execution_count"] = r["outputs"], r.get("execution_count")
    p.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")

def run_one(path: str):
    "Execute one notebook in this process (called in a subprocess) and write it back."
    os.environ.pop("MPLBACKEND", None); os.environ["IN_TEST"] = "1"
    from execnb.shell import CaptureShell
    from execnb.nbio import read_nb, write_nb
    from nbdev.process import NBProcessor, extract_directives
    p = Path(path).resolve()
    nb = read_nb(p)
    def skip(cell):
        if cell.cell_type != "code": return True
        d = extract_directives(cell, remove=False)
        return d.get("eval:", [""])[0].lower() == "false" or bool(SKIP_FLAGS & set(d))
    os.chdir(p.parent)
    k = CaptureShell(p, mpl_format="png")
    k._run("import matplotlib; matplotlib.rcParams['figure.dpi'] = 60")
    k.run_all(nb, exc_stop=True, preproc=skip)
    write_nb(nb, p)

if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--run-one"]: run_one(args[1]); sys.exit(0)
    if args[:1] == ["--check"]:
        bare = [p.name for p in chapters() if p.name != "train.ipynb" and not has_outputs(p)]
        if bare: sys.exit(f"chapters without outputs (run `python .ci/execute_chapters.py` and commit): {bare}")
        print(f"every chapter carries outputs ({len(chapters())} notebooks)"); sys.exit(0)
    params = []
    while "-p" in args:                       # -p NAME VALUE: passed to papermill for the study notebooks
        i = args.index("-p"); params += args[i:i + 3]; del args[i:i + 3]
    todo = [Path(a).resolve() for a in args] or chapters()
    for p in todo:
        if skip_exec(p) and (p.name.startswith("table") or p.name in ("analyses.ipynb", "beyond.ipynb")): print(f"collect {p.name} (papermill)", flush=True); papermill_outputs(p, params); continue
        if skip_exec(p): print(f"skip {p.name} (skip_exec)"); continue
        print(f"execute {p.name}", flush=True)
        r = subprocess.run([sys.executable, __file__, "--run-one", str(p)])
        if r.returncode: sys.exit(f"{p.name} failed")
    subprocess.run(["nbdev_clean"], cwd=ROOT, check=True)
