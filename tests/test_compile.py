"torch.compile is an option of the training step; on CPU it must give the eager results."
import tempfile
from pathlib import Path
import torch
from trm_nb.config import resolve_config
from trm_nb.train import Trainer

import pytest

@pytest.mark.parametrize("variant,scope", [("TRM-MLP", "net"), ("TRM-MLP", "step"), ("HRM", "net")])
def test_compiled_training_matches_eager(tmp_path, variant, scope):
    "Three steps compiled (the networks only, or the whole ACT step) give the eager weights within float32 tolerance."
    torch.set_num_threads(2)
    base = resolve_config("sudoku", "smoke", variant, overrides=dict(out_dir=str(tmp_path / "r"), data_dir=str(tmp_path / "d"), max_steps=3))
    runs = {}
    for comp in (False, True):
        tr = Trainer(base.replace(compile=comp, compile_scope=scope, run_name=f"c{comp}"), progress=False)
        for _ in range(3): tr.train_step(tr.sampler.next_batch()[1])
        assert len(tr.compiled_nets) == (comp and scope == "net") * (2 if variant == "HRM" else 1)
        assert all(net._compiled_call_impl is None for net, _ in tr.compiled_nets)    # evaluation after a step runs eagerly
        runs[comp] = {k: v.clone() for k, v in tr.model.state_dict().items()}
    for k in runs[False]:
        assert torch.allclose(runs[False][k], runs[True][k], rtol=1e-4, atol=1e-5), k

def test_compiled_cpu_runs_are_bit_identical(tmp_path):
    "Two compiled runs of one seed give the same weights bit for bit (deterministic kernels, on by default when compiling on a CPU)."
    torch.set_num_threads(2)
    was = torch.are_deterministic_algorithms_enabled()
    try:
        torch.use_deterministic_algorithms(False)
        base = resolve_config("sudoku", "smoke", overrides=dict(out_dir=str(tmp_path / "r"), data_dir=str(tmp_path / "d"), compile=True))
        runs = []
        for i in range(2):
            tr = Trainer(base.replace(run_name=f"det{i}"), progress=False)
            assert torch.are_deterministic_algorithms_enabled()
            for _ in range(8): tr.train_step(tr.sampler.next_batch()[1])
            runs.append({k: v.clone() for k, v in tr.model.state_dict().items()})
        for k in runs[0]:
            assert torch.equal(runs[0][k], runs[1][k]), k
    finally: torch.use_deterministic_algorithms(was)
