"The benchmark's command line and GPU script run end to end with tiny models (untimed: nothing asserts a speed)."
import json, os, subprocess, sys
import pytest
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
    fast = {"": {}, "-compiled": dict(compile=True, compile_scope="step"),
            "-cudagraphs": dict(compile=True, compile_scope="step", compile_mode="reduce-overhead"), "-checkpointing": dict(activation_checkpointing=True)}
    for name, want in fast.items():
        rows = json.loads((tmp_path / f"cpu-paper{name}.json").read_text())["rows"]
        assert {(x["task"], x["variant"]) for x in rows} == {("sudoku", "TRM-MLP"), ("maze", "TRM-Att"), ("arc1", "TRM-Att"), ("sudoku", "HRM")}
        assert all(x["fast"] == want and x["equal"]["ok"] for x in rows), name      # each path checked against the baseline
        assert "speedup" in (tmp_path / f"cpu-paper{name}.md").read_text()

def test_default_run_keeps_the_last_comparison_when_a_run_fails(tmp_path, monkeypatch):
    "A default-run comparison that fails half-way (a notebook error, Ctrl-C) leaves the previous one as it was, and no partial folder."
    import trm_nb.default_run as D
    class _Task:                                        # no data to build: the pair of runs is what fails here
        def dataset_path(self, cfg): return tmp_path / "data"
        def prepare(self, cfg): pass
    monkeypatch.setattr(D, "get_task", lambda name: _Task())
    name = D.default_run_name()                        # this CPU kind's comparison
    old = tmp_path / "bench" / name / "after" / "sudoku" / "r"; old.mkdir(parents=True); (old / "run.json").write_text("{}")
    def half_way(base, *a):
        (base / "before").mkdir(parents=True); (base / "before" / "partial").write_text("x")
        raise KeyboardInterrupt
    monkeypatch.setattr(D, "_run_pair", half_way)
    with pytest.raises(KeyboardInterrupt): D.default_run(out=tmp_path / "bench")
    assert (old / "run.json").read_text() == "{}"
    assert sorted(p.name for p in (tmp_path / "bench").iterdir()) == [name]
    assert not (tmp_path / "bench" / name / "before").exists()

def test_default_run_name_from_the_command_line(tmp_path, monkeypatch):
    "`--default-run --name N` writes N.json and N.md (the command in both); without --name, default-run-<cpu kind>.*; another host's stays."
    import trm_nb.bench as B, trm_nb.default_run as D
    class _Task:
        def dataset_path(self, cfg): return tmp_path / "data"
        def prepare(self, cfg): pass
    monkeypatch.setattr(D, "get_task", lambda name: _Task())
    row = lambda which, wall, acc: dict(which=which, notebook_wall_s=wall, train_wall_s=wall - 10, first_step_s=None if which == "before" else 7.5,
                                        evaluation_s=2.0, exact_accuracy=acc, token_accuracy=0.9, steps=10, processes=1,
                                        compile=which == "after", lr=1e-3, lr_min_ratio=1.0)
    monkeypatch.setattr(D, "_run_pair", lambda base, *a: [row("before", 100.0, 0.5), row("after", 40.0, 0.5)])
    (tmp_path / "default-run.json").write_text("kept")
    B.main(["--default-run", "--name", "other-host", "--out", str(tmp_path)])
    res = json.loads((tmp_path / "other-host.json").read_text())
    assert res["speedup"] == 2.5 and res["provenance"]["command"].endswith("--default-run --name other-host")
    md = (tmp_path / "other-host.md").read_text()
    assert "--name other-host" in md.splitlines()[0] and "| first_step_s | evaluation_s |" in md and "| after | 40 | 30 | 7.5 | 2 |" in md
    assert (tmp_path / "default-run.json").read_text() == "kept"
    (tmp_path / "default-run-other-cpu-amx.json").write_text("kept")     # without --name: this CPU kind's file, no other
    B.main(["--default-run", "--out", str(tmp_path)])
    mine = json.loads((tmp_path / f"{D.default_run_name()}.json").read_text())
    assert mine["provenance"]["command"].endswith("--default-run") and mine["provenance"]["cpu_kind"] == D.cpu_kind()
    assert (tmp_path / "default-run-other-cpu-amx.json").read_text() == "kept"

def test_bad_setting_is_one_line(tmp_path):
    "A bad `--fast` / `--set` value is refused before anything runs, in one line naming the field and what it accepts."
    r = subprocess.run([sys.executable, "-m", "trm_nb.bench", "--small", "--task", "sudoku", "--fast", "compile_mode=warp",
                        "--out", str(tmp_path)], cwd=ROOT, env=_env(), capture_output=True, text=True)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert r.stderr.strip().splitlines()[-1].startswith("trm_nb.bench: error: invalid config") and "compile_mode='warp'" in r.stderr
    assert not list(tmp_path.iterdir())                     # nothing written


def test_help_and_profile(tmp_path):
    "`python -m trm_nb.bench --help` answers; `--profile` writes both paths' profile of a tiny case, with the tolerances."
    r = subprocess.run([sys.executable, "-m", "trm_nb.bench", "--help"], cwd=ROOT, env=_env(), capture_output=True, text=True)
    assert r.returncode == 0 and "--default-run" in r.stdout, r.stderr[-2000:]
    import trm_nb.bench as B
    rows = B.main(["--profile", "--small", "--task", "sudoku", "--steps", "1", "--warmup", "0", "--out", str(tmp_path)])
    assert [x["path"] for x in rows] == ["baseline", "trm_nb"] and rows[1]["bound"] > 0
    saved = json.loads((tmp_path / "profile-cpu-small.json").read_text())
    assert saved["provenance"]["tolerance"] == B.TOLERANCE and "bound alone" in (tmp_path / "profile-cpu-small.md").read_text()
