"Every variant of the registry trains through the full loop (sparse embedding optimiser, EMA, checkpoints, evaluation)."
import json
import pytest, torch
from trm_nb.presets import resolve_config
from trm_nb.train import Trainer
from trm_nb.variants import VARIANTS

@pytest.mark.parametrize("variant", list(VARIANTS))
def test_variant_trains_evaluates_and_resumes(variant, tmp_path):
    torch.set_num_threads(2)
    cfg = resolve_config("sudoku", "smoke", variant, dict(out_dir=str(tmp_path / "r"), data_dir=str(tmp_path / "d"),
                                                          max_steps=4, checkpoint_every=2, log_every=2))
    straight = Trainer(cfg.replace(run_name="a"), progress=False); res = straight.fit()
    assert 0 <= res["all"]["exact_accuracy"] <= 1 and straight.step == 4
    # stop at step 2, resume in a fresh trainer: same weights as the straight run (variant-specific carries included)
    part = Trainer(cfg.replace(run_name="b"), progress=False)
    while part.step < 2: part.train_step(part.sampler.next_batch()[1])
    part.log.log(part.step, **part.flush_metrics()); part.save_checkpoint()
    resumed = Trainer(cfg.replace(run_name="b", resume=True), progress=False); resumed.fit()
    a, b = straight.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a), variant
    run = json.loads((resumed.run_dir / "run.json").read_text())
    assert run["variant"] == variant and run["model"]["params"] == resumed.model.num_params()
