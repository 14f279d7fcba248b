"ARC builds must not depend on the process: Python's string-hash seed (PYTHONHASHSEED) changes set and dict-of-set orders."
import json, subprocess, sys, textwrap
from pathlib import Path

import numpy as np

SCRIPT = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from trm_nb.arc import build_arc, dataset_digest
    src, out = sys.argv[1], sys.argv[2]
    root = build_arc(out, subsets=["training", "evaluation"], test_set_name="evaluation", source=src, num_aug=5, seed=3, progress=False)
    print(json.dumps(dataset_digest(root)))
""")


def _write_tasks(d: Path):
    rng = np.random.default_rng(0)
    grid = lambda: rng.integers(0, 10, tuple(rng.integers(1, 8, 2))).tolist()
    for subset in ("training", "evaluation"):
        ch = {f"{subset}{k}": {"train": [{"input": grid(), "output": grid()} for _ in range(3)], "test": [{"input": grid()}]}
              for k in range(4)}
        (d / f"arc-agi_{subset}_challenges.json").write_text(json.dumps(ch))
        (d / f"arc-agi_{subset}_solutions.json").write_text(json.dumps({k: [grid()] for k in ch}))
    return str(d / "arc-agi")


def test_build_independent_of_hash_seed(tmp_path):
    src = _write_tasks(tmp_path)
    repo = Path(__file__).resolve().parents[1]
    digests = []
    for hs in ("1", "2", "12345"):
        r = subprocess.run([sys.executable, "-c", SCRIPT, src, str(tmp_path / f"out{hs}")], capture_output=True, text=True,
                           env={"PYTHONHASHSEED": hs, "PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin"}, cwd=repo, timeout=300)
        assert r.returncode == 0, r.stderr
        digests.append(json.loads(r.stdout.strip().splitlines()[-1]))
    assert len(digests[0]) == 14 and digests[0] == digests[1] == digests[2]


def test_a_folder_of_task_files_is_a_benchmark(tmp_path, capsys):
    "A folder of ARC-format task files (Mini-ARC, 1D-ARC) trains and scores like ARC-AGI, with a seeded split recorded."
    from trm_nb.cli import main
    rng = np.random.default_rng(1)
    grid = lambda: rng.integers(0, 10, (1, int(rng.integers(3, 6)))).tolist()
    for fam in ("flip", "fill", "move"):
        (tmp_path / "tasks" / fam).mkdir(parents=True)
        for k in range(4):
            task = {"train": [{"input": grid(), "output": grid()} for _ in range(2)], "test": [{"input": grid(), "output": grid()}],
                    "uuid": f"{fam}{k}"}
            (tmp_path / "tasks" / fam / f"{fam}_{k}.json").write_text(json.dumps(task))
    argv = ["--task", "arc1", "--preset", "smoke", "--out-dir", str(tmp_path / "results"), "--set", f"data_dir={tmp_path / 'data'}",
            "--set", f"arc_source={tmp_path / 'tasks'}", "--set", "arc_canvas=6", "--set", "max_steps=2", "--set", "arc_max_tasks=null", "--set", "run_name=f"]
    try: main(argv)
    except SystemExit as e: assert e.code in (0, None), capsys.readouterr().err
    run = json.loads((tmp_path / "results" / "arc1" / "f" / "run.json").read_text())
    assert run["status"] == "finished" and "pass@2" in run["final_metrics"]["arc"]
    assert any("held out (arc_split_seed=0)" in d for d in run["deviations"])
    held = set(json.loads((Path(run["data"]["path"]) / "test_puzzles.json").read_text()))
    assert len(held) == 4 and held <= {f"{f}-{f}_{k}" for f in ("flip", "fill", "move") for k in range(4)}   # a third, by name
    # another split seed is another dataset, built beside the first
    try: main(argv[:-2] + ["--set", "run_name=g", "--set", "arc_split_seed=1"])
    except SystemExit as e: assert e.code in (0, None), capsys.readouterr().err
    other = json.loads((tmp_path / "results" / "arc1" / "g" / "run.json").read_text())["data"]["path"]
    assert other != run["data"]["path"] and set(json.loads((Path(other) / "test_puzzles.json").read_text())) != held


def test_flat_tasks_train_on_a_flat_canvas(tmp_path, capsys):
    "One-row tasks (1D-ARC) on a 1 x 8 canvas: 8 tokens a grid, the canvas recorded beside the data, scored through it."
    from trm_nb.cli import main
    from trm_nb.arc import dataset_canvas, SHAPE_KEEPING_TIDS, parse_aug_name
    from trm_nb.data import load_split
    rng = np.random.default_rng(2)
    row = lambda: rng.integers(0, 10, (1, int(rng.integers(3, 8)))).tolist()
    for k in range(9):
        task = {"train": [{"input": row(), "output": row()} for _ in range(2)], "test": [{"input": row(), "output": row()}]}
        (tmp_path / "tasks").mkdir(exist_ok=True)
        (tmp_path / "tasks" / f"t{k}.json").write_text(json.dumps(task))
    (tmp_path / "tasks" / "wide.json").write_text(json.dumps({"train": [{"input": [[1] * 9], "output": [[2] * 9]}],
                                                             "test": [{"input": [[1] * 9], "output": [[2] * 9]}]}))
    argv = ["--task", "arc1", "--preset", "smoke", "--out-dir", str(tmp_path / "results"), "--set", f"data_dir={tmp_path / 'data'}",
            "--set", f"arc_source={tmp_path / 'tasks'}", "--set", "arc_canvas=8", "--set", "arc_canvas_rows=1",
            "--set", "max_steps=2", "--set", "arc_max_tasks=null", "--set", "run_name=flat"]
    try: main(argv)
    except SystemExit as e: assert e.code in (0, None), capsys.readouterr().err
    run = json.loads((tmp_path / "results" / "arc1" / "flat" / "run.json").read_text())
    assert run["status"] == "finished" and "pass@2" in run["final_metrics"]["arc"]
    assert any("1x8 canvas" in d for d in run["deviations"])
    root = Path(run["data"]["path"])
    meta, data = load_split(root, "train")
    assert meta.seq_len == 8 and dataset_canvas(root, 8) == (1, 8)
    names = json.loads((root / "identifiers.json").read_text())
    tids = {parse_aug_name(n)[1][0] for n in names[1:]}
    assert tids <= set(SHAPE_KEEPING_TIDS) and len(tids) > 1          # augmented, never transposed
    assert not any(n.startswith("wide") for n in names)                # 9 wide: does not fit 8 columns
