import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent

def train_cmd(tmp: Path, run_name: str, *sets: str, task: str = "sudoku", preset: str = "smoke", nproc: int = 1):
    "Command line of `python -m trm_nb.train` (through torchrun when nproc > 1), writing under `tmp`."
    head = [sys.executable, "-m", "trm_nb.train"] if nproc == 1 else \
           [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}", "-m", "trm_nb.train"]
    args = ["--task", task, "--preset", preset, "--out-dir", str(tmp / "results"),
            "--set", f"data_dir={tmp / 'data'}", "--set", f"run_name={run_name}"]
    for s in sets: args += ["--set", s]
    return head + args

@pytest.fixture
def env():
    e = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1", MPLBACKEND="Agg")
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    return e
