#!/usr/bin/python3
"""Train-step time of a ResNet18-sized FCN-8s: Fcn.MLNet.Training (ONNX Runtime) against PyTorch 1.13 CPU.

Run by hand (not a test):
    apt-get install -y python3-torch python3-onnx libopenblas0-openmp
    /usr/bin/python3 benchmarks/train_step_benchmark.py [--sizes 320x320,360x480] [--iters 10] [--rounds 2]

Both engines train the same network (ResNet18 backbone with BN folded, FCN-8s head, 21 classes) from the same
weights on random data with SGD (momentum 0.9, weight decay 5e-4), two threads each, batch 1. A step is
forward + loss + backward + parameter update. The engines run in turn (PyTorch, ours, PyTorch, ours, ...) so that
machine noise affects both. Peak memory is each process's peak resident set size.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "parity"))
RUNNER = os.path.join(ROOT, "benchmarks", "Fcn.MLNet.Training.Benchmarks")


def torch_bench(onnx_dir, h, w, iters, warmup):
    """Runs in a child process: prints one JSON line."""
    code = f"""
import json, resource, statistics, sys, time, torch, torch.nn.functional as F
sys.path.insert(0, {os.path.join(ROOT, 'tools', 'parity')!r})
from fcn_models import ResNet18Fcn8s, sgd
torch.set_num_threads(2)
torch.manual_seed(0)
model = ResNet18Fcn8s(21)
model.load_state_dict(torch.load({os.path.join(onnx_dir, 'weights.pt')!r}))
model.train()
opt = sgd(model, 1e-6, 0.9, 5e-4, 1.0)
x = torch.rand(1, 3, {h}, {w}) * 2 - 1
y = torch.randint(0, 21, (1, {h}, {w}))
def fb():
    loss = F.cross_entropy(model(x), y, ignore_index=255)
    opt.zero_grad()
    loss.backward()
for _ in range({warmup}):
    fb(); opt.step()
fbt, st = [], []
for _ in range({iters}):
    t = time.perf_counter(); fb(); fbt.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter(); fb(); opt.step(); st.append((time.perf_counter() - t) * 1000)
print(json.dumps(dict(engine="PyTorch " + torch.__version__, forward_backward_ms_median=round(statistics.median(fbt), 1),
    step_ms_median=round(statistics.median(st), 1), step_ms_min=round(min(st), 1),
    peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def ours_bench(model_path, h, w, iters, warmup):
    dll = os.path.join(RUNNER, "bin", "Release", "net10.0", "Fcn.MLNet.Training.Benchmarks.dll")
    cmd = ["dotnet", dll, "bench", "--model", model_path, "--size", f"{h}x{w}", "--iters", str(iters),
           "--warmup", str(warmup), "--threads", "2"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    warnings.filterwarnings("ignore", category=UserWarning)
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="320x320,360x480", help="comma-separated HxW")
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()

    import torch
    from fcn_models import ResNet18Fcn8s, export
    torch.manual_seed(0)
    work = tempfile.mkdtemp(prefix="fcn-bench-")
    model = ResNet18Fcn8s(21)
    torch.save(model.state_dict(), os.path.join(work, "weights.pt"))
    onnx_path = os.path.join(work, "resnet18_fcn8s.onnx")
    export(model, onnx_path, 17, 320, 320)
    subprocess.run(["dotnet", "build", "-c", "Release", RUNNER], check=True, capture_output=True)

    rows = []
    for size in args.sizes.split(","):
        h, w = (int(v) for v in size.split("x"))
        torch_runs, our_runs = [], []
        for _ in range(args.rounds):
            torch_runs.append(torch_bench(work, h, w, args.iters, args.warmup))
            our_runs.append(ours_bench(onnx_path, h, w, args.iters, args.warmup))
        t = statistics.median(r["step_ms_median"] for r in torch_runs)
        o = statistics.median(r["step_ms_median"] for r in our_runs)
        tmin = min(r["step_ms_min"] for r in torch_runs)
        omin = min(r["step_ms_min"] for r in our_runs)
        row = dict(size=f"{w}x{h} (WxH)", pytorch_step_ms=t, ours_step_ms=o, ratio=round(o / t, 3),
                   pytorch_step_ms_min=tmin, ours_step_ms_min=omin, ratio_min=round(omin / tmin, 3),
                   pytorch_fb_ms=statistics.median(r["forward_backward_ms_median"] for r in torch_runs),
                   ours_fb_ms=statistics.median(r["forward_backward_ms_median"] for r in our_runs),
                   ours_update_ms=statistics.median(r["update_ms_median"] for r in our_runs),
                   pytorch_peak_mb=max(r["peak_rss_mb"] for r in torch_runs),
                   ours_peak_mb=max(r["peak_rss_mb"] for r in our_runs),
                   ours_setup_ms=our_runs[0]["setup_ms"], pytorch=torch_runs[0]["engine"])
        rows.append(row)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
