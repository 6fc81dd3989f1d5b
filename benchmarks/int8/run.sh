#!/usr/bin/env bash
# The int8 table of docs/benchmarks.md: quantize, then fp32 vs int8 SegmentFcn pipelines side by side (ABBA rounds),
# class-map agreement, PyTorch 1.13 fp32 on the same net, and peak memory of `fcn predict`.
#   benchmarks/int8/run.sh <fp32.onnx> <calibration image folder> <CamVid val image folder> <out folder>
# Needs a Release build (dotnet build -c Release samples/Fcn.Cli benchmarks/Fcn.Benchmarks), python3-torch,
# python3-pil and libopenblas0-openmp; run on a quiet machine.
set -euo pipefail
fp32=$1 calibration=$2 val=$3 out=$4
root=$(cd "$(dirname "$0")/../.." && pwd)
fcn="dotnet $root/samples/Fcn.Cli/bin/Release/net10.0/fcn.dll"
bench="dotnet $root/benchmarks/Fcn.Benchmarks/bin/Release/net10.0/Fcn.Benchmarks.dll"
mkdir -p "$out/480x360" "$out/2048x1024"
$fcn quantize --model "$fp32" --calibration "$calibration" --output "$out/int8.onnx" --overwrite 2>/dev/null
frames=("$val"/*.png)
cp "${frames[@]:0:20}" "$out/480x360/"
# Real photos at 2048x1024: four val frames upscaled (bicubic).
/usr/bin/python3 - "$out/480x360" "$out/2048x1024" <<'PY'
import os, sys
from PIL import Image
src, dst = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(src))[:4]:
    Image.open(os.path.join(src, name)).convert("RGB").resize((2048, 1024), Image.BICUBIC).save(os.path.join(dst, name))
PY
for size in 480x360 2048x1024; do
  echo "== $size: SegmentFcn pipelines"
  $bench int8 "$fp32" "$out/int8.onnx" "$out/$size" 5
  echo "== $size: PyTorch fp32"
  /usr/bin/python3 "$root/benchmarks/int8/torch_fp32.py" "$fp32" "${size%x*}" "${size#*x}" 10
done
for model in "$fp32" "$out/int8.onnx"; do
  rm -rf "$out/predict"
  /usr/bin/time -f "== peak RSS of fcn predict, 4 images 2048x1024, $(basename "$model"): %M KB" \
    $fcn predict --model "$model" --input "$out/2048x1024" --output "$out/predict" 2>&1 | tail -1
done
