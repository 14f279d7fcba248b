"ARC builds must not depend on the process: Python's string-hash seed (PYTHONHASHSEED) changes set and dict-of-set orders."
import json, subprocess, sys, textwrap
from pathlib import Path

import numpy as np

SCRIPT = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from trm_nb.arc import build_arc, dataset_digest
    src, out = sys.argv[1], sys.argv[2]
    root = build_arc(out, subsets=["training", "evaluation"], test_set_name="evaluation", source=src, num_aug=5, seed=3, progress=False)
    print(json.dumps(dataset_digest(root)))
""")


def _write_tasks(d: Path):
    rng = np.random.default_rng(0)
    grid = lambda: rng.integers(0, 10, tuple(rng.integers(1, 8, 2))).tolist()
    for subset in ("training", "evaluation"):
        ch = {f"{subset}{k}": {"train": [{"input": grid(), "output": grid()} for _ in range(3)], "test": [{"input": grid()}]}
              for k in range(4)}
        (d / f"arc-agi_{subset}_challenges.json").write_text(json.dumps(ch))
        (d / f"arc-agi_{subset}_solutions.json").write_text(json.dumps({k: [grid()] for k in ch}))
    return str(d / "arc-agi")


def test_build_independent_of_hash_seed(tmp_path):
    src = _write_tasks(tmp_path)
    repo = Path(__file__).resolve().parents[1]
    digests = []
    for hs in ("1", "2", "12345"):
        r = subprocess.run([sys.executable, "-c", SCRIPT, src, str(tmp_path / f"out{hs}")], capture_output=True, text=True,
                           env={"PYTHONHASHSEED": hs, "PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin"}, cwd=repo, timeout=300)
        assert r.returncode == 0, r.stderr
        digests.append(json.loads(r.stdout.strip().splitlines()[-1]))
    assert len(digests[0]) == 14 and digests[0] == digests[1] == digests[2]
