#!/usr/bin/env bash
# Tiled scoring against whole-image scoring on CamVid val (docs/camvid.md "Tiled scoring"), run by hand, not in CI.
#
#   benchmarks/camvid/tiling.sh MODEL.onnx CAMVID_DIR OUT_DIR [TILE OVERLAP]...
#
# Predicts val whole and tiled (default: 256/64 and 256/128 on the 480×360 frames), then scores each tiled map set
# against the whole-image maps (pixel accuracy = agreement) and against the ground truth (mean IU).
set -euo pipefail
model=${1:?model .onnx}
camvid=${2:?CamVid folder}
out=${3:?output folder}
shift 3
[ $# -ge 2 ] || set -- 256 64 256 128
root=$(cd "$(dirname "$0")/../.." && pwd)
cli=${FCN_DLL:-$root/samples/Fcn.Cli/bin/Release/net10.0/fcn.dll}
fcn() { dotnet "$cli" "$@"; }
mkdir -p "$out"
miu() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(f"{100*d[sys.argv[2]]:.2f}")' "$1" "$2"; }
fcn predict --model "$model" --input "$camvid/val" --output "$out/whole" --overwrite > /dev/null
fcn evaluate --masks "$camvid/valannot" --predictions "$out/whole" --num-classes 11 --ignore-label 11 --json "$out/whole.json" --overwrite > /dev/null
echo "whole image: val mean IU $(miu "$out/whole.json" meanIU)"
while [ $# -ge 2 ]; do
  tile=$1 overlap=$2; shift 2
  dir="$out/tile-$tile-$overlap"
  fcn predict --model "$model" --input "$camvid/val" --output "$dir" --tile "$tile" --tile-overlap "$overlap" --overwrite > /dev/null
  fcn evaluate --masks "$out/whole" --predictions "$dir" --num-classes 11 --json "$dir-agreement.json" --overwrite > /dev/null
  fcn evaluate --masks "$camvid/valannot" --predictions "$dir" --num-classes 11 --ignore-label 11 --json "$dir.json" --overwrite > /dev/null
  echo "tile $tile, overlap $overlap: agreement with whole-image maps $(miu "$dir-agreement.json" pixelAccuracy)%, val mean IU $(miu "$dir.json" meanIU)"
done
