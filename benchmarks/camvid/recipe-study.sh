#!/usr/bin/env bash
# The CamVid recipe study of docs/camvid.md, run by hand (not in CI; CamVid is CC BY-NC and never in the repo).
# Every run trains FCN-8s from the NuGet ResNet18 on train/ minus sequence 0006R0 (266 frames: 0001TP, 0016E5),
# validates after every epoch on 0006R0 (101 frames of a drive not trained on) and then scores val/ (0016E5, a drive
# it trained on) with fcn evaluate. The study runs share one budget: 6 epochs of 266 whole-image iterations
# (about 8 minutes on a 2-core VM), poly decay over the run, seed 1; each run changes one thing against "base".
#
#   benchmarks/camvid/recipe-study.sh CAMVID_DIR OUT_DIR RUN...
#   RUN: base | augment | unweighted | crop | lr1e-3 | augment-lr1e-3 | staged | recipe | recipe-augment
# "recipe" is the default chosen by the study (docs/camvid.md), given a longer budget: 60 epochs of 320×320 crops.
# "recipe-augment" is the recipe with scale jitter and photometric distortion within the 2-hour budget (80 epochs, about 85 minutes).
# e.g. benchmarks/camvid/recipe-study.sh ../shared/datasets/camvid out/study base augment unweighted
set -euo pipefail
camvid=${1:?CamVid folder (train, trainannot, val, valannot)}
out=${2:?output folder}
shift 2
[ $# -gt 0 ] || { echo "name at least one run: base augment unweighted crop lr1e-3 augment-lr1e-3 staged recipe recipe-augment" >&2; exit 2; }
root=$(cd "$(dirname "$0")/../.." && pwd)
cli=${FCN_DLL:-$root/samples/Fcn.Cli/bin/Release/net10.0/fcn.dll}
fcn() { dotnet "$cli" "$@"; }
mkdir -p "$out"
printf "Sky\nBuilding\nPole\nRoad\nPavement\nTree\nSignSymbol\nFence\nCar\nPedestrian\nBicyclist\n" > "$out/names.txt"

split=(--images "$camvid/train" --masks "$camvid/trainannot" --exclude 0006R0
       --val-images "$camvid/train" --val-masks "$camvid/trainannot" --val-include 0006R0)
net=(--backbone resnet18 --num-classes 11 --ignore-label 11 --classes "$out/names.txt" --seed 1)
weights=(--class-weights median-frequency)
augment=(--scale-jitter 0.5:2.0 --crop 480x360 --photometric)

for run in "$@"; do
  case "$run" in
    base)           flags=(--arch fcn8s "${weights[@]}" --epochs 6 --lr 2e-4 --lr-policy poly:1596) ;;
    augment)        flags=(--arch fcn8s "${weights[@]}" "${augment[@]}" --epochs 6 --lr 2e-4 --lr-policy poly:1596) ;;
    unweighted)     flags=(--arch fcn8s --epochs 6 --lr 2e-4 --lr-policy poly:1596) ;;
    # 320×320 crops hold 59% of a 480×360 frame's pixels: 10 epochs take the time of 6 whole-image epochs.
    crop)           flags=(--arch fcn8s "${weights[@]}" --crop 320x320 --epochs 10 --lr 2e-4 --lr-policy poly:2660) ;;
    lr1e-3)         flags=(--arch fcn8s "${weights[@]}" --epochs 6 --lr 1e-3 --lr-policy poly:1596) ;;
    augment-lr1e-3) flags=(--arch fcn8s "${weights[@]}" "${augment[@]}" --epochs 6 --lr 1e-3 --lr-policy poly:1596) ;;
    # FCN-32s, then 16s, then 8s, 2 epochs each: the same 1,596 iterations.
    staged)         flags=(--arch fcn8s --stages "${weights[@]}" --epochs 2 --lr 2e-4 --lr-policy poly:532) ;;
    recipe)         flags=(--arch fcn8s "${weights[@]}" --crop 320x320 --epochs 60 --lr 2e-4 --lr-policy poly:15960) ;;
    recipe-augment) flags=(--arch fcn8s "${weights[@]}" --crop 320x320 --scale-jitter 0.5:2.0 --photometric --epochs 80 --lr 2e-4 --lr-policy poly:21280) ;;
    *) echo "unknown run '$run'" >&2; exit 2 ;;
  esac
  dir="$out/$run"
  mkdir -p "$dir"
  echo "fcn train ${net[*]} ${flags[*]} ${split[*]}" > "$dir/command.txt"
  fcn train "${net[@]}" "${flags[@]}" "${split[@]}" \
    --checkpoint-dir "$dir/ckpt" --log "$dir/train.jsonl" --output "$dir/fcn8s.zip"
  fcn evaluate --model "$dir/fcn8s.zip" --images "$camvid/train" --masks "$camvid/trainannot" --include 0006R0 \
    --num-classes 11 --ignore-label 11 --json "$dir/held-out-0006R0.json"
  fcn evaluate --model "$dir/fcn8s.zip" --images "$camvid/val" --masks "$camvid/valannot" \
    --num-classes 11 --ignore-label 11 --json "$dir/val.json"
done
