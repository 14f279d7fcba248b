#!/usr/bin/env bash
# The whole benchmark for the paper presets on one GPU, in one command:
#   scripts/bench_gpu.sh [OUT_DIR] [more arguments for python -m trm_nb.bench]
# writes OUT_DIR/analytic.md (the recipe table) and OUT_DIR/<device>-paper.{json,md} (measured, with speedups).
# The cases: TRM-MLP Sudoku, TRM-Att Maze and ARC-AGI-1, HRM Sudoku at the paper batch (768), bfloat16 on CUDA.
# Checked on CPU with tiny models (what tests/test_bench.py runs):
#   DEVICE=cpu scripts/bench_gpu.sh /tmp/bench --small --steps 1 --repeats 1 --warmup 1
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-results/bench}; [ $# -gt 0 ] && shift
DEVICE=${DEVICE:-cuda}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
python3 -c "import torch, sys; sys.exit(0 if '$DEVICE' != 'cuda' or torch.cuda.is_available() else 'no CUDA device: set DEVICE=cpu to try the script on CPU')"
python3 -m trm_nb.bench --analytic --out "$OUT"
python3 -m trm_nb.bench --device "$DEVICE" --preset paper --out "$OUT" --name "$DEVICE-paper" "$@"
