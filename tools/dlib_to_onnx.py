"""dlib's face-recognition ResNet (`dlib_face_recognition_resnet_model_v1.dat`, shipped in the
`face_recognition_models` package) as an ONNX graph: `plugins/models/dlib_resnet_v1.onnx`, run by
ONNX Runtime for `embedder=dlib` (plugins/dlib_resnet.py).

The .dat file is read with a small parser of dlib's serialization (dlib/serialize.h and the
`serialize` functions of dlib/dnn: core.h's add_loss_layer, add_layer, add_tag_layer and
add_skip_layer; layers.h's con_, affine_, relu_, max_pool_, avg_pool_, add_prev_ and fc_; input.h's
input_rgb_image_sized; loss.h's loss_metric_). The graph follows the network's definition in dlib's
examples/dnn_face_recognition_ex.cpp (`anet_type`) layer for layer, in fp32.

    python tools/dlib_to_onnx.py          # writes the model and its line in plugins/models/SHA256SUMS
    python tools/dlib_to_onnx.py --check  # rebuilds it and compares with the shipped file

The output is reproducible byte for byte: a rebuild whose sha256 differs from the line already in
SHA256SUMS is refused (exit 1), not written.
"""
from __future__ import annotations

import argparse
import hashlib
import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import ModelProto, TensorProto, helper, numpy_helper

from influencer_kit_plugins._mtcnn_onnx import IR_VERSION, OPSET, GraphBuilder

MODELS = Path(__file__).resolve().parent.parent / "plugins" / "models"
OUTPUT = MODELS / "dlib_resnet_v1.onnx"
SUMS = MODELS / "SHA256SUMS"
CHIP = 150  # input_rgb_image_sized<150>: the chips dlib.get_face_chip cuts (size=150)
# The residual blocks from the input on (alevel4 ... alevel0 of anet_type): "r" an `ares` (identity
# shortcut), "d" an `ares_down` (stride-2 block, shortcut through a 2x2 average pool).
RESIDUALS = "rrr" + "drrr" + "drr" + "drr" + "d"


# ---- dlib's serialization ----

class Reader:
    """dlib's portable encoding, read front to back."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise ValueError(f"dlib file ends early at byte {self.pos}")
        self.pos += count
        return self.data[self.pos - count : self.pos]

    def integer(self) -> int:
        """pack_int: a control byte (the size in its low 4 bits, 0x80 when negative), then the
        magnitude's bytes, little-endian."""
        control = self.take(1)[0]
        value = int.from_bytes(self.take(control & 0x0F), "little")
        return -value if control & 0x80 else value

    def real(self) -> float:
        """A float or double as float_details: mantissa * 2**exponent, each a pack_int."""
        mantissa, exponent = self.integer(), self.integer()
        if exponent >= 32000:  # float_details' codes for inf, -inf and nan
            raise ValueError(f"dlib file: a number that is not finite at byte {self.pos}")
        return math.ldexp(mantissa, exponent)

    def string(self) -> str:
        return self.take(self.integer()).decode("ascii")

    def boolean(self) -> bool:
        return self.take(1) == b"1"

    def tensor(self) -> np.ndarray:
        """A tensor, version 2: num_samples, k, nr, nc, then little-endian float32s."""
        self.version("tensor", 2)
        shape = tuple(self.integer() for _ in range(4))
        return np.frombuffer(self.take(4 * math.prod(shape)), dtype="<f4").reshape(shape)

    def alias(self) -> tuple[int, ...]:
        """An alias_tensor (version 1): its shape, num_samples, k, nr, nc."""
        self.version("alias_tensor", 1)
        return tuple(self.integer() for _ in range(4))

    def version(self, what: str, *expected: int) -> int:
        found = self.integer()
        if found not in expected:
            raise ValueError(f"dlib file: {what} version {found} at byte {self.pos}, expected {expected}")
        return found

    def name(self, expected: str) -> None:
        found = self.string()
        if found != expected:
            raise ValueError(f"dlib file: {found!r} at byte {self.pos}, expected {expected!r}")


@dataclass
class Layer:
    """One computational layer: its dlib name and what the graph needs of its details."""

    name: str
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    window: tuple[int, ...] = (0, 0)  # con_ and pooling: rows, columns (pooling's 0: the whole input)
    stride: tuple[int, ...] = (1, 1)
    padding: tuple[int, ...] = (0, 0)


def skip_multipliers(reader: Reader) -> None:
    """Learning-rate and weight-decay multipliers of the weights and the bias: training only."""
    for _ in range(4):
        reader.real()


def read_con(reader: Reader) -> Layer:
    params = reader.tensor().reshape(-1)
    filters, window = reader.integer(), (reader.integer(), reader.integer())
    stride, padding = (reader.integer(), reader.integer()), (reader.integer(), reader.integer())
    shape, bias_shape = reader.alias(), reader.alias()
    skip_multipliers(reader)
    if shape[0] != filters or shape[2:] != window or math.prod(bias_shape) != filters:
        raise ValueError(f"dlib file: con_ of {filters} {window} filters holds weights {shape}")
    kernel = params[: math.prod(shape)].reshape(shape)  # filters, channels, rows, columns: ONNX's OIHW
    return Layer("con_4", {"kernel": kernel, "bias": params[kernel.size :]}, window, stride, padding)


def read_affine(reader: Reader) -> Layer:
    params = reader.tensor().reshape(-1)
    gamma, beta = reader.alias(), reader.alias()
    channels = gamma[1]
    if reader.integer() != 0 or gamma != beta or math.prod(gamma) != channels:  # 0: CONV_MODE
        raise ValueError(f"dlib file: affine_ with scales {gamma} is not one scale per channel")
    return Layer("affine_", {"scale": params[:channels], "shift": params[channels : 2 * channels]})


def read_pool(name: str) -> Callable[[Reader], Layer]:
    def read(reader: Reader) -> Layer:
        window, stride = (reader.integer(), reader.integer()), (reader.integer(), reader.integer())
        return Layer(name, window=window, stride=stride, padding=(reader.integer(), reader.integer()))
    return read


def read_fc(reader: Reader) -> Layer:
    outputs, inputs = reader.integer(), reader.integer()
    params = reader.tensor().reshape(-1)
    weights, _biases = reader.alias(), reader.alias()
    if reader.integer() != 1 or weights != (inputs, outputs, 1, 1):  # 1: FC_NO_BIAS
        raise ValueError(f"dlib file: the fc_ layer is not an fc_no_bias<{outputs}> on {inputs} inputs")
    skip_multipliers(reader)
    return Layer("fc_2", {"weights": params[: inputs * outputs].reshape(inputs, outputs)})


READERS: dict[str, Callable[[Reader], Layer]] = {
    "con_4": read_con, "affine_": read_affine, "relu_": lambda reader: Layer("relu_"),
    "max_pool_2": read_pool("max_pool_2"), "avg_pool_2": read_pool("avg_pool_2"),
    "add_prev_": lambda reader: Layer("add_prev_"), "fc_2": read_fc}


def read_network(data: bytes) -> tuple[np.ndarray, list[Layer]]:
    """The input layer's channel means (red, green, blue) and the computational layers, input first.

    add_loss_layer writes its version, the loss's details, then the network; add_layer its version
    and its subnetwork before its own details and state; tag and skip layers their version and
    subnetwork alone. So the file holds every wrapper's version, outermost first, then the input
    layer, then each layer's details from the input on, each followed by its add_layer's state."""
    reader = Reader(data)
    reader.version("add_loss_layer", 1)
    reader.name("loss_metric_2")
    reader.real(), reader.real()  # margin and distance threshold: training only
    wrappers = []
    while not wrappers or wrappers[-1] != 3:  # the add_layer over the input layer is version 3
        wrappers.append(reader.version("layer", 1, 2, 3))
    reader.name("input_rgb_image_sized")
    means = np.array([reader.real() for _ in range(3)], dtype=np.float32)
    if (reader.integer(), reader.integer()) != (CHIP, CHIP):
        raise ValueError(f"dlib file: the input layer does not take {CHIP}x{CHIP} chips")
    layers: list[Layer] = []
    while reader.pos < len(data):
        name = reader.string()
        if name not in READERS:
            raise ValueError(f"dlib file: a {name!r} layer, which this network does not have")
        layers.append(READERS[name](reader))
        for _ in range(3):  # setup called, gradient input stale, getters disabled
            reader.boolean()
        for _ in range(3):  # gradient input, cached output, then parameter gradient (the bottom
            reader.tensor()  # layer: data gradient): all empty in a saved network
        if len(layers) == 1:
            reader.integer()  # the bottom layer's sample expansion factor
    if wrappers.count(2) != len(layers) - 1:
        raise ValueError(f"dlib file: {len(layers)} layers' details for {wrappers.count(2) + 1} layers")
    return means, layers


# ---- the ONNX graph ----

class DlibGraph:
    """anet_type as ONNX nodes on NCHW tensors; each method takes the next layer of the file (and
    checks its kind) and returns its output's name. Shapes are tracked to pad add_prev's inputs."""

    def __init__(self, layers: list[Layer]) -> None:
        self.graph = GraphBuilder()
        self.layers: Iterator[Layer] = iter(layers)
        self.shapes: dict[str, tuple[int, int, int]] = {}  # channels, rows, columns

    def take(self, name: str) -> Layer:
        layer = next(self.layers, None)
        if layer is None or layer.name != name:
            raise ValueError(f"dlib file: {layer.name if layer else 'the end'} where anet_type has {name}")
        return layer

    def node(self, shape: tuple[int, int, int], op: str, *inputs: str, **attributes) -> str:
        output = self.graph.node(op, *inputs, **attributes)
        self.shapes[output] = shape
        return output

    def chips(self, means: np.ndarray) -> str:
        """The input, uint8 RGB chips "chips" (n, 150, 150, 3), as input_rgb_image_sized scales
        them: (pixel - channel mean) / 256."""
        x = self.graph.node("Cast", "chips", to=TensorProto.FLOAT)
        x = self.graph.node("Transpose", x, perm=[0, 3, 1, 2])
        x = self.graph.node("Sub", x, self.graph.constant(means.reshape(1, 3, 1, 1)))
        return self.node((3, CHIP, CHIP), "Mul", x, self.graph.constant(np.float32(1 / 256)))

    def conv(self, x: str) -> str:
        layer = self.take("con_4")
        kernel = layer.weights["kernel"]
        return self.node(self.pooled(x, layer, kernel.shape[0]), "Conv", x, self.graph.constant(kernel),
                         self.graph.constant(layer.weights["bias"]), kernel_shape=list(layer.window),
                         strides=list(layer.stride), pads=list(layer.padding) * 2)

    def affine(self, x: str) -> str:
        weights = self.take("affine_").weights
        scaled = self.graph.node("Mul", x, self.graph.constant(weights["scale"].reshape(-1, 1, 1)))
        return self.node(self.shapes[x], "Add", scaled, self.graph.constant(weights["shift"].reshape(-1, 1, 1)))

    def relu(self, x: str) -> str:
        self.take("relu_")
        return self.node(self.shapes[x], "Relu", x)

    def pool(self, x: str, name: str) -> str:
        layer = self.take(name)
        op = "MaxPool" if name == "max_pool_2" else "AveragePool"
        if layer.window == (0, 0):  # avg_pool_everything
            return self.node((self.shapes[x][0], 1, 1), "Global" + op, x)
        return self.node(self.pooled(x, layer, self.shapes[x][0]), op, x, kernel_shape=list(layer.window),
                         strides=list(layer.stride), pads=list(layer.padding) * 2)

    def pooled(self, x: str, layer: Layer, channels: int) -> tuple[int, int, int]:
        """The output shape of a convolution or pooling window sliding over `x` (dlib's and ONNX's
        rule: 1 + (size + 2 padding - window) // stride)."""
        _, rows, cols = self.shapes[x]
        return (channels, *(1 + (size + 2 * pad - window) // stride for size, pad, window, stride
                            in zip((rows, cols), layer.padding, layer.window, layer.stride)))

    def add_prev(self, a: str, b: str) -> str:
        """add_prev_: the sum over the larger of the two shapes, the smaller input taken as zeros
        beyond its end (channels, rows, columns)."""
        self.take("add_prev_")
        shape = tuple(max(sizes) for sizes in zip(self.shapes[a], self.shapes[b]))
        a, b = (self.padded(x, shape) for x in (a, b))
        return self.node(shape, "Add", a, b)

    def padded(self, x: str, shape: tuple[int, ...]) -> str:
        if self.shapes[x] == shape:
            return x
        ends = [0, *(size - own for size, own in zip(shape, self.shapes[x]))]
        pads = np.array([0, 0, 0, 0, *ends], dtype=np.int64)
        name = f"pads{len(self.graph.weights)}"
        self.graph.weights.append(numpy_helper.from_array(pads, name))
        return self.node(shape, "Pad", x, name)

    def residual(self, x: str, down: bool) -> str:
        """ares (relu<add_prev1<block<tag1<x>>>>) or ares_down (relu<add_prev2<avg_pool<2,2,2,2,
        skip1<tag2<block<tag1<x>>>>>>>), block being affine<con<relu<affine<con<x>>>>>."""
        y = self.affine(self.conv(self.relu(self.affine(self.conv(x)))))
        shortcut = self.pool(x, "avg_pool_2") if down else x
        return self.relu(self.add_prev(shortcut, y))

    def model(self, means: np.ndarray) -> ModelProto:
        """The whole network: chips in, "descriptors" (n, 128) out."""
        x = self.pool(self.relu(self.affine(self.conv(self.chips(means)))), "max_pool_2")
        for kind in RESIDUALS:
            x = self.residual(x, down=kind == "d")
        x = self.graph.node("Flatten", self.pool(x, "avg_pool_2"))
        weights = self.take("fc_2").weights["weights"]
        self.graph.nodes.append(helper.make_node("MatMul", [x, self.graph.constant(weights)], ["descriptors"]))
        if next(self.layers, None) is not None:
            raise ValueError("dlib file: layers after the fc_no_bias layer that anet_type ends with")
        graph = helper.make_graph(
            self.graph.nodes, "dlib_face_recognition_resnet_model_v1",
            [helper.make_tensor_value_info("chips", TensorProto.UINT8, ["n", CHIP, CHIP, 3])],
            [helper.make_tensor_value_info("descriptors", TensorProto.FLOAT, ["n", weights.shape[1]])], self.graph.weights)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)
        onnx.checker.check_model(model)
        return model


def build(dat: Path) -> bytes:
    """The ONNX model of the network in `dat`, serialised."""
    means, layers = read_network(dat.read_bytes())
    return DlibGraph(layers).model(means).SerializeToString()


def read_sums() -> dict[str, str]:
    """SHA256SUMS as file name -> sha256 (sha256sum's format: hash, two spaces, name)."""
    if not SUMS.exists():
        return {}
    return {name: digest for digest, name in (line.split(maxsplit=1) for line in SUMS.read_text().splitlines() if line)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="rebuild and compare, write nothing")
    args = parser.parse_args(argv)
    import face_recognition_models

    dat = Path(face_recognition_models.face_recognition_model_location())
    data = build(dat)
    digest = hashlib.sha256(data).hexdigest()
    listed = read_sums().get(OUTPUT.name)
    print(f"{dat.name} -> {OUTPUT.name}: {len(data):,} bytes, sha256 {digest}")
    if listed not in (None, digest):
        print(f"error: {SUMS} lists sha256 {listed} for {OUTPUT.name}: this rebuild differs", file=sys.stderr)
        return 1
    if args.check:
        shipped = hashlib.sha256(OUTPUT.read_bytes()).hexdigest() if OUTPUT.exists() else None
        if shipped != digest or listed is None:
            print(f"error: the shipped {OUTPUT.name} (sha256 {shipped}) is not this rebuild", file=sys.stderr)
            return 1
        print("the shipped file and SHA256SUMS match the rebuild")
        return 0
    OUTPUT.write_bytes(data)
    if listed is None:
        with SUMS.open("a") as sums:
            sums.write(f"{digest}  {OUTPUT.name}\n")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
