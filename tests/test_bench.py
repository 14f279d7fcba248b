"The benchmark's command line and GPU script run end to end with tiny models (untimed: nothing asserts a speed)."
import json, os, subprocess, sys
from pathlib import Path
ROOT = Path(__file__).resolve().parent.parent

def _env():
    return dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")

def test_module_small(tmp_path):
    r = subprocess.run([sys.executable, "-m", "trm_nb.bench", "--small", "--task", "sudoku", "--variant", "HRM", "--steps", "1",
                        "--repeats", "1", "--warmup", "1", "--out", str(tmp_path)], cwd=ROOT, env=_env(), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = json.loads((tmp_path / "cpu-cpu-small.json").read_text())["rows"]
    assert {(x["phase"], x["impl"]) for x in rows} == {("train", "baseline"), ("train", "trm_nb"), ("eval", "baseline"), ("eval", "trm_nb")}
    assert all(x["equal"]["ok"] and x["variant"] == "HRM" for x in rows)

def test_gpu_script_on_cpu(tmp_path):
    r = subprocess.run(["bash", "scripts/bench_gpu.sh", str(tmp_path), "--small", "--steps", "1", "--repeats", "1", "--warmup", "1"],
                       cwd=ROOT, env=_env() | {"DEVICE": "cpu"}, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "h on H100 SXM" in (tmp_path / "analytic.md").read_text()
    rows = json.loads((tmp_path / "cpu-paper.json").read_text())["rows"]
    assert {(x["task"], x["variant"]) for x in rows} == {("sudoku", "TRM-MLP"), ("maze", "TRM-Att"), ("arc1", "TRM-Att"), ("sudoku", "HRM")}
    assert "speedup" in (tmp_path / "cpu-paper.md").read_text()
