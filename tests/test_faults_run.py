"""The fault suite, part 2: a finished run is final, resume trusts nothing it has not verified, nothing is left behind.

Each case is one that was seen to fail (the issue "Reliability"): it asserts the exit status, the one line that names
the field or file, and that nothing was lost, left behind or trained twice. Smoke scale, one thread."""
import json, math, os, signal, subprocess, sys, time, warnings
from pathlib import Path
import pytest
import torch
from conftest import ROOT, train_cmd
from test_faults import cli, snapshot, one_line, trained     # noqa: F401 (a fixture)

from trm_nb.checkpoint import checkpoints

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def dead_pid() -> int:
    "The pid of a process that has ended."
    p = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(p.stdout)


# 1. finished is final
def test_continue_leaves_a_finished_run_without_checkpoints_alone(trained, tmp_path, capsys):
    "A study keeps only final/ of a finished run: 'continue or start' must not retrain it with another max_steps."
    rd, _ = trained
    import shutil
    shutil.rmtree(rd / "checkpoints")
    before = snapshot(rd)
    capsys.readouterr()
    code, err = cli(tmp_path, "r", "max_steps=4", capsys=capsys, extra=("--resume", "--fresh-if-missing"))
    assert code == 0 and snapshot(rd) == before
    code, err = cli(tmp_path, "r", "max_steps=2", capsys=capsys, extra=("--resume", "--fresh-if-missing"))
    assert code == 0 and snapshot(rd) == before
    # more steps than it ran: it cannot go on without a checkpoint, and says so; the run is untouched
    code, err = cli(tmp_path, "r", "max_steps=8", capsys=capsys, extra=("--resume", "--fresh-if-missing"))
    assert code == 2 and "finished at step 4" in one_line(err) and "--overwrite" in one_line(err)
    assert snapshot(rd) == before
    # a fresh start is refused too
    code, err = cli(tmp_path, "r", "max_steps=4", capsys=capsys)
    assert code == 2 and "finished at step 4" in one_line(err) and snapshot(rd) == before


def test_resume_of_a_finished_run_is_a_no_op_or_an_extension(trained, tmp_path, capsys):
    rd, before = trained
    capsys.readouterr()
    code, _ = cli(tmp_path, "r", "max_steps=4", "checkpoint_every=2", capsys=capsys, extra=("--resume",))
    assert code == 0 and snapshot(rd) == before
    code, err = cli(tmp_path, "r", "max_steps=6", "checkpoint_every=2", capsys=capsys, extra=("--resume",))
    assert code == 0, err
    run = json.loads((rd / "run.json").read_text())
    assert run["status"] == "finished" and run["steps"] == 6 and run["resumes"][-1]["changed"] == {"max_steps": [4, 6]}


RUNNER = """
import sys
from trm_nb.study import StudyRun, run_all
out, data, names = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
cfgs = [StudyRun(1, n, n, seed=0).config("smoke", out, data_dir=data) for n in names]
print({k: v for k, v in run_all(cfgs, terminal=False).items()})
"""


def test_two_study_runners_over_overlapping_runs_train_each_once(tmp_path, env):
    "Two runners share a run (Tables 1 and 2 share TRM-MLP): each run is trained once, neither crashes."
    out, data = tmp_path / "results", tmp_path / "data"
    # build the shared dataset first, so both runners reach the shared run at the same time
    subprocess.run([sys.executable, "-c", RUNNER, str(out / "warm"), str(data), "TRM-MLP"], env=env, check=True,
                   capture_output=True, timeout=600)
    runs = [subprocess.Popen([sys.executable, "-c", RUNNER, str(out), str(data), names], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for names in ("TRM-MLP,TRM-Att", "TRM-MLP,HRM")]
    outs = [p.communicate(timeout=900) for p in runs]
    assert all(p.returncode == 0 for p in runs), [o[1][-2000:] for o in outs]
    assert all("Traceback" not in o[1] for o in outs)
    for name in ("TRM-MLP", "TRM-Att", "HRM"):
        run = json.loads((out / "sudoku" / f"{name}-seed0" / "run.json").read_text())
        assert run["status"] == "finished" and "resumes" not in run, name      # trained once, from scratch, to the end
    said = outs[0][1] + outs[1][1]
    assert "finished by another process meanwhile" in said or "another process is training it" in said


# 2. the checks hold in the Python API and in papermill too
def test_python_api_validates(tmp_path):
    from trm_nb.config import TrainConfig, ConfigError
    from trm_nb.train import Trainer
    for kw, where in [(dict(max_steps=0), "max_steps=0"), (dict(ema="no"), "ema='no'"), (dict(run_name="../x"), "run_name='../x'"),
                      (dict(lr="abc"), "lr='abc'"), (dict(variant="TRM-Att", d=6, num_heads=2), "must be even"),
                      (dict(expansion=0.001), "expansion=0.001")]:
        with pytest.raises(ConfigError, match=None) as e:
            Trainer(TrainConfig(out_dir=str(tmp_path), **kw))
        assert where in str(e.value)
    assert not any(tmp_path.iterdir())                                     # nothing written


def test_papermill_unknown_or_mistyped_parameter_stops_before_training(tmp_path, env):
    for p, where in [(("-p", "N_sup", "abc"), "unknown parameter(s) ['N_sup']"), (("-p", "overrides", "{bad json"), "overrides='{bad json'"),
                     (("-p", "overrides", "[1, 2]"), "overrides=[1, 2]")]:
        r = subprocess.run([sys.executable, "-m", "papermill", str(ROOT / "nbs" / "train.ipynb"), str(tmp_path / "o.ipynb"),
                            "-p", "task", "sudoku", "-p", "preset", "smoke", "-p", "out_dir", str(tmp_path / "results"), *p],
                           env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert r.returncode != 0 and where in r.stderr, (p, r.stderr[-1500:])
        assert not (tmp_path / "results").exists()                         # stopped before anything was built or trained


# 3. resume and evaluation trust nothing they have not verified
@pytest.mark.parametrize("part", ["main.pt", "rank0.pt"])
def test_flipped_bytes_in_newest_checkpoint_fall_back_with_a_warning(trained, tmp_path, capsys, part):
    rd, _ = trained
    newest = checkpoints(rd / "checkpoints")[0]
    p = newest / part
    raw = bytearray(p.read_bytes())
    mid = len(raw) // 2
    raw[mid:mid + 64] = bytes(b ^ 0xFF for b in raw[mid:mid + 64])
    p.write_bytes(raw)
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        code, err = cli(tmp_path, "r", "max_steps=6", "checkpoint_every=2", capsys=capsys, extra=("--resume",))
    assert code == 0, err
    assert any(str(p) in str(w.message) and "falling back" in str(w.message) for w in ws)
    run = json.loads((rd / "run.json").read_text())
    assert run["resumes"][-1]["checkpoint"] == "step_2" and run["status"] == "finished"


def test_resume_prints_changed_settings_and_strict_resume_refuses(tmp_path, capsys):
    code, err = cli(tmp_path, "c", "max_steps=4", "checkpoint_every=2", "lr=0.002", capsys=capsys)
    assert code == 0, err
    ck = tmp_path / "results" / "sudoku" / "c" / "checkpoints"
    (ck / "latest.json").write_text(json.dumps(dict(step=2, path="step_2", kept=["step_2"])))   # as if stopped at 2
    rd = ck.parent
    json_run = json.loads((rd / "run.json").read_text())
    json_run["status"] = "interrupted: training at step 2"
    (rd / "run.json").write_text(json.dumps(json_run))
    before = snapshot(rd)
    code, err = cli(tmp_path, "c", "max_steps=4", "checkpoint_every=2", "lr=0.001", "weight_decay=0.123", capsys=capsys,
                    extra=("--resume", "--strict-resume"))
    line = one_line(err)
    assert code == 2 and "lr 0.002 -> 0.001" in line and "weight_decay" in line and snapshot(rd) == before
    capsys.readouterr()
    try: from trm_nb.cli import main; main(train_cmd(tmp_path, "c", "max_steps=4", "checkpoint_every=2", "lr=0.001")[3:] + ["--resume"])
    except SystemExit as e: assert e.code in (0, None)
    out = capsys.readouterr().out
    assert "with changed settings" in out and "lr 0.002 -> 0.001" in out


def test_non_finite_weights_are_never_scored_and_the_advice_is_sane(tmp_path, capsys):
    code, err = cli(tmp_path, "n", "lr=1e10", "lr_warmup_steps=1", "max_steps=20", "log_every=10", "checkpoint_every=1",
                    "eval_every=1", capsys=capsys)
    line = one_line(err)
    assert code == 1 and "non-finite" in line
    rd = tmp_path / "results" / "sudoku" / "n"
    for p in (rd / "eval").glob("step_*.json"):                             # what was scored, was scored on finite weights
        flat = json.dumps(json.loads(p.read_text()))
        assert "NaN" not in flat and "Infinity" not in flat, p
    # the kept checkpoints' weights are finite but blown up (~1e10): the advice does not send the user back to them
    assert "no checkpoint is sane" in line or "the newest sane one is" in line
    if "the newest sane one is" in line:
        sane = line.split("the newest sane one is ")[1].split(":")[0]
        st = torch.load(Path(sane) / "main.pt", weights_only=False)
        assert max(float(v.abs().max()) for v in st["model"].values() if v.is_floating_point()) < 1e6


# 4. nothing left behind
def test_temporaries_of_killed_writes_are_removed_at_the_next_start(trained, tmp_path, capsys):
    rd, _ = trained
    pid = dead_pid()
    ck = rd / "checkpoints"
    left = [ck / f".latest.json.tmp-{pid}", rd / f".metrics.csv.tmp-{pid}", rd / f".run.json.tmp-{pid}",
            rd / "eval" / f".step_4.npz.tmp-{pid}"]
    for p in left: p.write_text("half")
    (ck / "step_100").mkdir()
    (ck / "step_100" / f".main.pt.tmp-{pid}").write_bytes(b"half a checkpoint")
    code, err = cli(tmp_path, "r", "max_steps=6", "checkpoint_every=2", capsys=capsys, extra=("--resume",))
    assert code == 0, err
    assert not any(p.exists() for p in left) and not (ck / "step_100").exists()
    assert not list(rd.rglob("*.tmp-*"))


def test_sigterm_records_an_interrupted_resumable_run(tmp_path, env):
    cmd = train_cmd(tmp_path, "t", "max_steps=400", "checkpoint_every=5", "log_every=1")
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rd = tmp_path / "results" / "sudoku" / "t"
    t0 = time.time()
    while not (rd / "checkpoints" / "latest.json").exists() and time.time() - t0 < 300 and p.poll() is None: time.sleep(0.2)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 128 + signal.SIGTERM, err[-2000:]
    lines = [l for l in err.splitlines() if l.startswith("trm_nb.train:")]
    assert len(lines) == 1 and "interrupted (SIGTERM)" in lines[0] and "--resume" in lines[0] and "Traceback" not in err
    run = json.loads((rd / "run.json").read_text())
    assert run["status"].startswith("interrupted: ")
    r = subprocess.run(train_cmd(tmp_path, "t", "max_steps=12", "checkpoint_every=5", "log_every=1") + ["--resume"],
                       env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((rd / "run.json").read_text())["status"] == "finished"


def test_saved_random_states_are_the_same_in_two_identical_runs(tmp_path, capsys):
    for name in ("a", "b"):
        code, err = cli(tmp_path, name, "max_steps=2", capsys=capsys)
        assert code == 0, err
    st = [torch.load(checkpoints(tmp_path / "results" / "sudoku" / n / "checkpoints")[0] / "rank0.pt", weights_only=False)["rng"]
          for n in ("a", "b")]
    assert st[0]["python"] == st[1]["python"]
    assert all((a == b).all() if hasattr(a, "all") else a == b for a, b in zip(st[0]["numpy"], st[1]["numpy"]))
    assert torch.equal(st[0]["torch"], st[1]["torch"])
