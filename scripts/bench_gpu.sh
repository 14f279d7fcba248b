#!/usr/bin/env bash
# The whole benchmark for the paper presets on one GPU, in one command:
#   scripts/bench_gpu.sh [OUT_DIR] [more arguments for python -m trm_nb.bench]
# writes OUT_DIR/analytic.md (the recipe table) and, one file pair per trm_nb path, each against the same eager baseline:
#   <device>-paper-cudagraphs.{json,md}    the whole ACT step compiled, replayed as CUDA graphs (the fastest path: the MFU target)
#   <device>-paper.{json,md}               trm_nb eager (float32 stablemax, foreach optimiser, no host sync)
#   <device>-paper-checkpointing.{json,md} eager with activation checkpointing (peak_mem_gb: the memory it saves)
#   <device>-paper-compiled.{json,md}      the whole ACT step compiled, no CUDA graphs (what the graphs add)
# in that order, so a run cut short by the time limit keeps the most important files (the two whole-step compiles
# cost minutes each: four cases, each unrolling T(n+1) network calls). The cases: TRM-MLP Sudoku,
# TRM-Att Maze and ARC-AGI-1, HRM Sudoku at the paper batch (768), bfloat16 on CUDA.
# Checked on CPU with tiny models (what tests/test_bench.py runs; on a CPU CUDA graphs are skipped):
#   DEVICE=cpu scripts/bench_gpu.sh /tmp/bench --small --steps 1 --repeats 1 --warmup 1
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-results/bench}; [ $# -gt 0 ] && shift
DEVICE=${DEVICE:-cuda}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
python3 -c "import torch, sys; sys.exit(0 if '$DEVICE' != 'cuda' or torch.cuda.is_available() else 'no CUDA device: set DEVICE=cpu to try the script on CPU')"
python3 -m trm_nb.bench --analytic --out "$OUT"
bench() { name=$1; shift; echo "== $DEVICE-paper$name" >&2; python3 -m trm_nb.bench --device "$DEVICE" --preset paper --out "$OUT" --name "$DEVICE-paper$name" "$@"; }
bench -cudagraphs --fast compile=true compile_scope=step compile_mode=reduce-overhead "$@"
bench "" "$@"
bench -checkpointing --fast activation_checkpointing=true "$@"
bench -compiled --fast compile=true compile_scope=step "$@"
