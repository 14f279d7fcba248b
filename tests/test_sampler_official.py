"The training stream against the official loader's rule, written out here independently (several sets, the schedule)."
import numpy as np, torch
from trm_nb.data import PuzzleDatasetMetadata, SplitBuilder
from trm_nb.batches import PuzzleSampler, official_schedule

def _set(n_groups, per_group, sizes, offset):
    b = SplitBuilder(3)
    for g in range(n_groups):
        for k in range(per_group):
            pid = offset + g * per_group + k; n = sizes[(g * per_group + k) % len(sizes)]
            x = np.full((n, 3), pid % 256, np.uint8); x[:, 1] = np.arange(n)
            b.add_puzzle(x, x.copy(), pid)
        b.end_group()
    return b

def _official(sets, gbs, seed, epochs_per_iter, n_iters):
    "Per iteration, each set in order: Philox(seed + walks begun), all shuffles first, a puzzle per group, drop the tail."
    out, walks = [], 0
    for it in range(n_iters):
        for name, d in sets.items():
            walks += 1
            gen = np.random.Generator(np.random.Philox(seed=seed + walks))
            walk = np.concatenate([gen.permutation(len(d["group_indices"]) - 1) for _ in range(epochs_per_iter)])
            i = 0
            while True:
                rows = []
                while i < len(walk) and len(rows) < gbs:
                    g = walk[i]; i += 1
                    p = int(gen.integers(d["group_indices"][g], d["group_indices"][g + 1]))
                    rows += [int(d["puzzle_identifiers"][p])] * min(int(d["puzzle_indices"][p + 1] - d["puzzle_indices"][p]), gbs - len(rows))
                if len(rows) < gbs: break
                out.append((it, name, rows))
    return out

def test_several_sets_follow_the_official_order():
    sets = {"a": _set(5, 2, [1, 2], 0).arrays(), "b": _set(3, 3, [1], 100).arrays(), "c": _set(2, 1, [1], 200).arrays()}
    meta = PuzzleDatasetMetadata(0, None, 0, 256, 3, 300, 10, 1.2, 22, list(sets))
    for gbs, E in ((3, 2), (4, 1), (7, 3)):   # with gbs 4 and E 1, set "c" (2 groups) yields nothing
        ref = _official(sets, gbs, 11, E, 3)
        s = PuzzleSampler(meta, sets, gbs, seed=11, epochs_per_iter=E)
        for k, (it, name, rows) in enumerate(ref):
            got_name, b, _ = s.next_batch()
            assert (got_name, b["puzzle_identifiers"].tolist()) == (name, rows), (gbs, E, k)
            last = k + 1 == len(ref) or ref[k + 1][0] != it
            assert s.end_of_iteration == last and s.iterations_done == it + last, (gbs, E, k)

def test_the_stream_has_steps_per_iter_batches_an_iteration():
    b = _set(50, 4, [1], 0)
    meta = b.metadata(vocab_size=256, num_puzzle_identifiers=200, ignore_label_id=None)
    sch = official_schedule(meta, epochs=12, eval_interval=4, global_batch_size=16)
    assert sch["total_iters"] == 3 and sch["total_steps"] == 12 * 50 // 16
    s = PuzzleSampler(meta, {"all": b.arrays()}, 16, seed=0, epochs_per_iter=sch["epochs_per_iter"])
    n = 0
    while s.iterations_done < sch["total_iters"]:
        s.next_batch(); n += 1
        if s.end_of_iteration: assert n == sch["steps_per_iter"] * s.iterations_done
    assert n == sch["total_iters"] * sch["steps_per_iter"] == 36 <= sch["total_steps"] == 37
