#!/usr/bin/env bash
# Record GPU throughput, model FLOP utilisation and a short multi-GPU (DDP) run into
# reports/speed/ (issue 12). One command for a person with a GPU machine:
#
#   bash benchmarks/gpu.sh --data NHL_DIR [--gpus N] [--epochs 2] [--out reports/speed]
#   bash benchmarks/gpu.sh --dry-run [--out DIR]   # CPU only: tiny sizes, 2 gloo processes
#
# NHL_DIR is a canonical folder (`hockey-vae ingest hockey_scraper ... --out NHL_DIR`).
# Writes into OUT:
#   gpu_env.txt              date, commit, nvidia-smi, torch and CUDA versions
#   gpu_train_speed.{json,md} benchmarks/train_speed.py on the device: training events/s,
#                            MFU against a matmul timed in the same run, evaluation, embedding
#                            and k=100 importance-sampling rates, a profile of training
#   gpu_ddp.json             `torchrun --nproc_per_node N hockey-vae train` for --epochs
#                            epochs: wall time, per-epoch events/s and validation score
# --dry-run runs the same steps on the CPU (a simulated league, gloo, --quick sizes) so the
# script is exercised without a GPU (tests/test_gpu_script.py does).
set -euo pipefail

DATA="" GPUS="" EPOCHS=2 OUT="reports/speed" DRY=0 THREADS=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --data) DATA="$2"; shift 2 ;;
    --gpus) GPUS="$2"; shift 2 ;;
    --epochs) EPOCHS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --dry-run) DRY=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "gpu.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

PY="${PYTHON:-python}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"
mkdir -p "$OUT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

if [[ $DRY == 1 ]]; then
  DEVICE=cpu QUICK=(--quick) GPUS="${GPUS:-2}" THREADS="${THREADS:-1}"
  if [[ -z "$DATA" ]]; then
    DATA="$WORK/league"
    "$PY" -m hockey_vae simulate --teams 4 --games 8 --seed 0 --out "$DATA" >/dev/null
  fi
  CONFIG="$WORK/tiny.json"  # a model small enough for a smoke test
  cat > "$CONFIG" <<'JSON'
{"train": {"progress": false, "batch_games": 2, "val_samples": 2},
 "model": {"cvae": {"d_z": 2, "d_hidden": 8, "d_player_q": 4, "eval_samples": 4,
                    "prior_samples": 2,
                    "encoder": {"hidden": 8, "d_context": 8, "d_player": 4, "d_type": 4}}}}
JSON
  CONFIG_ARGS=(--config "$CONFIG")
else
  if ! "$PY" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "gpu.sh: torch sees no CUDA device; use --dry-run to check the script on CPU" >&2
    exit 1
  fi
  [[ -n "$DATA" ]] || { echo "gpu.sh: --data NHL_DIR is required on a GPU" >&2; exit 2; }
  DEVICE=cuda QUICK=() CONFIG_ARGS=()
  GPUS="${GPUS:-$("$PY" -c "import torch; print(torch.cuda.device_count())")}"
  THREADS="${THREADS:-4}"
fi

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
  echo "mode: $([[ $DRY == 1 ]] && echo 'dry run (CPU, gloo)' || echo GPU), processes: $GPUS"
  "$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, \
'devices', [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())])"
  command -v nvidia-smi >/dev/null && nvidia-smi || echo "nvidia-smi: not found"
} > "$OUT/gpu_env.txt"

echo "== throughput and MFU on $DEVICE"
"$PY" benchmarks/train_speed.py --data "$DATA" --device "$DEVICE" --threads "$THREADS" \
  "${QUICK[@]}" --out "$OUT/gpu_train_speed" >/dev/null

echo "== DDP: $GPUS processes, $EPOCHS epoch(s)"
START=$(date +%s.%N)
OMP_NUM_THREADS="$THREADS" "$PY" -m torch.distributed.run --standalone \
  --nproc_per_node "$GPUS" -m hockey_vae train --data "$DATA" --model cvae \
  --out "$WORK/ddp_run" --epochs "$EPOCHS" --device "$DEVICE" "${CONFIG_ARGS[@]}" \
  > "$WORK/ddp.log" 2>&1 || { cat "$WORK/ddp.log" >&2; exit 1; }
END=$(date +%s.%N)

"$PY" - "$WORK/ddp_run" "$OUT/gpu_ddp.json" "$GPUS" "$DEVICE" "$START" "$END" "$DATA" <<'PY'
import sys
import pandas as pd
from hockey_vae.jsonsafe import write_json
from hockey_vae.reporting import git_commit

run, out, gpus, device, start, end, data = sys.argv[1:]
m = pd.read_csv(f"{run}/metrics.csv")
write_json({"processes": int(gpus), "device": device, "data": data, "commit": git_commit(),
            "wall_s": float(end) - float(start), "epochs": len(m),
            "train_events_per_s": m["train_events_per_s"].tolist(),
            "train_events": m["train_events"].tolist(), "val_loglik": m["val_loglik"].tolist(),
            "files": sorted(p.name for p in __import__("pathlib").Path(run).iterdir())}, out)
PY
echo "wrote $OUT/gpu_env.txt, $OUT/gpu_train_speed.{json,md}, $OUT/gpu_ddp.json"
