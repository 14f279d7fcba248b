"The study notebooks run end to end at smoke scale: every row trained, the table and figure written, nothing typed in."
import json, subprocess, sys
import pytest
from conftest import ROOT

@pytest.mark.parametrize("table,rows", [(1, 9), (2, 3), (3, 14)])
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
    runs = list((res / "study" / "smoke" / "sudoku").glob("*/run.json"))
    assert runs and all(json.loads(p.read_text())["status"] == "finished" for p in runs)
    assert not list((res / "study").rglob("checkpoints"))                 # finished runs keep no checkpoints
    text = out.read_text()
    assert "python -m trm_nb.train --task sudoku --preset paper" in text and "Our order" in text
