"Maze builder paths that the notebook does not cover: the default Hugging Face download, monkeypatched offline."
from pathlib import Path
import pytest
import huggingface_hub
from trm_nb.maze import build_maze, fetch_maze_csv

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "maze-30x30-hard-1k"


def _offline(*args, **kwargs):
    raise huggingface_hub.errors.LocalEntryNotFoundError("offline (monkeypatched)")


def test_default_download_fails_clearly(monkeypatch, tmp_path):
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", _offline)
    with pytest.raises(RuntimeError, match="could not download train.csv .*sapientinc/maze-30x30-hard-1k.*train_csv="):
        build_maze(tmp_path / "maze", progress=False)
    assert not (tmp_path / "maze").exists()
    assert not list(tmp_path.iterdir())          # no half-written folder left behind


def test_default_download_is_used(monkeypatch, tmp_path):
    if not (SHARED / "train.csv").exists(): pytest.skip(f"{SHARED} not found")
    calls = []
    def fake(repo_id, filename, repo_type):
        calls.append((repo_id, filename, repo_type)); return str(SHARED / filename)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake)
    assert fetch_maze_csv("test") == SHARED / "test.csv"
    out = build_maze(tmp_path / "maze", progress=False)
    assert calls[-2:] == [("sapientinc/maze-30x30-hard-1k", "train.csv", "dataset"), ("sapientinc/maze-30x30-hard-1k", "test.csv", "dataset")]
    for f in ("train/all__inputs.npy", "train/all__labels.npy", "test/dataset.json", "identifiers.json"):
        assert (out / f).read_bytes() == (SHARED / "npy" / f).read_bytes(), f
