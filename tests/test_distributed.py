"Two processes (torchrun, gloo) end with the weights of one process with the same global batch."
import json, subprocess
import torch
from conftest import train_cmd

def _weights(tmp, name, task):
    ck = tmp / "results" / task / name / "checkpoints"
    return torch.load(ck / json.loads((ck / "latest.json").read_text())["path"] / "main.pt", weights_only=False)

def _init_weights(tmp, task):
    "The seeded initial weights of the smoke model (built the way the trainer builds it)."
    from trm_nb.presets import resolve_config
    from trm_nb.engine import make_model
    from trm_nb.tasks import get_task
    from trm_nb.data import load_split
    cfg = resolve_config(task, "smoke", overrides=dict(data_dir=str(tmp / "data"), global_batch_size=8, halt_exploration_prob=0.5))
    return make_model(cfg, load_split(get_task(cfg.task).dataset_path(cfg), "train")[0]).model.state_dict()

def test_two_gloo_processes_match_one(tmp_path, env):
    # exploration on (and forced often): ranks draw for the global batch and keep their slice
    sets = ("max_steps=6", "global_batch_size=8", "halt_exploration_prob=0.5", "log_every=3")
    task = "maze"   # attention + RoPE, several examples per batch
    r1 = subprocess.run(train_cmd(tmp_path, "one", *sets, task=task), env=env, capture_output=True, text=True, timeout=600)
    assert r1.returncode == 0, r1.stderr[-3000:]
    r2 = subprocess.run(train_cmd(tmp_path, "two", *sets, task=task, nproc=2), env=env, capture_output=True, text=True, timeout=600)
    assert r2.returncode == 0, r2.stderr[-3000:]
    a, b = _weights(tmp_path, "one", task), _weights(tmp_path, "two", task)
    assert a["world_size"] == 1 and b["world_size"] == 2 and a["step"] == b["step"] == 6
    for k, v in a["model"].items():
        assert torch.allclose(v.float(), b["model"][k].float(), rtol=1e-4, atol=1e-5), k
    run = json.loads((tmp_path / "results" / task / "two" / "run.json").read_text())
    assert run["world_size"] == 2 and run["status"] == "finished"
    # the weights moved from their initialisation, so the equality above is not trivial
    init = _init_weights(tmp_path, task)
    assert any(not torch.allclose(init[k].float(), v.float()) for k, v in a["model"].items() if k in init)

    ma = (tmp_path / "results" / task / "one" / "metrics.csv").read_text().splitlines()
    mb = (tmp_path / "results" / task / "two" / "metrics.csv").read_text().splitlines()
    assert ma[0] == mb[0]
    col = ma[0].split(",").index("inflight_steps")
    assert [r.split(",")[col] for r in ma[1:]] == [r.split(",")[col] for r in mb[1:]]   # same halting decisions
