"Kill a real training process with SIGKILL at a random step, resume it, and get bit-identical results."
import json, os, random, signal, subprocess, time
import numpy as np
import torch
from trm_nb.checkpoint import sha256_of
from conftest import train_cmd

STEPS = "max_steps=60"

def _final(run_dir):
    latest = json.loads((run_dir / "checkpoints" / "latest.json").read_text())
    return latest["step"], torch.load(run_dir / "checkpoints" / latest["path"] / "main.pt", weights_only=False)

def _same(a, b, where=""):
    if isinstance(a, torch.Tensor): assert torch.equal(a, b), where; return
    if isinstance(a, np.ndarray): assert np.array_equal(a, b), where; return
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a: _same(a[k], b[k], f"{where}/{k}")
        return
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)): _same(x, y, f"{where}[{i}]")
        return
    assert a == b or (a != a and b != b), f"{where}: {a!r} != {b!r}"

import pytest

# the second setting walks the official batch stream in iterations of 5 epochs (13 batches of 12, 4 examples dropped
# at each iteration end, evaluations at steps 13, 26, 39, 52): a resume from any kill before step 46 crosses one
ITERATIONS = ("eval_interval=5", "epochs=50000", "global_batch_size=12")

@pytest.mark.parametrize("extra", [(), ITERATIONS], ids=["plain", "across-iterations"])
def test_sigkill_and_resume_is_bit_identical(tmp_path, env, extra):
    sets = (STEPS, "checkpoint_every=3", "log_every=2") + extra
    subprocess.run(train_cmd(tmp_path, "straight", *sets), env=env, check=True, capture_output=True, timeout=600)

    seed = int.from_bytes(os.urandom(2), "little"); kill_after = random.Random(seed).randint(3, 45)
    print(f"killing after checkpoint step >= {kill_after} (seed {seed})")
    run_dir = tmp_path / "results" / "sudoku" / "killed"
    p = subprocess.Popen(train_cmd(tmp_path, "killed", *sets), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    latest = run_dir / "checkpoints" / "latest.json"
    deadline = time.time() + 300
    while time.time() < deadline and p.poll() is None:
        try:
            if json.loads(latest.read_text())["step"] >= kill_after: break
        except (FileNotFoundError, json.JSONDecodeError, KeyError): pass
        time.sleep(0.01)
    os.kill(p.pid, signal.SIGKILL); p.wait()
    assert p.returncode == -signal.SIGKILL, "the run finished before it could be killed: the test proved nothing"
    killed_at = json.loads(latest.read_text())["step"]
    assert killed_at < 60

    r = subprocess.run(train_cmd(tmp_path, "killed", *sets, "resume=true"), env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]

    a_dir = tmp_path / "results" / "sudoku" / "straight"
    (sa, a), (sb, b) = _final(a_dir), _final(run_dir)
    assert sa == sb == 60
    for k in ("model", "ema", "optimizers", "sampler"): _same(a[k], b[k], k)
    assert (a_dir / "metrics.csv").read_text() == (run_dir / "metrics.csv").read_text()
    evals = sorted(p.name for p in (a_dir / "eval").glob("step_*.json"))
    assert evals == sorted(p.name for p in (run_dir / "eval").glob("step_*.json"))
    if extra: assert evals == sorted(f"step_{s}.json" for s in (13, 26, 39, 52, 60))    # evaluated at every iteration end
    for e in evals: assert (a_dir / "eval" / e).read_text() == (run_dir / "eval" / e).read_text(), e

def test_resume_refuses_another_world_size(tmp_path, env):
    subprocess.run(train_cmd(tmp_path, "r", "max_steps=4", "checkpoint_every=2"), env=env, check=True, capture_output=True, timeout=600)
    ck = tmp_path / "results" / "sudoku" / "r" / "checkpoints"
    main = ck / json.loads((ck / "latest.json").read_text())["path"] / "main.pt"
    state = torch.load(main, weights_only=False); state["world_size"] = 2; torch.save(state, main)
    (main.parent / "main.pt.sha256").write_text(sha256_of(main))     # a sound checkpoint of 2 processes, not a damaged one
    r = subprocess.run(train_cmd(tmp_path, "r", "max_steps=6", "resume=true"), env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode != 0 and "resume with the same number" in r.stderr
