"""MTCNN without TensorFlow: the `mtcnn` package's three networks, built from its own weights as ONNX
graphs and run by ONNX Runtime, and its stages (scale pyramid, PNet proposals, RNet and ONet
refinement) in numpy and OpenCV.

Reimplements mtcnn 1.0 (MIT, Copyright (c) 2019-2024 Iván de Paz Centeno): its networks
(`mtcnn/network`), its stages and their defaults (`mtcnn/stages`) and its box helpers
(`mtcnn/utils/bboxes.py`, `mtcnn/utils/images.py`), step for step. Never imports the package (its
`__init__` imports TensorFlow): the weights are found on disk and read with joblib.
"""
from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import cv2
import joblib
import numpy as np
import onnxruntime
from onnx import ModelProto, NodeProto, TensorProto, helper, numpy_helper

from influencer_kit.plugin import Face, worker_threads
from influencer_kit_plugins._onnx_models import session_options

MIN_FACE_SIZE = 20  # the package's defaults (MTCNN.detect_faces)
MIN_SIZE = 12
SCALE_FACTOR = 0.709
THRESHOLD_PNET, NMS_PNET_PER_SCALE, NMS_PNET = 0.6, 0.5, 0.7
THRESHOLD_RNET, NMS_RNET = 0.7, 0.7
THRESHOLD_ONET, NMS_ONET = 0.8, 0.7
NMS_CHUNK = 512  # boxes compared at once in NMS: bounds its memory on frames with many proposals
CHUNK_PIXELS = 2**14  # input pixels per network call (measured, one thread, frames of a clip at 480 px:
# RNet 4.8 ms/frame in calls of 28 patches, 5.4 in calls of 113, 7.5 in one call; ONet alike)
OPSET = 17  # ONNX operator set and IR version of the graphs: any onnxruntime since 1.13 runs them
IR_VERSION = 8


def weights_dir() -> Path:
    """The mtcnn package's weights folder, found without importing the package."""
    spec = importlib.util.find_spec("mtcnn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the mtcnn package (which holds the MTCNN weights) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "assets" / "weights"


# ---- networks: ONNX graphs from the Keras weights (kernels (kh, kw, in, out), dense (in, out)) ----

class GraphBuilder:
    """An ONNX graph built layer by layer on NCHW tensors; each method returns its output's name."""

    def __init__(self) -> None:
        self.nodes: list[NodeProto] = []
        self.weights: list[TensorProto] = []

    def images(self) -> str:
        """The input, NHWC float32 "images", as NCHW."""
        return self.node("Transpose", "images", perm=[0, 3, 1, 2])

    def constant(self, array: np.ndarray) -> str:
        name = f"weight{len(self.weights)}"
        self.weights.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name))
        return name

    def node(self, op: str, *inputs: str, **attributes) -> str:
        name = f"{op.lower()}{len(self.nodes)}"
        self.nodes.append(helper.make_node(op, list(inputs), [name], **attributes))
        return name

    def conv(self, x: str, kernel: np.ndarray, bias: np.ndarray) -> str:
        """Keras Conv2D, stride 1, padding "valid"."""
        return self.node("Conv", x, self.constant(kernel.transpose(3, 2, 0, 1)), self.constant(bias))

    def prelu(self, x: str, alpha: np.ndarray, per_channel_map: bool = True) -> str:
        """Keras PReLU (for conv layers alpha is shared over height and width), as
        x + (alpha - 1) * min(x, 0): measured, ONNX Runtime's PRelu op took half of RNet's time and
        these three ops take a seventh of what it took."""
        slope = alpha.reshape(-1) - 1
        negative = self.node("Min", x, self.constant(np.zeros(())))
        return self.node("Add", x, self.node("Mul", negative, self.constant(
            slope.reshape(-1, 1, 1) if per_channel_map else slope)))

    def max_pool(self, x: str, size: int, stride: int, same: bool) -> str:
        """Keras MaxPooling2D with TensorFlow's padding: "same" pads the end (then the start) so that
        out = ceil(in / stride), which is ONNX's SAME_UPPER; "valid" takes only whole windows."""
        padding = {"auto_pad": "SAME_UPPER"} if same else {}
        return self.node("MaxPool", x, kernel_shape=[size, size], strides=[stride, stride], **padding)

    def dense(self, x: str, weights: np.ndarray, bias: np.ndarray) -> str:
        return self.node("Gemm", x, self.constant(weights), self.constant(bias))

    def model(self, output: str, input_shape: list, output_shape: list) -> ModelProto:
        """The graph from NHWC float32 "images" (transposed to NCHW by the first node) to `output`."""
        graph = helper.make_graph(
            self.nodes, "mtcnn", [helper.make_tensor_value_info("images", TensorProto.FLOAT, input_shape)],
            [helper.make_tensor_value_info(output, TensorProto.FLOAT, output_shape)], self.weights)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)


def flatten_rows_for_nchw(weights: np.ndarray, height: int, width: int, channels: int) -> np.ndarray:
    """A dense layer's weights, whose rows follow the package's Permute((2, 1, 3)) then Flatten of an
    NHWC map (width, height, channel), reordered to follow a flatten of the NCHW map (channel,
    height, width)."""
    return (weights.reshape(width, height, channels, -1).transpose(2, 1, 0, 3)
            .reshape(channels * height * width, -1))


def pnet_model(weights: list[np.ndarray]) -> ModelProto:
    """Proposal network: images of any size in, per 12x12 cell (stride 2) an NHWC head of box
    offsets (4) and face/not-face logits (2)."""
    k1, b1, a1, k2, b2, a2, k3, b3, a3, k_box, b_box, k_class, b_class = weights
    graph = GraphBuilder()
    x = graph.max_pool(graph.prelu(graph.conv(graph.images(), k1, b1), a1), 2, 2, same=True)
    x = graph.prelu(graph.conv(x, k2, b2), a2)
    x = graph.prelu(graph.conv(x, k3, b3), a3)
    head = graph.conv(x, np.concatenate([k_box, k_class], axis=-1), np.concatenate([b_box, b_class]))
    nhwc_head = graph.node("Transpose", head, perm=[0, 2, 3, 1])
    return graph.model(nhwc_head, ["n", "h", "w", 3], ["n", "cells_h", "cells_w", 6])


def rnet_model(weights: list[np.ndarray]) -> ModelProto:
    """Refinement network: 24x24 patches in, a head of box offsets (4) and logits (2) per patch."""
    k1, b1, a1, k2, b2, a2, k3, b3, a3, w4, b4, a4, w_box, b_box, w_class, b_class = weights
    graph = GraphBuilder()
    x = graph.max_pool(graph.prelu(graph.conv(graph.images(), k1, b1), a1), 3, 2, same=True)
    x = graph.max_pool(graph.prelu(graph.conv(x, k2, b2), a2), 3, 2, same=False)
    x = graph.node("Flatten", graph.prelu(graph.conv(x, k3, b3), a3))
    x = graph.prelu(graph.dense(x, flatten_rows_for_nchw(w4, 3, 3, 64), b4), a4, per_channel_map=False)
    head = graph.dense(x, np.concatenate([w_box, w_class], axis=1), np.concatenate([b_box, b_class]))
    return graph.model(head, ["n", 24, 24, 3], ["n", 6])


def onet_model(weights: list[np.ndarray]) -> ModelProto:
    """Output network: 48x48 patches in, a head of box offsets (4), landmarks (10: five x, then
    five y, as fractions of the patch) and logits (2) per patch."""
    (k1, b1, a1, k2, b2, a2, k3, b3, a3, k4, b4, a4, w5, b5, a5, w_box, b_box,
     w_landmarks, b_landmarks, w_class, b_class) = weights
    graph = GraphBuilder()
    x = graph.max_pool(graph.prelu(graph.conv(graph.images(), k1, b1), a1), 3, 2, same=True)
    x = graph.max_pool(graph.prelu(graph.conv(x, k2, b2), a2), 3, 2, same=False)
    x = graph.max_pool(graph.prelu(graph.conv(x, k3, b3), a3), 2, 2, same=True)
    x = graph.node("Flatten", graph.prelu(graph.conv(x, k4, b4), a4))
    x = graph.prelu(graph.dense(x, flatten_rows_for_nchw(w5, 3, 3, 128), b5), a5, per_channel_map=False)
    head = graph.dense(x, np.concatenate([w_box, w_landmarks, w_class], axis=1),
                       np.concatenate([b_box, b_landmarks, b_class]))
    return graph.model(head, ["n", 48, 48, 3], ["n", 16])


def face_probability(logits: np.ndarray) -> np.ndarray:
    """The "face" column of a two-class softmax."""
    return 1 / (1 + np.exp(logits[..., 0] - logits[..., 1]))


class Network:
    """One network as an ONNX Runtime session on the worker's share of threads (`worker_threads()`: set
    by the executor from its worker count; one where none is set)."""

    def __init__(self, model: ModelProto) -> None:
        options = session_options(worker_threads())
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = onnxruntime.InferenceSession(model.SerializeToString(), options,
                                                    providers=["CPUExecutionProvider"])

    def __call__(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Box offsets, landmarks (none but ONet's: width 0) and face probability for NHWC float32
        images."""
        head = self.session.run(None, {"images": images})[0]
        return head[..., :4], head[..., 4:-2], face_probability(head[..., -2:])


# ---- images ----

def scale_pyramid(height: int, width: int) -> np.ndarray:
    """The scales PNet sees the frame at (mtcnn's build_scale_pyramid)."""
    count = round(-((np.log(min(width, height) / MIN_SIZE) / np.log(SCALE_FACTOR)) + 1))
    return MIN_SIZE / MIN_FACE_SIZE * SCALE_FACTOR ** np.arange(count)


def resize_area(images: np.ndarray, scale: float) -> np.ndarray:
    """Each image scaled by `scale`, sizes truncated to whole pixels, by area averaging (what
    tf.image.resize(..., AREA) does)."""
    h, w = (np.asarray(images.shape[1:3]) * scale).astype(int)
    return np.stack([cv2.resize(image, (int(w), int(h)), interpolation=cv2.INTER_AREA) for image in images])


def crop_and_resize(images: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """tf.image.crop_and_resize (bilinear, 0 outside the image) of each box [image, x1, y1, x2, y2]
    in pixels, normalised by the image size as mtcnn's extract_patches does (so the crop spans
    (size - 1) / size of what the box says, as in the package)."""
    _, h, w, _ = images.shape
    y1, x1 = (boxes[:, 2] / h).astype(np.float32), (boxes[:, 1] / w).astype(np.float32)
    y2, x2 = (boxes[:, 4] / h).astype(np.float32), (boxes[:, 3] / w).astype(np.float32)
    steps = np.arange(size, dtype=np.float32)
    in_y = y1[:, None] * (h - 1) + steps * ((y2 - y1) * (h - 1) / (size - 1))[:, None]
    in_x = x1[:, None] * (w - 1) + steps * ((x2 - x1) * (w - 1) / (size - 1))[:, None]
    inside = ((in_y >= 0) & (in_y <= h - 1))[:, :, None] & ((in_x >= 0) & (in_x <= w - 1))[:, None, :]
    top, left = np.floor(in_y), np.floor(in_x)
    dy, dx = (in_y - top)[:, :, None, None], (in_x - left)[:, None, :, None]
    first_row = boxes[:, 0].astype(int)[:, None] * h  # pixels are gathered by flat index: twice as fast
    top_rows = (first_row + np.clip(top, 0, h - 1).astype(int)) * w  # as indexing with (image, y, x)
    bottom_rows = (first_row + np.clip(np.ceil(in_y), 0, h - 1).astype(int)) * w
    left = np.clip(left, 0, w - 1).astype(int)[:, None, :]
    right = np.clip(np.ceil(in_x), 0, w - 1).astype(int)[:, None, :]
    pixels = images.reshape(-1, images.shape[3])

    def gather(rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        return np.take(pixels, rows[:, :, None] + columns, axis=0)

    top_row = gather(top_rows, left)
    top_row += (gather(top_rows, right) - top_row) * dx
    bottom_row = gather(bottom_rows, left)
    bottom_row += (gather(bottom_rows, right) - bottom_row) * dx
    top_row += (bottom_row - top_row) * dy
    top_row[~inside] = 0
    return top_row


# ---- boxes: rows [image, x1, y1, x2, y2, confidence], after ONet then five landmark x, five y ----

def by_confidence(boxes: np.ndarray) -> np.ndarray:
    """Rows sorted by confidence, highest first (the same sort as mtcnn's sort_by_scores)."""
    return boxes[np.argsort(boxes[:, 5])[::-1]]


def proposals(offsets: np.ndarray, confidence: np.ndarray, scale: float) -> np.ndarray:
    """PNet's cells above the threshold as boxes in frame pixels, highest confidence first
    (mtcnn's generate_bounding_box and upscale_bboxes)."""
    image, row, col = np.where(confidence > THRESHOLD_PNET)
    reg = offsets[image, row, col].astype(np.float64).T
    x1, y1, x2, y2 = col * 2 + 1, row * 2 + 1, col * 2 + 12, row * 2 + 12  # the package's cell: 11 px wide
    boxes = np.stack([image, x1 + reg[0] * 11, y1 + reg[1] * 11, x2 + reg[2] * 11, y2 + reg[3] * 11,
                      confidence[image, row, col]], axis=1)
    boxes = by_confidence(boxes)
    boxes[:, 1:5] /= scale
    return boxes


def suppressed(boxes: np.ndarray, threshold: float, method: str) -> np.ndarray:
    """For boxes of one image in order, whether a box before it overlaps it by more than
    `threshold` (mtcnn's nms: a suppressed box still suppresses later ones). Overlap is area of
    intersection over union ("union") or over the smaller box ("min")."""
    x1, y1, x2, y2 = boxes[:, 1:5].T
    area = (x2 - x1) * (y2 - y1)
    hit = np.zeros(len(boxes), dtype=bool)
    for start in range(0, len(boxes), NMS_CHUNK):
        end = min(start + NMS_CHUNK, len(boxes))
        later = slice(start, end)
        inter = (np.maximum(0, np.minimum(x2[:end, None], x2[None, later]) - np.maximum(x1[:end, None], x1[None, later]))
                 * np.maximum(0, np.minimum(y2[:end, None], y2[None, later]) - np.maximum(y1[:end, None], y1[None, later])))
        if method == "union":
            overlap = inter / (area[:end, None] + area[None, later] - inter)
        else:
            overlap = inter / np.minimum(area[:end, None], area[None, later])
        earlier = np.arange(end)[:, None] < np.arange(start, end)[None, :]
        hit[later] = ((overlap > threshold) & earlier).any(axis=0)
    return hit


def nms(boxes: np.ndarray, threshold: float, method: str = "union", sort: bool = True) -> np.ndarray:
    """mtcnn's smart_nms_from_bboxes: per image, drop each box that an earlier one overlaps."""
    if sort:
        boxes = by_confidence(boxes)
    kept = [b[~suppressed(b, threshold, method)] for image in np.unique(boxes[:, 0]) for b in [boxes[boxes[:, 0] == image]]]
    return np.concatenate(kept) if kept else boxes[:0]


def squared(boxes: np.ndarray) -> np.ndarray:
    """Each box grown to a square around its centre (mtcnn's resize_to_square)."""
    boxes = boxes.copy()
    w, h = boxes[:, 3] - boxes[:, 1], boxes[:, 4] - boxes[:, 2]
    side = np.maximum(w, h)
    boxes[:, 1] += w * 0.5 - side * 0.5
    boxes[:, 2] += h * 0.5 - side * 0.5
    boxes[:, 3:5] = boxes[:, 1:3] + side[:, None]
    return boxes


def placed(landmarks: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Landmarks given as fractions of each box (five x, then five y) in frame pixels, placed on the
    box they were predicted from (mtcnn's adjust_landmarks)."""
    w, h = boxes[:, 3:4] - boxes[:, 1:2] + 1, boxes[:, 4:5] - boxes[:, 2:3] + 1
    return np.concatenate([w * landmarks[:, :5] + boxes[:, 1:2] - 1,
                           h * landmarks[:, 5:] + boxes[:, 2:3] - 1], axis=1)


def refined(boxes: np.ndarray, offsets: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """Boxes moved by a network's offsets, with its confidence (mtcnn's replace_confidence and
    adjust_bboxes)."""
    boxes = boxes.copy()
    boxes[:, 5] = confidence
    w, h = boxes[:, 3] - boxes[:, 1] + 1, boxes[:, 4] - boxes[:, 2] + 1
    boxes[:, 1:5] += offsets * np.stack([w, h, w, h], axis=1)
    return boxes


class MTCNN:
    """The three networks on the mtcnn package's weights, with the package's default stages."""

    def __init__(self) -> None:
        folder = weights_dir()
        self.pnet = Network(pnet_model(joblib.load(folder / "pnet.lz4")))
        self.rnet = Network(rnet_model(joblib.load(folder / "rnet.lz4")))
        self.onet = Network(onet_model(joblib.load(folder / "onet.lz4")))

    def detect(self, frames: list[np.ndarray]) -> list[list[Face]]:
        """Faces in each RGB frame (frames of one size), as the package's detect_faces reports them:
        boxes limited to the frame, x, y, width, height rounded; landmarks as found (not rounded)."""
        images = (np.stack(frames).astype(np.float32) - 127.5) / 128
        boxes = self.stages(images)
        h, w = images.shape[1:3]
        boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, w - 1)
        boxes[:, [2, 4]] = np.clip(boxes[:, [2, 4]], 0, h - 1)
        xywh = np.stack([boxes[:, 1], boxes[:, 2], boxes[:, 3] - boxes[:, 1], boxes[:, 4] - boxes[:, 2]], axis=1)
        xywh = xywh.round().astype(int)
        found: list[list[Face]] = [[] for _ in frames]
        for row, box in zip(boxes, xywh):
            points = tuple((float(x), float(y)) for x, y in zip(row[6:11], row[11:16]))
            found[int(row[0])].append(Face(box=tuple(int(v) for v in box), confidence=float(row[5]),
                                           landmarks=points))
        return found

    def stages(self, images: np.ndarray) -> np.ndarray:
        """Rows [image, x1, y1, x2, y2, confidence, five landmark x, five y] of the faces in
        normalised images of one size."""
        per_scale = []
        for scale in scale_pyramid(*images.shape[1:3]):
            scaled_pixels = int(images.shape[1] * scale) * int(images.shape[2] * scale)
            offsets, _, confidence = in_chunks(lambda part: self.pnet(resize_area(part, scale)), images, scaled_pixels)
            per_scale.append(nms(proposals(offsets, confidence, scale), NMS_PNET_PER_SCALE, sort=False))
        boxes = squared(nms(np.concatenate(per_scale) if per_scale else np.empty((0, 6)), NMS_PNET))
        if len(boxes):
            boxes = self.refine(self.rnet, images, boxes, 24, THRESHOLD_RNET)
            boxes = squared(nms(boxes, NMS_RNET))
        if len(boxes):
            boxes = nms(self.refine(self.onet, images, boxes, 48, THRESHOLD_ONET), NMS_ONET, method="min")
        return boxes

    @staticmethod
    def refine(network: Network, images: np.ndarray, boxes: np.ndarray, size: int, threshold: float) -> np.ndarray:
        """Boxes moved and re-scored by `network` on their patches, with its landmarks (if any)
        appended, those above `threshold` kept."""
        offsets, landmarks, confidence = in_chunks(lambda part: network(crop_and_resize(images, part, size)),
                                                   boxes, size * size)
        boxes = np.concatenate([refined(boxes, offsets, confidence), placed(landmarks, boxes)], axis=1)
        return boxes[boxes[:, 5] > threshold]


def in_chunks(run: Callable[[np.ndarray], tuple[np.ndarray, ...]], items: np.ndarray,
              pixels_each: int) -> tuple[np.ndarray, ...]:
    """`run` on consecutive parts of `items` of about CHUNK_PIXELS input pixels, outputs joined."""
    step = max(1, CHUNK_PIXELS // pixels_each)
    parts = [run(items[start : start + step]) for start in range(0, len(items), step)]
    return tuple(np.concatenate(outputs) for outputs in zip(*parts))
