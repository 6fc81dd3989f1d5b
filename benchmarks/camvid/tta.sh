#!/usr/bin/env bash
# Test-time augmentation on CamVid (docs/camvid.md "Test-time augmentation"), run by hand, not in CI.
#
#   benchmarks/camvid/tta.sh MODEL.onnx CAMVID_DIR OUT_DIR
#
# Scores val (0016E5, through --dataset camvid) and the held-out drive 0006R0 (train/ frames) three ways: once,
# with --tta-flip, and with --tta-flip --tta-scales 0.75,1,1.25; writes OUT_DIR/<split>-<mode>.json and prints mean IU
# and wall time of each. A trained model's .onnx is --output x.onnx of fcn train, a staged run's ckpt/fcn8s.onnx, or
# model.onnx inside a checkpoint's checkpoint.fcn.zip.
set -euo pipefail
model=${1:?model .onnx}
camvid=${2:?CamVid folder}
out=${3:?output folder}
root=$(cd "$(dirname "$0")/../.." && pwd)
cli=${FCN_DLL:-$root/samples/Fcn.Cli/bin/Release/net10.0/fcn.dll}
mkdir -p "$out"
declare -A modes=([once]="" [flip]="--tta-flip" [flip-3-scales]="--tta-flip --tta-scales 0.75,1,1.25")
for split in val held-out-0006R0; do
  if [ "$split" = val ]; then data=(--dataset camvid --root "$camvid" --split val)
  else data=(--images "$camvid/train" --masks "$camvid/trainannot" --include 0006R0 --num-classes 11 --ignore-label 11); fi
  for mode in once flip flip-3-scales; do
    json="$out/$split-$mode.json"
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    dotnet "$cli" evaluate --model "$model" "${data[@]}" ${modes[$mode]} --json "$json" --overwrite > /dev/null 2>&1
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%17s %14s: mean IU %.1f  %.0f s" % (sys.argv[2], sys.argv[3], 100*d["meanIU"], float(sys.argv[4])))' "$json" "$split" "$mode" "$seconds"
  done
done
