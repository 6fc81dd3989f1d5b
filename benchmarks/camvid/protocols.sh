#!/usr/bin/env bash
# CamVid (SegNet version) under two protocols, run by hand (not in CI; CamVid is CC BY-NC and never in the repo):
#   classic      train on train/ (367 frames), validate on val/ (101 frames of 0016E5, a drive 204 training frames share)
#   held-out     train on train/ minus sequence 0006R0 (266 frames: 0001TP, 0016E5), validate on 0006R0 (101 frames of a
#                drive not trained on); val/ is then scored too, for comparison with the classic number
#
#   benchmarks/camvid/protocols.sh CAMVID_DIR OUT_DIR [classic|held-out] [extra fcn train flags...]
# e.g. benchmarks/camvid/protocols.sh ../shared/datasets/camvid out/camvid held-out --photometric --rotate 10
set -euo pipefail
camvid=${1:?CamVid folder (train, trainannot, val, valannot)}
out=${2:?output folder}
protocol=${3:-held-out}
shift 3 || true
root=$(cd "$(dirname "$0")/../.." && pwd)
fcn() { dotnet "$root/samples/Fcn.Cli/bin/Release/net10.0/fcn.dll" "$@"; }
mkdir -p "$out"
printf "Sky\nBuilding\nPole\nRoad\nPavement\nTree\nSignSymbol\nFence\nCar\nPedestrian\nBicyclist\n" > "$out/names.txt"
common=(--backbone resnet18 --arch fcn8s --stages --num-classes 11 --ignore-label 11 --classes "$out/names.txt"
        --class-weights median-frequency --epochs 15 --lr 2e-4 --seed 1)
case "$protocol" in
  classic)
    fcn train "${common[@]}" --lr-policy poly:5505 --images "$camvid/train" --masks "$camvid/trainannot" \
      --val-images "$camvid/val" --val-masks "$camvid/valannot" \
      --checkpoint-dir "$out/ckpt" --log "$out/train.jsonl" --output "$out/fcn8s.zip" "$@"
    fcn evaluate --model "$out/fcn8s.zip" --images "$camvid/val" --masks "$camvid/valannot" --num-classes 11 --ignore-label 11 --json "$out/val.json"
    ;;
  held-out)
    # 266 training frames: poly over 15 epochs of 266 iterations per stage.
    fcn train "${common[@]}" --lr-policy poly:3990 --images "$camvid/train" --masks "$camvid/trainannot" --exclude 0006R0 \
      --val-images "$camvid/train" --val-masks "$camvid/trainannot" --val-include 0006R0 \
      --checkpoint-dir "$out/ckpt" --log "$out/train.jsonl" --output "$out/fcn8s.zip" "$@"
    fcn evaluate --model "$out/fcn8s.zip" --images "$camvid/train" --masks "$camvid/trainannot" --include 0006R0 \
      --num-classes 11 --ignore-label 11 --json "$out/held-out-0006R0.json"
    fcn evaluate --model "$out/fcn8s.zip" --images "$camvid/val" --masks "$camvid/valannot" --num-classes 11 --ignore-label 11 --json "$out/val.json"
    ;;
  *) echo "protocol: classic or held-out" >&2; exit 2 ;;
esac
