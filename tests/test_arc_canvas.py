"ARC on a small canvas end to end: a tiny 10x10 dataset from the shared ARC files, smoke training steps through the Trainer, the ARC scorer and the two analyses (votes by copies, puzzle identifiers)."
import json
from pathlib import Path
import numpy as np
import pytest
from trm_nb.arc import load_arc, tasks_fitting
from trm_nb.arc_eval import arc_scores, pass_at_k_by_copies, with_puzzle_ids
from trm_nb.presets import resolve_config
from trm_nb.evaluate import predict
from trm_nb.train import Trainer

def shared_data():
    "The project's shared/data folder, looked up from this file upwards (None if absent)."
    for p in Path(__file__).resolve().parents:
        if (p / "shared" / "data" / "arc-agi-kaggle-combined").is_dir(): return p / "shared" / "data"

DATA = shared_data()
pytestmark = pytest.mark.skipif(DATA is None, reason="shared/data (ARC JSON) not found")

def test_small_canvas_smoke_run_trains_and_scores(tmp_path):
    src = str(DATA / "arc-agi-kaggle-combined" / "arc-agi")
    cfg = resolve_config("arc1", "smoke", overrides=dict(out_dir=str(tmp_path / "r"), data_dir=str(tmp_path / "d"), arc_source=src,
                                                         arc_canvas=10, arc_max_tasks=4, num_aug=2, max_steps=4))
    tr = Trainer(cfg, progress=False)
    res = tr.fit()["arc"]
    assert tr.meta.seq_len == tr.test_meta.seq_len == 100 and tr.model.config.seq_len == 100
    tp = json.loads((tr.data_root / "test_puzzles.json").read_text())
    fitting = tasks_fitting(load_arc(["evaluation"], src)["evaluation"], 10)
    assert len(tp) == 4 and set(tp) == set(list(fitting)[:4])           # the first 4 evaluation tasks that fit, held out
    assert res["n_tasks"] == 4 and 0 <= res["pass@1"] <= res["pass@2"] <= 1 and res["mean_votes"] > 0
    run = json.loads((tr.run_dir / "run.json").read_text())
    assert run["config"]["arc_canvas"] == 10 and any("10x10 canvas" in d for d in run["deviations"])
    # the analyses on the run's own evaluation: every copy gives back the run's score; blank identifiers still score
    full = pass_at_k_by_copies(tr.run_dir / "eval", tr.data_root, copies=(1, None))
    assert full[1]["pass@2"] == res["pass@2"] and full[1]["pass@1"] == res["pass@1"] and full[0]["mean_votes"] == 1
    n = len(tr.test_data["all"]["inputs"])
    blank = predict(tr.engine.loss_head, tr.test_meta, with_puzzle_ids(tr.test_data, "blank", tr.test_meta.num_puzzle_identifiers), batch_size=8)
    sb = arc_scores(blank, tr.data_root, ks=(1, 2))
    assert sb["n_predictions"] == n and sb["n_tasks"] == 4 and blank["all"]["preds"].shape == (n, 100)
