#!/usr/bin/python3
"""`fcn train` ↔ PyTorch parity on real images, through the command line users run (by hand, not in CI).

Builds FCN-8s on the NuGet ResNet18 with `fcn build`, then trains it for a few iterations three ways on the same
images in the same order (batch 1, no shuffling, no augmentation): PyTorch autograd over the very same ONNX graph
(tools/parity/onnx_torch.py; frozen layers and preprocessing from the model's metadata), `fcn train --model base.onnx`
and `fcn train --backbone resnet18 --arch fcn8s`, and compares the per-iteration losses.

    apt-get install -y python3-torch python3-onnx libopenblas0-openmp
    dotnet build -c Release Fcn.MLNet.sln
    /usr/bin/python3 tools/parity/cli_parity.py --images camvid/train --masks camvid/trainannot --count 5 \\
        --iterations 10 --classes 11 --ignore 11
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_torch import OnnxModule  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.path.join(ROOT, "samples", "Fcn.Cli", "bin", "Release", "net10.0", "fcn.dll")


def fcn(*args):
    run = subprocess.run(["dotnet", CLI, *args], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"fcn {' '.join(args)} failed ({run.returncode}):\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    return run.stdout


def losses(log):
    return [json.loads(line)["loss"] for line in open(log)]


def train_torch(net, xs, ys, args):
    params = net.named_onnx_parameters()
    weights = [p for name, p in params if name not in net.biases]
    biases = [p for name, p in params if name in net.biases]
    opt = torch.optim.SGD([{"params": weights},
                           {"params": biases, "lr": args.lr * args.bias_lr, "weight_decay": args.weight_decay * args.bias_decay}],
                          lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    out = []
    for i in range(args.iterations):
        k = i % len(xs)
        loss = F.cross_entropy(net(xs[k]), ys[k], ignore_index=args.ignore)
        opt.zero_grad()
        loss.backward()
        opt.step()
        out.append(loss.item())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", required=True)
    ap.add_argument("--masks", required=True)
    ap.add_argument("--count", type=int, default=5, help="first N images (sorted)")
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--classes", type=int, default=11)
    ap.add_argument("--ignore", type=int, default=11)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--weight-decay", type=float, default=5e-4)
    ap.add_argument("--bias-lr", type=float, default=2.0)
    ap.add_argument("--bias-decay", type=float, default=0.0)
    args = ap.parse_args()
    torch.set_num_threads(2)

    work = tempfile.mkdtemp(prefix="fcn-cli-parity-")
    images, masks = os.path.join(work, "images"), os.path.join(work, "masks")
    os.makedirs(images)
    os.makedirs(masks)
    names = sorted(f for f in os.listdir(args.images) if f.endswith(".png"))[:args.count]
    for n in names:
        os.symlink(os.path.abspath(os.path.join(args.images, n)), os.path.join(images, n))
        os.symlink(os.path.abspath(os.path.join(args.masks, n)), os.path.join(masks, n))

    base = os.path.join(work, "base.onnx")
    fcn("build", "--backbone", "resnet18", "--arch", "fcn8s", "--num-classes", str(args.classes), "--output", base)

    # PyTorch over the same graph, in float32 and (the yardstick) float64.
    net = OnnxModule(base)
    prep = net.preprocessing
    mean = np.array(prep["mean"], np.float32)[:, None, None]
    std = np.array(prep["std"], np.float32)[:, None, None]
    xs, ys = [], []
    for n in names:
        rgb = np.asarray(Image.open(os.path.join(images, n)).convert("RGB"), np.float32).transpose(2, 0, 1)
        if prep["channelOrder"] == "bgr":
            rgb = rgb[::-1]
        xs.append(torch.from_numpy(((rgb * prep["scale"] - mean) / std)[None].copy()))
        ys.append(torch.from_numpy(np.asarray(Image.open(os.path.join(masks, n)), np.int64)[None].copy()))
    torch32 = train_torch(net, xs, ys, args)
    torch64 = train_torch(OnnxModule(base).double(), [x.double() for x in xs], ys, args)

    common = ["--images", images, "--masks", masks, "--num-classes", str(args.classes), "--ignore-label", str(args.ignore),
              "--iterations", str(args.iterations), "--lr", str(args.lr), "--momentum", str(args.momentum),
              "--weight-decay", str(args.weight_decay), "--bias-lr-mult", str(args.bias_lr),
              "--bias-decay-mult", str(args.bias_decay), "--no-shuffle", "--no-augment"]
    log_model, log_backbone = os.path.join(work, "model.jsonl"), os.path.join(work, "backbone.jsonl")
    fcn("train", "--model", base, "--output", os.path.join(work, "m.onnx"), "--log", log_model, *common)
    fcn("train", "--backbone", "resnet18", "--arch", "fcn8s", "--output", os.path.join(work, "b.onnx"), "--log", log_backbone, *common)
    a, b = losses(log_model), losses(log_backbone)

    worst = 0.0
    print(f"{'iter':>4} {'pytorch':>12} {'--model':>12} {'rel':>9} {'--backbone':>12} {'rel':>9} {'pytorch f64':>12} {'f32 vs f64':>10} {'ours vs f64':>11}")
    for i, t in enumerate(torch32):
        ra, rb = abs(a[i] - t) / abs(t), abs(b[i] - t) / abs(t)
        worst = max(worst, ra, rb)
        d = torch64[i]
        print(f"{i + 1:>4} {t:>12.6f} {a[i]:>12.6f} {ra:>9.2e} {b[i]:>12.6f} {rb:>9.2e} {d:>12.6f} {abs(t - d) / abs(d):>10.2e} {abs(a[i] - d) / abs(d):>11.2e}")
    h, w = xs[0].shape[2:]
    print(f"ResNet18 FCN-8s, {args.classes} classes, {h}x{w}, {len(names)} images: max relative difference {worst:.2e}")
    sys.exit(0 if worst < 1e-4 else 1)


if __name__ == "__main__":
    main()
