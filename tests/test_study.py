"The study notebooks run end to end at smoke scale: every row trained, the table and figure written, nothing typed in."
import json, subprocess, sys
import pytest
from conftest import ROOT

@pytest.mark.parametrize("table,rows", [(1, 9), (2, 3), (3, 14), (4, 14), (5, 20)])
def test_table_notebook_smoke(table, rows, tmp_path, env):
    out = tmp_path / f"t{table}.ipynb"
    r = subprocess.run([sys.executable, "-m", "papermill", str(ROOT / "nbs" / f"table{table}.ipynb"), str(out), "-p", "scale", "smoke",
                        "-p", "seeds", "1", "-p", "out_dir", str(tmp_path / "results")], env=env, capture_output=True, text=True,
                       timeout=900, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    res = tmp_path / "results"
    csv = (res / "tables" / f"table{table}_smoke.csv").read_text().splitlines()
    assert len(csv) == rows + 1 and (res / "tables" / f"table{table}_smoke.md").read_text().startswith(f"# Table {table}")
    assert (res / "figures" / f"table{table}_smoke.png").stat().st_size > 1000
    runs = list((res / "study" / "smoke").glob("*/*/run.json"))
    assert runs and all(json.loads(p.read_text())["status"] == "finished" for p in runs)
    tasks = {p.parent.parent.name for p in runs}
    assert tasks == {4: {"sudoku", "maze"}, 5: {"arc1", "arc2"}}.get(table, {"sudoku"})
    assert not list((res / "study").rglob("checkpoints"))                 # finished runs keep no checkpoints
    text = out.read_text()
    assert f"--task {'arc1' if table == 5 else 'sudoku'} --preset paper" in text and "Our order" in text
    # each figure is stored once, in results/figures/, and the notebook links to it
    assert "image/png" not in text and f"(results/figures/table{table}_smoke.png)" in text
    if table == 4:   # the paper's LLM rows are quoted, and the maze rows run through torchrun at the paper's scale
        assert "quoted from the paper (chain-of-thought LLM), never run" in csv[-1] + "".join(csv)
        assert "torchrun --standalone --nproc-per-node=4 -m trm_nb.train --task maze" in text


def test_analyses_notebook_smoke(tmp_path, env):
    "The analyses notebook trains the smoke TRM it needs, then writes every table and figure, the scale in each name."
    out = tmp_path / "a.ipynb"
    r = subprocess.run([sys.executable, "-m", "papermill", str(ROOT / "nbs" / "analyses.ipynb"), str(out), "-p", "scale", "smoke",
                        "-p", "seeds", "1", "-p", "out_dir", str(tmp_path / "results")], env=env, capture_output=True, text=True,
                       timeout=1200, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    res = tmp_path / "results"
    for t in ("test_time_compute", "halting", "difficulty", "seed_spread", "voting", "puzzle_embedding"):
        assert (res / "tables" / f"{t}_smoke.md").read_text().startswith("# ") and (res / "tables" / f"{t}_smoke.csv").exists()
    figs = {p.name for p in (res / "figures").glob("*.png")}
    assert {"test_time_compute_smoke.png", "halting_smoke.png"} <= figs and any(f.startswith("figure6_") for f in figs)
    tt = (res / "tables" / "test_time_compute_smoke.csv").read_text().splitlines()
    assert len(tt) == 1 + 4 * 2                                      # 4 multipliers x halting off / on
    assert (res / "study" / "smoke" / "sudoku" / "TRM-MLP-seed0" / "final" / "main.pt").exists()
    vote = (res / "tables" / "voting_smoke.csv").read_text().splitlines()
    assert vote[0].startswith("copies,") and vote[-1].startswith("all,") and len(vote) == 1 + 5
    import csv
    emb = list(csv.DictReader((res / "tables" / "puzzle_embedding_smoke.csv").open()))
    assert [r["puzzle_ids"] for r in emb] == ["keep", "blank", "random", "none"]        # the last: retrained without the embedding
    assert "puzzle_emb_ndim=0" in emb[-1]["model"] and all(0 <= float(r["copy_token_accuracy"]) <= 1 for r in emb)
    assert (res / "study" / "smoke" / "arc1" / "TRM-Att-seed0-no-puzzle-emb" / "final" / "main.pt").exists()
    text = out.read_text()
    assert "image/png" not in text and "(results/figures/halting_smoke.png)" in text     # figures linked, not embedded


def test_committed_study_runs_are_finished():
    "Every run committed under results/study/cpu is a finished run of the config its table asks for."
    from trm_nb.study import study_configs, run_status
    on_disk = {p.parent for p in (ROOT / "results" / "study" / "cpu").glob("*/*/run.json")}
    if not on_disk: pytest.skip("no committed cpu study run")
    seen = {}
    for table in (1, 2, 3, 4, 5):
        for r, c in zip(*study_configs(table, "cpu", (0, 1, 2), ROOT / "results", ROOT / "data")):
            seen[c.run_name, c.task] = c
            if (r.task, r.variant, r.seed) == ("arc1", "TRM-Att", 0):      # and the analyses' run without puzzle ids
                n = c.replace(puzzle_emb_ndim=0, run_name=f"{c.run_name}-no-puzzle-emb")
                seen[n.run_name, n.task] = n
    committed = {k: c for k, c in seen.items() if (ROOT / "results" / "study" / "cpu" / k[1] / k[0]).exists()}
    assert {k: run_status(c) for k, c in committed.items() if run_status(c) != "finished"} == {}
    from trm_nb.runs import run_dir_of
    assert on_disk <= {run_dir_of(c) for c in seen.values()}, "a committed run that no table asks for"
