#!/usr/bin/python3
"""PyTorch ↔ Fcn.MLNet.Training parity (run by hand, not in CI).

Exports a small FCN (skip, crop, ConvTranspose, bilinear interpolate to the input size) with torch.onnx.export,
trains it a few SGD steps (momentum, weight decay, doubled bias lr, ignore label 255) in PyTorch and with our trainer
from the same initial weights on the same batches, and compares the per-iteration losses.

    apt-get install -y python3-torch python3-onnx libopenblas0-openmp
    /usr/bin/python3 tools/parity/parity.py [--steps 8] [--opset 13] [--batch 2] [--size 40x48]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fcn_models import SmallSkipFcn, export, sgd  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUNNER = os.path.join(ROOT, "benchmarks", "Fcn.MLNet.Training.Benchmarks")


def main():
    warnings.filterwarnings("ignore", category=UserWarning)
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--size", default="40x48", help="HxW")
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--weight-decay", type=float, default=5e-4)
    ap.add_argument("--bias-lr", type=float, default=2.0)
    ap.add_argument("--classes", type=int, default=3)
    args = ap.parse_args()
    h, w = (int(v) for v in args.size.split("x"))
    torch.manual_seed(0)
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)

    model = SmallSkipFcn(args.classes)
    work = tempfile.mkdtemp(prefix="fcn-parity-")
    onnx_path = os.path.join(work, "small_fcn.onnx")
    export(model, onnx_path, args.opset, h, w)

    images = rng.uniform(-1, 1, size=(args.steps, args.batch, 3, h, w)).astype(np.float32)
    # Learnable labels (the class whose fixed colour direction the pixel is closest to), so the loss falls and any
    # difference in the updates would show in the trajectory.
    directions = rng.normal(size=(args.classes, 3)).astype(np.float32)
    labels = np.einsum("kc,snchw->snkhw", directions, images).argmax(axis=2).astype(np.int32)
    labels[rng.uniform(size=labels.shape) < 0.1] = 255  # some ignored pixels
    images.tofile(os.path.join(work, "images.f32"))
    labels.tofile(os.path.join(work, "labels.i32"))

    model.train()
    opt = sgd(model, args.lr, args.momentum, args.weight_decay, args.bias_lr)
    torch_losses = []
    for s in range(args.steps):
        out = model(torch.from_numpy(images[s]))
        loss = F.cross_entropy(out, torch.from_numpy(labels[s]).long(), ignore_index=255)
        opt.zero_grad()
        loss.backward()
        opt.step()
        torch_losses.append(loss.item())

    cmd = ["dotnet", "run", "-c", "Release", "--project", RUNNER, "--", "parity", "--model", onnx_path,
           "--images", os.path.join(work, "images.f32"), "--labels", os.path.join(work, "labels.i32"),
           "--steps", str(args.steps), "--batch", str(args.batch), "--height", str(h), "--width", str(w),
           "--lr", str(args.lr), "--momentum", str(args.momentum), "--weight-decay", str(args.weight_decay),
           "--bias-lr", str(args.bias_lr), "--ignore", "255"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    ours = json.loads(out.strip().splitlines()[-1])["losses"]

    worst = 0.0
    print(f"{'step':>4} {'pytorch':>12} {'Fcn.MLNet':>12} {'rel. diff':>10}")
    for s, (a, b) in enumerate(zip(torch_losses, ours)):
        rel = abs(a - b) / max(abs(a), 1e-12)
        worst = max(worst, rel)
        print(f"{s + 1:>4} {a:>12.6f} {b:>12.6f} {rel:>10.2e}")
    print(f"opset {args.opset}, batch {args.batch}, {h}x{w}: max relative difference {worst:.2e}")
    sys.exit(0 if worst < 1e-3 else 1)


if __name__ == "__main__":
    main()
