#!/usr/bin/env bash
# Data-loading benchmark of docs/benchmarks.md ("Streaming training data"), run by hand, not in CI.
#
#   benchmarks/streaming/run.sh OUT_DIR [CAMVID_DIR]
#
# 1. Cityscapes scale: 600 synthetic 2048×1024 frames and masks (19 classes, 255 ignored; written once into
#    OUT_DIR/cityscapes-like), then fcn train FCN-8s/ResNet18 --crop 512x512 for 60 iterations: peak RSS.
# 2. CamVid (when CAMVID_DIR is given): 300 iterations of 320×320 crops on train/, streamed with 1 and 0 loading
#    workers, and with the CLI named by FCN_BEFORE (a build from before streaming, which read the set into memory):
#    peak RSS and median wall time per iteration (data waiting included), from each run's --log.
# The CLI is FCN_DLL, else samples/Fcn.Cli/bin/Release/net10.0/fcn.dll. Results: OUT_DIR/results.txt.
set -euo pipefail
out=${1:?output folder}
camvid=${2:-}
root=$(cd "$(dirname "$0")/../.." && pwd)
cli=${FCN_DLL:-$root/samples/Fcn.Cli/bin/Release/net10.0/fcn.dll}
mkdir -p "$out"
results="$out/results.txt"

median_ms() { # median of the "seconds" field of a training log, in ms
  python3 -c 'import json,sys,statistics; v=[json.loads(l)["seconds"] for l in open(sys.argv[1])][5:]; print(round(1000*statistics.median(v),1))' "$1"
}

run() { # name dll args...: one training run under /usr/bin/time; prints name, peak RSS and median ms/iter
  local name=$1 dll=$2; shift 2
  local dir="$out/$name"
  rm -rf "$dir"; mkdir -p "$dir"
  /usr/bin/time -f "%M" -o "$dir/rss-kb" dotnet "$dll" train "$@" --log "$dir/train.jsonl" --output "$dir/model.zip" > "$dir/stdout" 2>&1
  local rss=$(( $(tail -1 "$dir/rss-kb") / 1024 ))
  echo "$name: peak RSS ${rss} MiB, median $(median_ms "$dir/train.jsonl") ms/iteration" | tee -a "$results"
}

echo "# $(date -u +%F) $(git -C "$root" rev-parse --short HEAD)" >> "$results"
data="$out/cityscapes-like"
dotnet run --project "$root/benchmarks/Fcn.MLNet.Training.Benchmarks" -c Release -- dataset --out "$data" --count 600 --size 2048x1024 --classes 19 --ignore 255
run cityscapes-like-crop512 "$cli" --backbone resnet18 --arch fcn8s --num-classes 19 --ignore-label 255 --crop 512x512 --iterations 60 \
  --images "$data/images" --masks "$data/masks"

if [ -n "$camvid" ]; then
  camvid_args=(--backbone resnet18 --arch fcn8s --num-classes 11 --ignore-label 11 --crop 320x320 --iterations 300 --images "$camvid/train" --masks "$camvid/trainannot")
  run camvid-streamed-1-worker "$cli" "${camvid_args[@]}" --workers 1
  run camvid-streamed-0-workers "$cli" "${camvid_args[@]}" --workers 0
  [ -n "${FCN_BEFORE:-}" ] && run camvid-in-memory-before "$FCN_BEFORE" "${camvid_args[@]}"
fi
