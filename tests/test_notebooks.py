"The papermill entry point runs every task at the smoke preset and leaves a complete run folder."
import json, subprocess, sys
import pytest
from conftest import ROOT

def test_help_notebook_lists_parameters(env):
    r = subprocess.run([sys.executable, "-m", "papermill", "--help-notebook", str(ROOT / "nbs" / "train.ipynb")],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    for p in ("task", "preset", "variant", "seed", "data", "gpus", "resume", "out_dir", "overrides"): assert p in r.stdout

@pytest.mark.parametrize("task", ["sudoku", "maze", "arc1", "arc2"])
def test_train_notebook_smoke(task, tmp_path, env):
    out = tmp_path / f"{task}.ipynb"
    r = subprocess.run([sys.executable, "-m", "papermill", str(ROOT / "nbs" / "train.ipynb"), str(out), "-p", "task", task,
                        "-p", "preset", "smoke", "-p", "out_dir", str(tmp_path / "results"),
                        "-p", "overrides", json.dumps({"data_dir": str(tmp_path / "data")})],
                       env=env, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    runs = list((tmp_path / "results" / task).iterdir())
    assert len(runs) == 1
    run = json.loads((runs[0] / "run.json").read_text())
    assert run["status"] == "finished" and run["config"]["preset"] == "smoke" and run["final_metrics"]
    for f in ("metrics.csv", "config.json", "curves.png", "examples.png"): assert (runs[0] / f).exists(), f
    if task.startswith("arc"): assert "pass@2" in json.dumps(run["final_metrics"])

def test_unknown_value_fails_at_once(tmp_path, env):
    r = subprocess.run([sys.executable, "-m", "papermill", str(ROOT / "nbs" / "train.ipynb"), str(tmp_path / "o.ipynb"),
                        "-p", "task", "chess"], env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode != 0 and "sudoku" in (r.stderr + r.stdout)
