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
from fcn_models import OriginalFcn8s, ResNet18Fcn8s, SmallSkipFcn, export, sgd  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUNNER = os.path.join(ROOT, "benchmarks", "Fcn.MLNet.Training.Benchmarks")


def photo_crops(folder, count, h, w, rng):
    """`count` random h×w crops of the photos in `folder` (sorted, drawn by rng), ImageNet mean/std, float32 NCHW."""
    from PIL import Image
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.lower().endswith((".png", ".jpg", ".jpeg")))
    mean = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
    std = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]
    out = []
    for _ in range(count):
        img = np.asarray(Image.open(files[rng.integers(len(files))]).convert("RGB"), np.float32).transpose(2, 0, 1) / 255
        top, left = rng.integers(img.shape[1] - h + 1), rng.integers(img.shape[2] - w + 1)
        out.append((img[:, top:top + h, left:left + w] - mean) / std)
    return np.stack(out).astype(np.float32)


def make_net(name, classes, calibration=None):
    if name == "small":
        return SmallSkipFcn(classes)
    if name in ("original", "original-bn"):
        return OriginalFcn8s(classes, bn=name.endswith("-bn"))
    if name.startswith("probe:"):  # a small net for bisecting: probe:<python expression over Probe(...)>
        sys.path.insert(0, "/tmp")
        from probe_nets import Probe  # noqa: F401
        return eval(name[6:])
    if name == "resnet18":
        return ResNet18Fcn8s(classes)
    from torchvision.models.segmentation import fcn_resnet50
    net = fcn_resnet50(weights=None, weights_backbone=None, aux_loss=False, num_classes=classes)
    # Running statistics as a trained net has them: the cumulative batch statistics of the training images (or of
    # noise), so that the inference-form BatchNorm keeps activations in range.
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = None
    net.train()
    with torch.no_grad():
        for k in range(4):
            net(torch.rand(2, 3, 96, 96) * 2 - 1 if calibration is None else calibration[k::4])
    return net


def compare_gradients(torch_grads, prefix, model, reference=None):
    """Prints, per parameter, max |tested − reference| / max |reference| of the first step's gradient, worst first.
    The tested gradients are ours (from <prefix>.json/.f32) or, with prefix None, PyTorch's float32 ones."""
    if prefix is None:
        names = list(torch_grads)
        index = [{"name": n} for n in names]
    else:
        index = json.load(open(prefix + ".json"))
        raw = np.fromfile(prefix + ".f32", dtype=np.float32)
    if reference is not None:
        torch_grads, tested = reference, torch_grads
    rows = []
    for e in index:
        name = e["name"]
        ref = torch_grads.get(name)
        if ref is None and name.startswith("net."):  # the export wrapper's prefix
            ref = torch_grads.get(name[4:])
        if ref is None:
            rows.append((float("inf"), name, "no PyTorch parameter of this name"))
            continue
        ours = tested[name].numpy().ravel() if prefix is None else raw[e["offset"]:e["offset"] + e["count"]]
        ref = ref.numpy().ravel()
        err = float(np.abs(ours - ref).max() / max(np.abs(ref).max(), 1e-20))
        rows.append((err, name, f"max |grad| {np.abs(ref).max():.3g}"))
    rows.sort(reverse=True)
    print("first-step gradients, worst first:")
    for err, name, note in rows[:int(os.environ.get("PARITY_ROWS", "12"))]:
        print(f"  {err:10.2e}  {name}  ({note})")
    print(f"  … {len(rows)} tensors; median relative error {np.median([r[0] for r in rows]):.2e}")


def train_torch(model, images, labels, args, dtype):
    """The PyTorch run: SGD steps with BatchNorm and Dropout in inference form; returns the losses and the first
    step's gradients (as float32)."""
    model.train()
    for m in model.modules():  # inference-form BatchNorm: fixed statistics, trained scale and shift (as exported)
        if isinstance(m, (torch.nn.BatchNorm2d, torch.nn.Dropout)):  # dropout too: ours runs it as the identity
            m.eval()
    opt = sgd(model, args.lr, args.momentum, args.weight_decay, args.bias_lr, args.bias_decay)
    losses, first = [], {}
    for s in range(args.steps):
        out = model(torch.from_numpy(images[s]).to(dtype))
        if isinstance(out, dict):
            out = out["out"]
        loss = F.cross_entropy(out, torch.from_numpy(labels[s]).long(), ignore_index=255)
        opt.zero_grad()
        loss.backward()
        if s == 0:
            first = {n: p.grad.detach().float().clone() for n, p in model.named_parameters() if p.grad is not None}
        opt.step()
        losses.append(loss.item())
    return losses, first


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
    ap.add_argument("--net", default="small", 
                    help="small: SmallSkipFcn; original(-bn): Caffe-style FCN-8s with learned k4/s2 and k16/s8 "
                         "deconvolutions (and inference BatchNorm); torchvision: fcn_resnet50(weights=None, "
                         "aux_loss=False); resnet18: our ResNet18 FCN-8s geometry")
    ap.add_argument("--bias-decay", type=float, default=1.0, help="weight-decay multiplier of biases")
    ap.add_argument("--compare-gradients", action="store_true",
                    help="also compare the first step's gradient of every parameter (worst relative error per tensor)")
    ap.add_argument("--float64", action="store_true",
                    help="also train PyTorch in float64: the float32 runs' distance from it is the yardstick")
    ap.add_argument("--data", default="", help="a folder of photos: random crops (ImageNet-normalised) instead of noise")
    args = ap.parse_args()
    h, w = (int(v) for v in args.size.split("x"))
    torch.manual_seed(0)
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)

    work = tempfile.mkdtemp(prefix="fcn-parity-")
    if args.data:
        images = photo_crops(args.data, args.steps * args.batch, h, w, rng).reshape(args.steps, args.batch, 3, h, w)
    else:
        images = rng.uniform(-1, 1, size=(args.steps, args.batch, 3, h, w)).astype(np.float32)
    # Learnable labels (the class whose fixed colour direction the pixel is closest to), so the loss falls and any
    # difference in the updates would show in the trajectory.
    directions = rng.normal(size=(args.classes, 3)).astype(np.float32)
    labels = np.einsum("kc,snchw->snkhw", directions, images).argmax(axis=2).astype(np.int32)
    labels[rng.uniform(size=labels.shape) < 0.1] = 255  # some ignored pixels
    images.tofile(os.path.join(work, "images.f32"))
    labels.tofile(os.path.join(work, "labels.i32"))

    model = make_net(args.net, args.classes, torch.from_numpy(images.reshape(-1, 3, h, w)))
    onnx_path = os.path.join(work, "net.onnx")
    export(model, onnx_path, args.opset, h, w, keep_batchnorm=args.net in ("original-bn", "torchvision") or args.net.startswith("probe"))

    initial = {k: v.clone() for k, v in model.state_dict().items()}
    torch_losses, first_grads = train_torch(model, images, labels, args, torch.float32)
    reference = None
    if args.float64:
        ref = make_net(args.net, args.classes, torch.from_numpy(images.reshape(-1, 3, h, w)))
        ref.load_state_dict(initial)
        reference = train_torch(ref.double(), images, labels, args, torch.float64)

    cmd = ["dotnet", "run", "-c", "Release", "--project", RUNNER, "--", "parity", "--model", onnx_path,
           "--images", os.path.join(work, "images.f32"), "--labels", os.path.join(work, "labels.i32"),
           "--steps", str(args.steps), "--batch", str(args.batch), "--height", str(h), "--width", str(w),
           "--lr", str(args.lr), "--momentum", str(args.momentum), "--weight-decay", str(args.weight_decay),
           "--bias-lr", str(args.bias_lr), "--bias-decay", str(args.bias_decay), "--ignore", "255"]
    if args.compare_gradients:
        cmd += ["--grads", os.path.join(work, "grads")]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"Fcn.MLNet runner failed ({run.returncode}):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    out = run.stdout
    ours = json.loads(out.strip().splitlines()[-1])["losses"]

    if args.compare_gradients:
        compare_gradients(first_grads, os.path.join(work, "grads"), model)
    if reference is not None and args.compare_gradients:
        print("PyTorch float32 against float64:")
        compare_gradients(first_grads, None, None, reference[1])
        print("Fcn.MLNet against PyTorch float64:")
        compare_gradients(None, os.path.join(work, "grads"), model, reference[1])
    worst = 0.0
    f64 = reference[0] if reference is not None else None
    print(f"{'step':>4} {'pytorch':>12} {'Fcn.MLNet':>12} {'rel. diff':>10}" + (f" {'pytorch f64':>12} {'f32 vs f64':>10} {'ours vs f64':>11}" if f64 else ""))
    for s, (a, b) in enumerate(zip(torch_losses, ours)):
        rel = abs(a - float(b)) / max(abs(a), 1e-12)
        worst = max(worst, rel)
        extra = (f" {f64[s]:>12.6f} {abs(a - f64[s]) / max(abs(f64[s]), 1e-12):>10.2e}"
                 f" {abs(float(b) - f64[s]) / max(abs(f64[s]), 1e-12):>11.2e}") if f64 else ""
        print(f"{s + 1:>4} {a:>12.6f} {float(b):>12.6f} {rel:>10.2e}" + extra)
    print(f"{args.net}, {args.classes} classes, opset {args.opset}, batch {args.batch}, {h}x{w}: max relative difference {worst:.2e}")
    sys.exit(0 if worst < 1e-3 else 1)


if __name__ == "__main__":
    main()
