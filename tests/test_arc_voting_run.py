"ARC voting during a run: pooled over every evaluation (official) or per checkpoint, both reported, on a real smoke run."
import json
import numpy as np
import pytest
from trm_nb.presets import resolve_config
from trm_nb.train import Trainer
from trm_nb.arc_eval import arc_scores, load_eval_npz

@pytest.mark.parametrize("pooled", [True, False])
def test_run_with_two_evaluations_reports_both_votings(tmp_path, pooled):
    cfg = resolve_config("arc1", "smoke", overrides=dict(out_dir=str(tmp_path / "r"), data_dir=str(tmp_path / "d"), max_steps=4,
                                                         arc_pooled_voting=pooled))
    tr = Trainer(cfg, progress=False)
    tr.eval_every = 2                                   # evaluations at steps 2 and 4
    res = tr.fit()["arc"]
    ev = tr.run_dir / "eval"
    preds = [load_eval_npz(ev / f"step_{s}.npz") for s in (2, 4)]
    both = arc_scores(preds, tr.data_root, ks=cfg.pass_ks, pooled=True)
    last = arc_scores(preds[1], tr.data_root, ks=cfg.pass_ks)
    configured, other = (both, last) if pooled else (last, both)
    assert res["pooled"] is pooled and res["steps"] == ([2, 4] if pooled else [4])
    other_key = "per_checkpoint_scores" if pooled else "pooled_scores"
    for k in cfg.pass_ks:
        assert res[f"pass@{k}"] == configured[f"pass@{k}"] and res[other_key][f"pass@{k}"] == other[f"pass@{k}"]
    assert res["mean_votes"] == configured["mean_votes"] and both["mean_votes"] == 2 * last["mean_votes"] > 0
    sub = json.loads((ev / "submission_step_4.json").read_text())
    assert set(sub) == set(json.loads((tr.data_root / "test_puzzles.json").read_text()))
    run = json.loads((tr.run_dir / "run.json").read_text())
    assert run["config"]["arc_pooled_voting"] is pooled and run["final_metrics"]["arc"]["pooled"] is pooled
