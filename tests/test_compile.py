"torch.compile is an option of the training step; on CPU it must give the eager results."
import tempfile
from pathlib import Path
import torch
from trm_nb.presets import resolve_config
from trm_nb.train import Trainer

import pytest

@pytest.mark.parametrize("variant,scope,mode", [("TRM-MLP", "net", "default"), ("TRM-MLP", "step", "default"), ("HRM", "net", "default"),
                                                ("TRM-MLP", "step", "reduce-overhead")])
def test_compiled_training_matches_eager(tmp_path, variant, scope, mode):
    "Three steps compiled (the networks only, or the whole ACT step; CUDA graphs asked for, which a CPU skips) give the eager weights within float32 tolerance."
    torch.set_num_threads(2)
    base = resolve_config("sudoku", "smoke", variant, overrides=dict(out_dir=str(tmp_path / "r"), data_dir=str(tmp_path / "d"), max_steps=3))
    runs = {}
    for comp in (False, True):
        tr = Trainer(base.replace(compile=comp, compile_scope=scope, compile_mode=mode, run_name=f"c{comp}"), progress=False)
        assert not tr.engine.cuda_graphs                                                  # CUDA graphs only on a GPU
        for _ in range(3): tr.train_step(tr.sampler.next_batch()[1])
        assert len(tr.engine.compiled_nets) == (comp and scope == "net") * (2 if variant == "HRM" else 1)
        assert all(net._compiled_call_impl is None for net, _ in tr.engine.compiled_nets)    # evaluation after a step runs eagerly
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

def _train_kept(tr, steps=3):
    "Train `steps` steps; return the weights and the largest number of bytes autograd kept for one step's backward pass."
    kept = []
    for _ in range(steps):
        n = [0]
        def pack(t): n[0] += t.numel() * t.element_size(); return t
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t): tr.train_step(tr.sampler.next_batch()[1])
        kept.append(n[0])
    return {k: v.clone() for k, v in tr.model.state_dict().items()}, max(kept)

@pytest.mark.parametrize("variant,compile,scope", [("TRM-MLP", False, "net"), ("HRM", False, "net"), ("TRM-MLP", True, "net"),
                                                   ("TRM-MLP", True, "step"), ("TRM-Att", True, "step")])
def test_activation_checkpointing_keeps_the_weights(tmp_path, variant, compile, scope):
    "activation_checkpointing=True: the same weights after 3 steps (bit for bit eagerly, within tolerance compiled), far fewer saved bytes."
    torch.set_num_threads(2)
    base = resolve_config("sudoku", "smoke", variant, overrides=dict(out_dir=str(tmp_path / "r"), data_dir=str(tmp_path / "d"),
                                                                   compile=compile, compile_scope=scope))
    runs = {}
    for ck in (False, True):
        tr = Trainer(base.replace(activation_checkpointing=ck, run_name=f"ck{ck}"), progress=False)
        assert all(m.recompute == ck for m in tr.model.modules() if type(m).__name__ == "Net")
        runs[ck] = _train_kept(tr)
    (w0, kept0), (w1, kept1) = runs[False], runs[True]
    assert kept1 * 2 < kept0, (kept0, kept1)            # the checkpointed step keeps far less (also inside a compiled graph)
    for k in w0:
        if compile: assert torch.allclose(w0[k], w1[k], rtol=1e-4, atol=1e-5), k
        else: assert torch.equal(w0[k], w1[k]), k
