#!/usr/bin/env bash
# The GPU check of docs/gpu.md, for a machine with an NVIDIA GPU, its driver, CUDA 13 and cuDNN 9 on the library path,
# the .NET 10 SDK and NuGet access. It builds the CUDA flavour of fcn, then compares the GPU with the CPU on generated
# data (nothing downloaded but NuGet packages):
#   1. inference: class maps of 20 images 500x500 on cuda:0 vs cpu (target: >= 99.9% identical pixels);
#   2. training: 10 steps of FCN-8s on the NuGet ResNet18 at 480x360 on cuda:0 vs cpu (target: losses within 1e-3 relative);
#   3. speed: inference per image at 500x500 and the train step at 480x360 on both, and PyTorch CUDA when it is installed.
# Usage: tools/device/check.sh [out folder]      (exit 0 when both targets are met)
# FCN_CHECK_DEVICE=cpu runs every step with the CPU on both sides: a dry run of the script on a machine without a GPU.
set -euo pipefail
device=${FCN_CHECK_DEVICE:-cuda:0}
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$(mktemp -d /tmp/fcn-device-check.XXXXXX)}
mkdir -p "$out"
if [ "$device" != cpu ]; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || { echo "no NVIDIA GPU visible" >&2; exit 1; }
fi
dotnet build -c Release -p:FcnGpu=true "$root/samples/Fcn.Cli" -o "$out/fcn-gpu" >/dev/null
dotnet build -c Release "$root/benchmarks/Fcn.MLNet.Training.Benchmarks" >/dev/null
fcn="dotnet $out/fcn-gpu/fcn.dll"
data="dotnet $root/benchmarks/Fcn.MLNet.Training.Benchmarks/bin/Release/net10.0/Fcn.MLNet.Training.Benchmarks.dll dataset"
$data --out "$out/infer" --count 20 --size 500x500 --classes 21 >/dev/null
$data --out "$out/train" --count 20 --size 480x360 --classes 21 >/dev/null
$fcn build --backbone resnet18 --arch fcn8s --num-classes 21 --output "$out/base.onnx" --overwrite >/dev/null

echo "== training, 10 steps, 480x360"
for pair in "cpu cpu" "$device device"; do
  read -r side tag <<<"$pair"
  $fcn train --model "$out/base.onnx" --images "$out/train/images" --masks "$out/train/masks" --num-classes 21 --iterations 10 \
    --no-augment --no-shuffle --seed 1 --device "$side" --log "$out/train-$tag.jsonl" --output "$out/trained-$tag.onnx" --overwrite >/dev/null
done
/usr/bin/env python3 - "$out/train-cpu.jsonl" "$out/train-device.jsonl" <<'PY'
import json, statistics, sys
def read(p):
    rows = [json.loads(l) for l in open(p) if l.strip()]
    return [r for r in rows if "loss" in r and "iteration" in r]
cpu, gpu = read(sys.argv[1]), read(sys.argv[2])
worst = max(abs(a["loss"] - b["loss"]) / max(abs(a["loss"]), 1e-12) for a, b in zip(cpu, gpu))
print(f"losses: {len(cpu)} steps, largest relative difference {worst:.2e} (target 1e-3)")
for name, rows in (("cpu", cpu), ("device", gpu)):
    ms = [1000 * r["seconds"] for r in rows[1:] if "seconds" in r]
    if ms: print(f"train step median {name}: {statistics.median(ms):.1f} ms")
sys.exit(0 if worst <= 1e-3 else 3)
PY

echo "== inference, 20 images 500x500"
for pair in "cpu cpu" "$device device"; do
  read -r side tag <<<"$pair"
  start=$(date +%s.%N)
  $fcn predict --model "$out/trained-cpu.onnx" --input "$out/infer/images" --output "$out/pred-$tag" --device "$side" --overwrite >/dev/null 2>&1
  echo "predict $side: $(echo "($(date +%s.%N) - $start) / 20 * 1000" | bc -l | cut -c1-7) ms per image (process start and model load included)"
done
$fcn evaluate --masks "$out/pred-cpu" --predictions "$out/pred-device" --num-classes 21 --json "$out/agreement.json" --overwrite >/dev/null
/usr/bin/env python3 -c "import json,sys; a=json.load(open('$out/agreement.json'))['pixelAccuracy']; print(f'identical pixels: {100*a:.3f}% (target 99.9%)'); sys.exit(0 if a >= 0.999 else 4)"

if /usr/bin/env python3 -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
  echo "== PyTorch CUDA, same FCN-8s (tools/parity/onnx_torch.py)"
  /usr/bin/env python3 - "$root/tools/parity" "$out/trained-cpu.onnx" <<'PY'
import sys, time, torch
sys.path.insert(0, sys.argv[1])
from onnx_torch import OnnxModule
net = OnnxModule(sys.argv[2]).cuda().eval()
x = torch.rand(1, 3, 500, 500, device="cuda") * 255 - 120
with torch.no_grad():
    for _ in range(3): net(x).argmax(1)
    torch.cuda.synchronize(); t = time.perf_counter()
    for _ in range(20): net(x).argmax(1)
    torch.cuda.synchronize()
print(f"PyTorch CUDA inference 500x500: {(time.perf_counter() - t) / 20 * 1000:.1f} ms per image")
PY
fi
echo "results in $out"
