"The papermill entry point runs every task at the smoke preset and leaves a complete run folder."
import json, re, subprocess, sys
import pytest
from conftest import ROOT

def test_help_notebook_lists_parameters(env):
    r = subprocess.run([sys.executable, "-m", "papermill", "--help-notebook", str(ROOT / "nbs" / "train.ipynb")],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    for p in ("task", "preset", "variant", "seed", "data", "gpus", "resume", "out_dir", "overrides"): assert p in r.stdout

def check_reads_cleanly(nb_path, stderr: str, trained_here: bool = True):
    "The executed notebook keeps results, not progress: no warning, control sequence or empty stream piece, under 100 outputs."
    outs = [o for c in json.loads(nb_path.read_text())["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert len(outs) < 100, f"{len(outs)} output entries"
    streams = ["".join(o["text"]) for o in outs if o["output_type"] == "stream"]
    assert all(t.strip() for t in streams), f"an empty stream fragment: {streams}"
    shown = ["".join(v) for o in outs for k, v in o.get("data", {}).items() if k.startswith("text/")]
    for bad in ("IProgress", "TqdmWarning", "\x1b", "\r"):
        assert not any(bad in t for t in streams + shown), f"{bad!r} in the stored outputs"
    # the live bars reached the terminal (papermill's stderr); the notebook keeps the training loop's final line
    assert re.search(r"\d+/\d+ \[", stderr), stderr[-2000:]
    if trained_here:
        assert re.search(r"\d+/\d+ \[.*(step/s|s/step)", stderr), stderr[-2000:]      # a slow step shows as s/step
        assert re.search(r"^\S.*: (\d+)/\1 in \d\d:\d\d \([\d.]+(step/s|s/step)", "".join(streams), re.M), streams

@pytest.mark.parametrize("task,voted", [("sudoku", False), ("maze", False), ("arc1", True), ("arc2", True)])
def test_train_notebook_smoke(task, voted, tmp_path, env):
    out = tmp_path / f"{task}.ipynb"
    r = subprocess.run([sys.executable, "-m", "papermill", str(ROOT / "nbs" / "train.ipynb"), str(out), "-p", "task", task,
                        "-p", "preset", "smoke", "-p", "out_dir", str(tmp_path / "results"),
                        "-p", "overrides", json.dumps({"data_dir": str(tmp_path / "data")})],
                       env=env, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    check_reads_cleanly(out, r.stderr)
    runs = list((tmp_path / "results" / task).iterdir())
    assert len(runs) == 1
    run = json.loads((runs[0] / "run.json").read_text())
    assert run["status"] == "finished" and run["config"]["preset"] == "smoke" and run["final_metrics"]
    for f in ("metrics.csv", "config.json", "curves.png", "examples.png"): assert (runs[0] / f).exists(), f
    assert ("arc" in run["final_metrics"]) == voted          # ARC tasks vote over augmented copies
    if voted:
        assert "pass@2" in json.dumps(run["final_metrics"])
        sub = json.loads((runs[0] / "eval" / f"submission_step_{run['steps']}.json").read_text())
        assert sub and all("attempt_1" in a and "attempt_2" in a for v in sub.values() for a in v)

def test_unknown_value_fails_at_once(tmp_path, env):
    r = subprocess.run([sys.executable, "-m", "papermill", str(ROOT / "nbs" / "train.ipynb"), str(tmp_path / "o.ipynb"),
                        "-p", "task", "chess"], env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode != 0 and "sudoku" in (r.stderr + r.stdout)


SHARED = ROOT.parent / "shared" / "data"

@pytest.mark.skipif(not (SHARED / "sudoku-extreme").exists(), reason="../shared/data not here: no local Sudoku-Extreme CSV")
def test_paper_preset_prints_official_hyperparameters_and_estimate(tmp_path, env):
    "The paper preset on CPU, plan only: the official hyperparameters and a time estimate, before any training."
    over = {"data_dir": str(tmp_path / "data"), "train_csv": str(SHARED / "sudoku-extreme" / "train_1k_subset.csv"),
            "test_csv": str(SHARED / "sudoku-tdoku-hard" / "puzzles6_forum_hardest_1106.csv")}
    out = tmp_path / "plan.ipynb"
    r = subprocess.run([sys.executable, "-m", "papermill", str(ROOT / "nbs" / "train.ipynb"), str(out), "-p", "preset", "paper",
                        "-p", "plan_only", "True", "-p", "out_dir", str(tmp_path / "results"), "-p", "overrides", json.dumps(over)],
                       env=env, capture_output=True, text=True, timeout=1200, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    # read what the cells printed, not the notebook's own source (which names the same words)
    cells = json.loads(out.read_text())["cells"]
    text = json.dumps([c.get("outputs", []) for c in cells if c["cell_type"] == "code"])
    for s in ("global_batch_size", "768", "weight_decay", "0.0001", "50000", "s per step", "should take about", "paper's text"):
        assert s in text, s
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").rglob("run.json"))


def test_train_notebook_gpus_parameter_launches_torchrun(tmp_path, env):
    "`-p gpus 2` relaunches the run through torchrun (gloo on CPU) and the notebook reports it."
    r = subprocess.run([sys.executable, "-m", "papermill", str(ROOT / "nbs" / "train.ipynb"), str(tmp_path / "g.ipynb"),
                        "-p", "task", "maze", "-p", "preset", "smoke", "-p", "gpus", "2", "-p", "out_dir", str(tmp_path / "results"),
                        "-p", "overrides", json.dumps({"data_dir": str(tmp_path / "data")})],
                       env=env, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    run = json.loads(next((tmp_path / "results" / "maze").glob("*/run.json")).read_text())
    assert run["status"] == "finished" and run["world_size"] == 2
    assert "torch.distributed.run" in (tmp_path / "g.ipynb").read_text()
    check_reads_cleanly(tmp_path / "g.ipynb", r.stderr, trained_here=False)     # the processes' bars went to the terminal

def test_default_command_finds_no_committed_run():
    "`papermill nbs/train.ipynb out.ipynb -p task T` refuses a folder that already holds a run: a clean checkout must not ship one there."
    r = subprocess.run(["git", "ls-files", "results"], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0: pytest.skip("not a git checkout")
    from trm_nb.study import STUDY_TASKS
    shipped = [p for p in r.stdout.split() if p.split("/")[1] in STUDY_TASKS]
    assert not shipped, f"committed files where the default train command writes its run: {shipped[:3]}"
