"Two-rank gloo run of SignSGDSparse: slot gradients of both ranks are gathered and summed per id before the sign."
import os, tempfile
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from trm_nb.puzzle_emb import PuzzleEmbedding, SignSGDSparse


def _worker(rank, init_file, out_file):
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=2)
    try:
        emb = PuzzleEmbedding(4, 2, batch_size=2)
        opt = SignSGDSparse(emb, lr=1.0, weight_decay=0.5)
        # rank 0: ids [1, 2], rank 1: ids [1] (partial batch). Id 1 gets (+3, -1) from rank 0 and (-2, +2) from rank 1.
        ids = torch.tensor([1, 2]) if rank == 0 else torch.tensor([1])
        c = torch.tensor([[3., -1.], [0., 5.]]) if rank == 0 else torch.tensor([[-2., 2.]])
        with torch.no_grad(): emb.weights.fill_(2.0)
        (emb(ids) * c).sum().backward()
        opt.step()
        torch.save(emb.weights.clone(), f"{out_file}.{rank}")
    finally:
        dist.destroy_process_group()


def test_two_rank_sum_then_sign():
    with tempfile.TemporaryDirectory() as d:
        init, out = os.path.join(d, "pg"), os.path.join(d, "w")
        mp.spawn(_worker, args=(init, out), nprocs=2, join=True)
        w0, w1 = torch.load(f"{out}.0"), torch.load(f"{out}.1")
    assert torch.equal(w0, w1)                                   # both ranks apply the same update
    decayed = 2.0 * (1 - 0.5)
    assert w0[1].tolist() == [decayed - 1.0, decayed - 1.0]      # sign(3-2)=+1, sign(-1+2)=+1
    assert w0[2].tolist() == [decayed, decayed - 1.0]            # sign(0)=0: only decay, sign(5)=+1
    assert w0[0].tolist() == [2.0, 2.0] and w0[3].tolist() == [2.0, 2.0]  # not in the batch
