"""ARC scoring against the official evaluator's rules (TinyRecursiveModels `evaluators/arc.py`), re-stated here.

`OfficialVoter` below is a small reference written from reading the official code, not a copy of it: per process
("rank") it keeps, for every (task, hash of the un-augmented test input), the list of (hash of the cropped and
un-augmented prediction, float64 sigmoid of the halting logit) in arrival order, across every evaluation when voting
is pooled. At the end the ranks' lists are walked in rank order; per test input each distinct grid gets a vote count
and a probability sum (from 0, left to right), the sum is divided by the count, the grids are sorted by
(count, mean) descending with a stable sort. pass@k is the task mean over all test tasks; the submission lists, per
task, the top-K grids of each test input that got a vote (none: no entry), padded with the first grid.

It keys inputs by hash (as the official code) where `trm_nb.arc_eval` keys them by position, crops with a plain
scan instead of `arc.crop_prediction`, and hashes with sha256: everything that decides the ranking is computed
independently of the module under test.
"""
import hashlib, json, math
from pathlib import Path

import numpy as np
import pytest

from trm_nb import arc
from trm_nb.arc_eval import arc_scores, arc_votes, submission, run_arc_scores, halt_probability
from trm_nb.data import load_split

KS = (1, 2, 3, 1000)


# ---------------------------------------------------------------- the official rules, written out
def ref_crop(tokens):
    "Largest top-left rectangle of colour tokens: grow rows, narrow the width at a row's first non-colour cell."
    g = np.asarray(tokens).reshape(30, 30)
    width, best, size = 30, 0, (0, 0)
    for r in range(30):
        c = 0
        while c < width and 2 <= g[r, c] <= 11: c += 1
        width = c
        if (r + 1) * width > best: best, size = (r + 1) * width, (r + 1, width)
    return (g[:size[0], :size[1]].astype(np.int64) - 2).astype(np.uint8)


def ref_hash(g):
    g = np.ascontiguousarray(g, np.uint8)
    return hashlib.sha256(bytes(list(g.shape)) + g.tobytes()).hexdigest()


def ref_prob(q):
    "float64 sigmoid as torch's CUDA kernel: 1 / (1 + exp(-q))."
    try: return 1.0 / (1.0 + math.exp(-float(q)))
    except OverflowError: return 0.0


class OfficialVoter:
    def __init__(self, root, world_size=1):
        self.names = json.loads((root / "identifiers.json").read_text())
        self.test_puzzles = json.loads((root / "test_puzzles.json").read_text())
        self.ranks = [({}, {}) for _ in range(world_size)]       # per rank: grid by hash, votes by task and input

    def update(self, rank, ident, inp, pred, q):
        grids, votes = self.ranks[rank]
        task = arc.parse_aug_name(self.names[ident])[0]
        ih = ref_hash(arc.unaugment(ref_crop(inp), self.names[ident]))
        g = arc.unaugment(ref_crop(pred), self.names[ident])
        grids[ref_hash(g)] = g
        votes.setdefault(task, {}).setdefault(ih, []).append((ref_hash(g), ref_prob(q)))

    def result(self, ks=KS, attempts=2):
        sub, correct = {}, [0.0] * len(ks)
        for task, puzzle in self.test_puzzles.items():
            sub[task], hits = [], [0] * len(ks)
            for pair in puzzle["test"]:
                ih, want = ref_hash(np.array(pair["input"], np.uint8)), ref_hash(np.array(pair["output"], np.uint8))
                stats = {}
                for _, votes in self.ranks:
                    for h, p in votes.get(task, {}).get(ih, []):
                        st = stats.setdefault(h, [0, 0])
                        st[0] += 1; st[1] += p
                if not stats: continue
                for st in stats.values(): st[1] /= st[0]
                order = sorted(stats.items(), key=lambda kv: kv[1], reverse=True)
                for i, k in enumerate(ks): hits[i] += any(h == want for h, _ in order[:k])
                grids = [next(gr[h] for gr, _ in self.ranks if h in gr) for h, _ in order[:attempts]]
                grids += [grids[0]] * (attempts - len(grids))
                sub[task].append({f"attempt_{i + 1}": g.tolist() for i, g in enumerate(grids)})
            for i in range(len(ks)): correct[i] += hits[i] / len(puzzle["test"])
        return {f"pass@{k}": correct[i] / len(self.test_puzzles) for i, k in enumerate(ks)}, sub


def rank_rows(n, batch_size, world_size, rank):
    "Rows a rank evaluates, in its order (`iter_test_batches`, the official test sharding)."
    local = batch_size // world_size
    return [r for start in range(0, n, batch_size) for r in range(start + rank * local, min(start + (rank + 1) * local, n))]


def official(root, d, evals, world_size=1, batch_size=None, pooled=True):
    "Run the reference over full-split prediction arrays `evals = [(preds [n, 900], logits [n]), ...]`."
    n = len(d["inputs"])
    puzzle_of = np.repeat(np.arange(len(d["puzzle_indices"]) - 1), np.diff(d["puzzle_indices"]))
    ov = OfficialVoter(root, world_size)
    for e, (preds, q) in enumerate(evals):
        if not pooled and e < len(evals) - 1: continue         # per checkpoint: the state is cleared before each evaluation
        for rank in range(world_size):
            for r in rank_rows(n, batch_size or n, world_size, rank):
                ov.update(rank, int(d["puzzle_identifiers"][puzzle_of[r]]), d["inputs"][r], preds[r], q[r])
    return ov.result()


def as_pred(preds, q, order):
    "A `predict`-style dict with rows in `order` (the trainer's all-gather concatenation)."
    order = np.asarray(order)
    return {"all": dict(index=order, preds=preds[order], q_halt=np.asarray(q, np.float32)[order])}


def gathered_order(n, batch_size, world_size):
    return [r for rank in range(world_size) for r in rank_rows(n, batch_size, world_size, rank)]


# ---------------------------------------------------------------- a tiny ARC dataset
@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("arcscore")
    rng = np.random.default_rng(1)
    grid = lambda: rng.integers(0, 10, tuple(rng.integers(2, 6, 2))).tolist()
    ch, sol = {}, {}
    for k, n_test in enumerate([2, 1, 1]):                     # task 0 has two test inputs
        ch[f"task{k}"] = {"train": [{"input": grid(), "output": grid()} for _ in range(2)],
                          "test": [{"input": grid()} for _ in range(n_test)]}
        sol[f"task{k}"] = [grid() for _ in range(n_test)]
    (tmp / "arc-agi_evaluation_challenges.json").write_text(json.dumps(ch))
    (tmp / "arc-agi_evaluation_solutions.json").write_text(json.dumps(sol))
    root = arc.build_arc(tmp / "data", dataset=None, source=str(tmp / "arc-agi"), subsets=("evaluation",),
                         test_set_name="evaluation", num_aug=5, seed=0, progress=False)
    _, data = load_split(root, "test")
    d = data["all"]
    names = json.loads((root / "identifiers.json").read_text())
    tp = json.loads((root / "test_puzzles.json").read_text())
    puzzle_of = np.repeat(np.arange(len(d["puzzle_indices"]) - 1), np.diff(d["puzzle_indices"]))
    name = [names[int(d["puzzle_identifiers"][p])] for p in puzzle_of]
    tidx = np.concatenate([np.arange(b - a) for a, b in zip(d["puzzle_indices"][:-1], d["puzzle_indices"][1:])])
    key = [(arc.parse_aug_name(nm)[0], int(j)) for nm, j in zip(name, tidx)]
    return dict(root=root, d=d, name=name, key=key, tp=tp, tmp=tmp)


def encode_as(ds, r, g):
    "Grid `g` (original frame) as row `r`'s copy would predict it."
    return arc.encode_grid(arc.augment_grid(np.asarray(g, np.uint8), arc.parse_aug_name(ds["name"][r])[1]))


def random_eval(ds, rng):
    "Labels, two near misses, empty crops and junk; logits spread, saturated around 37, and repeated."
    d, tp = ds["d"], ds["tp"]
    n = len(d["inputs"])
    preds = np.asarray(d["labels"]).astype(np.uint8).copy()
    kind = rng.choice(5, size=n, p=[0.3, 0.25, 0.15, 0.2, 0.1])
    for r in range(n):
        t, j = ds["key"][r]
        if kind[r] in (1, 2):
            g = np.array(tp[t]["test"][j]["output"], np.uint8); g[0, 0] = (g[0, 0] + kind[r]) % 10
            preds[r] = encode_as(ds, r, g)
        elif kind[r] == 3: preds[r, 0] = rng.choice([arc.PAD, arc.EOS])      # crops to the empty grid
        elif kind[r] == 4: preds[r, :rng.integers(1, 30)] = rng.integers(2, 12)
    pool = np.array([-2.0, 0.0, 0.5, 1.0, 36.6, 36.9, 37.0, 37.4, 38.0, 60.0], np.float32)
    q = np.where(rng.random(n) < 0.5, rng.choice(pool, size=n), rng.normal(0, 3, size=n)).astype(np.float32)
    return preds, q


# ---------------------------------------------------------------- tests
def test_halt_probability_matches_reference_and_torch():
    import torch
    q = np.random.default_rng(0).normal(0, 20, 5000).astype(np.float32)
    q[:6] = [36.6, 36.8, 37.0, 37.6, -750.0, 0.0]
    hp = halt_probability(q)
    assert hp == [ref_prob(x) for x in q]
    t = torch.from_numpy(q).double().sigmoid().numpy()
    assert np.allclose(hp, t, rtol=3e-16, atol=0)       # torch's CPU sigmoid: the same up to the last bits (it rounds
    assert (np.array(hp) != t).any()                     # differently, which is why the formula is evaluated directly)
    assert hp[0] < 1.0 and hp[1] == hp[2] == hp[3] == 1.0 and hp[4] == 0.0 and hp[5] == 0.5


def test_random_predictions_match_official(ds):
    rng = np.random.default_rng(0)
    n = len(ds["d"]["inputs"])
    for trial in range(8):
        preds, q = random_eval(ds, rng)
        want, want_sub = official(ds["root"], ds["d"], [(preds, q)])
        got = arc_scores(as_pred(preds, q, np.arange(n)), ds["root"], ks=KS)
        assert {k: got[k] for k in want} == want
        assert submission(arc_votes(as_pred(preds, q, np.arange(n)), ds["root"])) == want_sub


def test_constructed_ties(ds):
    "Empty crops winning, saturated logits tying exactly, and mathematically equal means split by summation order."
    d, tp, key = ds["d"], ds["tp"], ds["key"]
    n = len(d["inputs"])
    preds, q = np.asarray(d["labels"]).astype(np.uint8).copy(), np.zeros(n, np.float32)
    rows = {k: [r for r in range(n) if key[r] == k] for k in set(key)}
    wrong = lambda t, j, i: (lambda g: (g.__setitem__((0, 0), (g[0, 0] + i) % 10), g)[1])(np.array(tp[t]["test"][j]["output"], np.uint8))
    # task0 input 0: 4 empty crops beat 2 labels -> pass@1 misses, pass@2 hits; the submission's first attempt is []
    r = rows[("task0", 0)]; preds[r[:4], 0] = arc.PAD
    # task0 input 1: wrong grid W (first seen) and the label, 3 votes each, all logits saturating (37 and 38 -> 1.0):
    # exact tie, first appearance wins -> W first. (A log-space sigmoid would rank the label, 38 > 37, first.)
    r = rows[("task0", 1)]
    for x in r[:3]: preds[x] = encode_as(ds, x, wrong("task0", 1, 1)); q[x] = 37.0
    q[r[3:]] = 38.0
    # task1: label votes arrive as probabilities (a, b, c), the wrong grid's as (c, a, b): equal on paper;
    # pick logits where the two float sums differ, so the official order decides
    r = rows[("task1", 0)]
    cands = [0.1, 0.3, 0.7, 1.1, 1.3, 2.9, -0.4, 3.7, 0.45]
    a, b, c = next((a, b, c) for a in cands for b in cands for c in cands
                   if (ref_prob(np.float32(a)) + ref_prob(np.float32(b))) + ref_prob(np.float32(c))
                   != (ref_prob(np.float32(c)) + ref_prob(np.float32(a))) + ref_prob(np.float32(b)))
    q[r[:3]] = [a, b, c]
    for x, lg in zip(r[3:], [c, a, b]): preds[x] = encode_as(ds, x, wrong("task1", 0, 2)); q[x] = lg
    # task2: every copy empty -> the attempts are []
    preds[rows[("task2", 0)], 0] = arc.EOS

    want, want_sub = official(ds["root"], d, [(preds, q)])
    p = as_pred(preds, q, np.arange(n))
    got, votes = arc_scores(p, ds["root"], ks=KS), arc_votes(p, ds["root"])
    assert {k: got[k] for k in want} == want
    assert submission(votes) == want_sub
    assert want_sub["task0"][0]["attempt_1"] == [] and want_sub["task0"][0]["attempt_2"] == tp["task0"]["test"][0]["output"]
    assert want_sub["task0"][1]["attempt_1"] == wrong("task0", 1, 1).tolist()          # first seen wins the exact tie
    assert want_sub["task2"] == [{"attempt_1": [], "attempt_2": []}]
    lab, wr = [c for c in votes[("task1", 0)] if c[1] == 3]
    assert lab[2] != wr[2]                                                            # the summation order split them
    # the deviation differs from the official result where empty crops won
    dropped = arc_scores(p, ds["root"], ks=KS, drop_empty=True)
    assert dropped["example_pass@1"] > got["example_pass@1"]


def test_missing_predictions_skip_entries(ds):
    d = ds["d"]
    n = len(d["inputs"])
    keep = np.array([r for r in range(n) if ds["key"][r] != ("task0", 0) and ds["key"][r][0] != "task2"])
    preds, q = np.asarray(d["labels"]).astype(np.uint8), np.zeros(n, np.float32)
    ov = OfficialVoter(ds["root"])
    puzzle_of = np.repeat(np.arange(len(d["puzzle_indices"]) - 1), np.diff(d["puzzle_indices"]))
    for r in keep: ov.update(0, int(d["puzzle_identifiers"][puzzle_of[r]]), d["inputs"][r], preds[r], q[r])
    want, want_sub = ov.result()
    p = as_pred(preds, q, keep)
    got = arc_scores(p, ds["root"], ks=KS)
    assert {k: got[k] for k in want} == want
    sub = submission(arc_votes(p, ds["root"]))
    assert sub == want_sub and sub["task2"] == [] and len(sub["task0"]) == 1
    assert sub["task0"][0]["attempt_1"] == ds["tp"]["task0"]["test"][1]["output"]


def test_pooled_and_per_checkpoint(ds, tmp_path):
    rng = np.random.default_rng(5)
    n = len(ds["d"]["inputs"])
    e1, e2 = random_eval(ds, rng), random_eval(ds, rng)
    p1, p2 = as_pred(*e1, np.arange(n)), as_pred(*e2, np.arange(n))
    pooled_ref, pooled_sub = official(ds["root"], ds["d"], [e1, e2], pooled=True)
    last_ref, last_sub = official(ds["root"], ds["d"], [e1, e2], pooled=False)
    pooled = arc_scores([p1, p2], ds["root"], ks=KS, pooled=True)
    last = arc_scores(p2, ds["root"], ks=KS)
    assert {k: pooled[k] for k in pooled_ref} == pooled_ref and {k: last[k] for k in last_ref} == last_ref
    assert submission(arc_votes([p1, p2], ds["root"], pooled=True)) == pooled_sub
    # the same through the run folder, as the trainer calls it
    ev = tmp_path / "eval"; ev.mkdir()
    for step, p in [(5, p1), (10, p2)]:
        np.savez_compressed(ev / f"step_{step}.npz", **{f"all__{f}": v for f, v in p["all"].items()})
    rs = run_arc_scores(ev, ds["root"], ks=KS, pooled=True, upto_step=10, submission_path=tmp_path / "sub.json")
    assert {k: rs[k] for k in pooled_ref} == pooled_ref and rs["steps"] == [5, 10]
    assert {k: rs["per_checkpoint_scores"][k] for k in last_ref} == last_ref
    assert json.loads((tmp_path / "sub.json").read_text()) == pooled_sub
    rp = run_arc_scores(ev, ds["root"], ks=KS, pooled=False)
    assert {k: rp[k] for k in last_ref} == last_ref and {k: rp["pooled_scores"][k] for k in pooled_ref} == pooled_ref


def test_multi_process_order(ds):
    "Pooled over two evaluations of a 2-process run: the official tally walks rank 0's evaluations, then rank 1's."
    d, key = ds["d"], ds["key"]
    n = len(d["inputs"])
    target = ("task1", 0)
    rows = [r for r in range(n) if key[r] == target]
    B = next(b for b in range(2, 2 * n, 2) if {(r % b) // (b // 2) for r in rows} == {0, 1})   # the input's copies on both ranks
    on = {k: [r for r in rows if (r % B) // (B // 2) == k] for k in (0, 1)}
    k = min(len(on[0]), len(on[1]))
    out = np.array(ds["tp"]["task1"]["test"][0]["output"], np.uint8)
    A, Bg, C = [out.copy() for _ in range(3)]; A[0, 0] = (A[0, 0] + 1) % 10; Bg[0, 0] = (Bg[0, 0] + 2) % 10
    evals = []
    for e in range(2):
        preds, q = np.asarray(d["labels"]).astype(np.uint8).copy(), np.zeros(n, np.float32)
        for r in rows: preds[r] = encode_as(ds, r, C)
        # evaluation 1: rank 1's copies say A; evaluation 2: rank 0's copies say B (same count, same probabilities)
        for r in (on[1][:k] if e == 0 else on[0][:k]): preds[r] = encode_as(ds, r, A if e == 0 else Bg)
        evals.append((preds, q))
    preds_in = [as_pred(p, q, gathered_order(n, B, 2)) for p, q in evals]
    want, want_sub = official(ds["root"], d, evals, world_size=2, batch_size=B)
    got = arc_votes(preds_in, ds["root"], pooled=True, world_size=2, batch_size=B)
    assert submission(got) == want_sub
    assert want_sub["task1"][0]["attempt_2"] == Bg.tolist()                # B, first seen on rank 0, wins the tie
    single = arc_votes(preds_in, ds["root"], pooled=True)                   # one-process order: A came first
    assert submission(single)["task1"][0]["attempt_2"] == A.tolist()
    sc = arc_scores(preds_in, ds["root"], ks=KS, pooled=True, world_size=2, batch_size=B)
    assert {k: sc[k] for k in want} == want
