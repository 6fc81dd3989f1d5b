"""PyTorch 1.13 fp32 baseline for the int8 table: the same ONNX FCN as a torch module (tools/parity/onnx_torch.py),
forward + argmax on a preprocessed 1x3xHxW tensor, 2 threads, median of N runs after warm-up.
Usage: python3 benchmarks/int8/torch_fp32.py <fp32.onnx> <width> <height> [runs]"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "parity"))
import torch  # noqa: E402
from onnx_torch import OnnxModule  # noqa: E402

path, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 10
torch.set_num_threads(2)
net = OnnxModule(path).eval()
x = torch.rand(1, 3, height, width) * 255 - 120
with torch.no_grad():
    for _ in range(2):
        net(x).argmax(1)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        net(x).argmax(1)
        times.append((time.perf_counter() - t) * 1000)
times.sort()
print(f"PyTorch {torch.__version__} fp32, {width}x{height}, {runs} runs: median {times[len(times) // 2]:.1f} ms (min {times[0]:.1f})")
