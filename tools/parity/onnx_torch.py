"""An ONNX graph as a PyTorch module (run by hand for parity, not part of the product).

Every float initializer of rank >= 1 that is not a frozen parameter becomes an nn.Parameter, so PyTorch's autograd
trains exactly the tensors Fcn.MLNet trains, from the same file. Frozen parameters and per-parameter multipliers are
read from the model metadata that Fcn.MLNet writes (fcn.frozen_parameters, fcn.parameter_multipliers). Only the
operators of inference FCNs are implemented; anything else raises.
"""
import json

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _pad_nchw(x, pads, value=0.0):
    """ONNX 2-D pads (top, left, bottom, right) on NCHW, negative pads crop."""
    t, l, b, r = pads
    return F.pad(x, (l, r, t, b), value=value)


class OnnxModule(nn.Module):
    def __init__(self, path):
        super().__init__()
        model = onnx.load(path)
        self.graph = model.graph
        meta = {p.key: p.value for p in model.metadata_props}
        self.frozen = set(json.loads(meta.get("fcn.frozen_parameters", "[]")))
        self.multipliers = json.loads(meta.get("fcn.parameter_multipliers", "{}"))
        self.preprocessing = json.loads(meta["fcn.preprocessing"]) if "fcn.preprocessing" in meta else None
        self.params = nn.ParameterDict()
        self.constants = {}
        self.names = {}  # ParameterDict key -> ONNX name
        for t in self.graph.initializer:
            value = torch.from_numpy(np.array(numpy_helper.to_array(t)))
            if t.data_type == onnx.TensorProto.FLOAT and len(t.dims) >= 1 and t.name not in self.frozen:
                key = "p%d" % len(self.names)
                self.names[key] = t.name
                self.params[key] = nn.Parameter(value.clone())
            else:
                self.constants[t.name] = value
        self.biases = {n.input[2] for n in self.graph.node if n.op_type in ("Conv", "ConvTranspose") and len(n.input) > 2}

    def named_onnx_parameters(self):
        return [(self.names[k], p) for k, p in self.params.items()]

    def forward(self, x):
        env = {k: v.to(x.dtype) if v.is_floating_point() else v for k, v in self.constants.items()}
        env.update({self.names[k]: p for k, p in self.params.items()})
        env[self.graph.input[0].name] = x
        for node in self.graph.node:
            ins = [env[i] if i else None for i in node.input]
            outs = self._run(node, ins)
            for name, value in zip(node.output, outs):
                env[name] = value
        return env[self.graph.output[0].name]

    def _run(self, node, ins):
        a = _attrs(node)
        op = node.op_type
        if op == "Conv":
            k = a.get("kernel_shape")
            x = _pad_nchw(ins[0], a.get("pads", [0, 0, 0, 0]))
            return [F.conv2d(x, ins[1], ins[2] if len(ins) > 2 else None, stride=a.get("strides", [1, 1]),
                             dilation=a.get("dilations", [1, 1]), groups=a.get("group", 1))]
        if op == "ConvTranspose":
            s, d = a.get("strides", [1, 1]), a.get("dilations", [1, 1])
            op_ = a.get("output_padding", [0, 0])
            y = F.conv_transpose2d(ins[0], ins[1], None, stride=s, dilation=d, groups=a.get("group", 1))
            y = F.pad(y, (0, op_[1], 0, op_[0]))  # output_padding: zero rows/cols at the end (before the bias)
            t, l, b, r = a.get("pads", [0, 0, 0, 0])
            y = y[:, :, t:y.shape[2] - b, l:y.shape[3] - r]
            if len(ins) > 2 and ins[2] is not None:
                y = y + ins[2].view(1, -1, 1, 1)
            return [y]
        if op == "Relu":
            return [F.relu(ins[0])]
        if op in ("Add", "Sub", "Mul", "Div"):
            f = {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div}[op]
            return [f(ins[0], ins[1])]
        if op == "MaxPool":
            x = _pad_nchw(ins[0], a.get("pads", [0, 0, 0, 0]), value=float("-inf"))
            return [F.max_pool2d(x, a["kernel_shape"], a.get("strides", [1, 1]), ceil_mode=bool(a.get("ceil_mode", 0)),
                                 dilation=a.get("dilations", [1, 1]))]
        if op == "BatchNormalization":
            return [F.batch_norm(ins[0], ins[3], ins[4], ins[1], ins[2], training=False, eps=a.get("epsilon", 1e-5))]
        if op == "Pad":
            pads = [int(v) for v in ins[1].tolist()]
            if len(pads) != 8 or a.get("mode", b"constant") not in (b"constant", "constant"):
                raise NotImplementedError("Pad other than constant NCHW")
            value = float(ins[2]) if len(ins) > 2 and ins[2] is not None else 0.0
            return [F.pad(ins[0], (pads[3], pads[7], pads[2], pads[6], pads[1], pads[5], pads[0], pads[4]), value=value)]
        if op == "Shape":
            return [torch.tensor(ins[0].shape, dtype=torch.int64)]
        if op == "Slice":
            x = ins[0]
            starts, ends = ins[1].tolist(), ins[2].tolist()
            axes = ins[3].tolist() if len(ins) > 3 and ins[3] is not None else list(range(len(starts)))
            steps = ins[4].tolist() if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
            index = [slice(None)] * x.dim()
            for s, e, ax, st in zip(starts, ends, axes, steps):
                n = x.shape[ax]
                s = max(0, min(n, s + n if s < 0 else s))
                e = max(0, min(n, e + n if e < 0 else e))
                index[ax] = slice(s, e, st)
            return [x[tuple(index)]]
        if op == "Identity":
            return [ins[0]]
        raise NotImplementedError(f"onnx_torch: operator {op} ({node.name})")
