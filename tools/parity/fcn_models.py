"""PyTorch FCNs used by the parity script and the train-step benchmark (Debian python3-torch, CPU).

Written top to bottom in the paper's names: score_fr, upscore2, score_pool4, fuse_pool4, ... .
Both nets have no BatchNorm: the benchmark's ResNet18 is the "BN folded" form (convolutions with biases), which is
what torch.onnx.export produces for an eval-mode ResNet anyway.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def crop(x, like, offset):
    """Caffe-style crop of x to the spatial size of `like`, starting at `offset`."""
    h, w = like.shape[2], like.shape[3]
    return x[:, :, offset:offset + h, offset:offset + w]


class SmallSkipFcn(nn.Module):
    """conv1-pool1-conv2-pool2-score_fr, upscore2 (ConvTranspose), score_pool1 skip, crop, fuse, bilinear to input."""

    def __init__(self, classes=3):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.score_fr = nn.Conv2d(16, classes, 1)
        self.upscore2 = nn.ConvTranspose2d(classes, classes, 4, stride=2, bias=False)
        self.score_pool1 = nn.Conv2d(8, classes, 1)

    def forward(self, x):
        pool1 = F.max_pool2d(F.relu(self.conv1(x)), 2, 2)
        pool2 = F.max_pool2d(F.relu(self.conv2(pool1)), 2, 2)
        upscore2 = self.upscore2(self.score_fr(pool2))
        score_pool1 = self.score_pool1(pool1)
        fuse_pool1 = crop(upscore2, score_pool1, 1) + score_pool1
        return F.interpolate(fuse_pool1, size=x.shape[2:], mode="bilinear", align_corners=False)


def conv(cin, cout, k, stride=1):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=True)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = conv(cin, cout, 3, stride)
        self.conv2 = conv(cout, cout, 3)
        self.downsample = conv(cin, cout, 1, stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(self.conv2(F.relu(self.conv1(x))) + identity)


class ResNet18Fcn8s(nn.Module):
    """FCN-8s on a ResNet18 backbone (BN folded): pool3 = layer2 (stride 8), pool4 = layer3 (16), conv7 = layer4 (32)."""

    def __init__(self, classes=21):
        super().__init__()
        self.conv1 = conv(3, 64, 7, 2)
        self.layer1 = nn.Sequential(BasicBlock(64, 64, 1), BasicBlock(64, 64, 1))
        self.layer2 = nn.Sequential(BasicBlock(64, 128, 2), BasicBlock(128, 128, 1))
        self.layer3 = nn.Sequential(BasicBlock(128, 256, 2), BasicBlock(256, 256, 1))
        self.layer4 = nn.Sequential(BasicBlock(256, 512, 2), BasicBlock(512, 512, 1))
        self.score_fr = nn.Conv2d(512, classes, 1)
        self.score_pool4 = nn.Conv2d(256, classes, 1)
        self.score_pool3 = nn.Conv2d(128, classes, 1)
        self.upscore2 = nn.ConvTranspose2d(classes, classes, 4, stride=2, bias=False)
        self.upscore_pool4 = nn.ConvTranspose2d(classes, classes, 4, stride=2, bias=False)
        self.upscore8 = nn.ConvTranspose2d(classes, classes, 16, stride=8, bias=False)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv1(x)), 3, 2, 1)
        h = self.layer1(h)
        pool3 = self.layer2(h)
        pool4 = self.layer3(pool3)
        conv7 = self.layer4(pool4)
        upscore2 = self.upscore2(self.score_fr(conv7))
        score_pool4 = self.score_pool4(pool4)
        fuse_pool4 = crop(upscore2, score_pool4, 1) + score_pool4
        upscore_pool4 = self.upscore_pool4(fuse_pool4)
        score_pool3 = self.score_pool3(pool3)
        fuse_pool3 = crop(upscore_pool4, score_pool3, 1) + score_pool3
        return crop(self.upscore8(fuse_pool3), x, 4)


def bilinear_kernel(channels, k):
    """surgery.py's upsample_filt on the diagonal: channel c upsamples channel c bilinearly, no cross-talk."""
    factor = (k + 1) // 2
    center = factor - 1 if k % 2 == 1 else factor - 0.5
    og = torch.arange(k, dtype=torch.float32)
    filt = 1 - (og - center).abs() / factor
    w = torch.zeros(channels, channels, k, k)
    for c in range(channels):
        w[c, c] = filt[:, None] * filt[None, :]
    return w


class OriginalFcn8s(nn.Module):
    """The Caffe reference voc-fcn8s (net.py) at reduced width: conv1_1 pad 100, 2x2 ceil-mode pools, fc6 as a 7x7
    conv, 1x1 score layers, learned bias-free ConvTranspose upscore2 / upscore_pool4 (k4/s2) and upscore8 (k16/s8)
    with bilinear init, Caffe crops (5, 9, 31) and summed skips. `bn` adds an inference-form BatchNorm after every
    conv of the five blocks (exported as ONNX BatchNormalization in eval mode)."""

    def __init__(self, classes=21, width=16, bn=False):
        super().__init__()
        chans = [width, 2 * width, 4 * width, 8 * width, 8 * width]
        reps = [2, 2, 3, 3, 3]
        blocks, cin = [], 3
        for b, (c, r) in enumerate(zip(chans, reps)):
            layers = []
            for i in range(r):
                layers.append(nn.Conv2d(cin, c, 3, padding=100 if (b == 0 and i == 0) else 1))
                if bn:
                    layers.append(nn.BatchNorm2d(c))
                layers.append(nn.ReLU(inplace=True))
                cin = c
            layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
            blocks.append(nn.Sequential(*layers))
        self.pool1, self.pool2, self.pool3, self.pool4, self.pool5 = blocks
        self.fc6 = nn.Conv2d(cin, 16 * width, 7)
        self.fc7 = nn.Conv2d(16 * width, 16 * width, 1)
        self.score_fr = nn.Conv2d(16 * width, classes, 1)
        self.score_pool4 = nn.Conv2d(chans[3], classes, 1)
        self.score_pool3 = nn.Conv2d(chans[2], classes, 1)
        self.upscore2 = nn.ConvTranspose2d(classes, classes, 4, stride=2, bias=False)
        self.upscore_pool4 = nn.ConvTranspose2d(classes, classes, 4, stride=2, bias=False)
        self.upscore8 = nn.ConvTranspose2d(classes, classes, 16, stride=8, bias=False)
        with torch.no_grad():
            for m in (self.upscore2, self.upscore_pool4):
                m.weight.copy_(bilinear_kernel(classes, 4))
            self.upscore8.weight.copy_(bilinear_kernel(classes, 16))
            if bn:  # non-trivial running statistics, as a trained net has
                for m in self.modules():
                    if isinstance(m, nn.BatchNorm2d):
                        m.running_mean.uniform_(-0.1, 0.1)
                        m.running_var.uniform_(0.5, 1.5)

    def forward(self, x):
        pool3 = self.pool3(self.pool2(self.pool1(x)))
        pool4 = self.pool4(pool3)
        h = F.relu(self.fc7(F.relu(self.fc6(self.pool5(pool4)))))
        upscore2 = self.upscore2(self.score_fr(h))
        score_pool4 = self.score_pool4(pool4)
        fuse_pool4 = upscore2 + crop(score_pool4, upscore2, 5)
        upscore_pool4 = self.upscore_pool4(fuse_pool4)
        score_pool3 = self.score_pool3(pool3)
        fuse_pool3 = upscore_pool4 + crop(score_pool3, upscore_pool4, 9)
        return crop(self.upscore8(fuse_pool3), x, 31)


class ScoresOnly(nn.Module):
    """torchvision's segmentation models return {"out": …}; export the scores tensor alone."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)["out"]


def export(model, path, opset, height, width, keep_batchnorm=False):
    """torch.onnx.export in eval mode, as users export. keep_batchnorm exports BatchNormalization nodes (inference
    form) instead of folding them into the convolutions, so the trained parameters are PyTorch's own."""
    model.eval()
    if any(isinstance(m, nn.Module) and type(m).__name__ == "FCN" for m in [model]):
        model = ScoresOnly(model)
    dummy = torch.zeros(1, 3, height, width)
    torch.onnx.export(model, dummy, path, opset_version=opset, input_names=["image"], output_names=["scores"],
                      dynamic_axes={"image": {0: "N", 2: "height", 3: "width"}, "scores": {0: "N", 2: "height", 3: "width"}},
                      do_constant_folding=True,
                      training=torch.onnx.TrainingMode.PRESERVE if keep_batchnorm else torch.onnx.TrainingMode.EVAL)


def sgd(model, lr, momentum, weight_decay, bias_lr_mult, bias_decay_mult=1.0):
    """torch.optim.SGD with the biases in a group of their own (lr × bias_lr_mult, decay × bias_decay_mult), as Caffe's
    param { lr_mult decay_mult } does."""
    biases = [p for n, p in model.named_parameters() if n.endswith("bias")]
    weights = [p for n, p in model.named_parameters() if not n.endswith("bias")]
    return torch.optim.SGD([{"params": weights},
                            {"params": biases, "lr": lr * bias_lr_mult, "weight_decay": weight_decay * bias_decay_mult}],
                           lr=lr, momentum=momentum, weight_decay=weight_decay)
