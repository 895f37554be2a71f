"""MTCNN in numpy and OpenCV: the `mtcnn` package's three networks, run on its own weights, and its
stages (scale pyramid, PNet proposals, RNet and ONet refinement), without TensorFlow.

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
from numpy.lib.stride_tricks import sliding_window_view

from influencer_kit.components import Face

MIN_FACE_SIZE = 20  # the package's defaults (MTCNN.detect_faces)
MIN_SIZE = 12
SCALE_FACTOR = 0.709
THRESHOLD_PNET, NMS_PNET_PER_SCALE, NMS_PNET = 0.6, 0.5, 0.7
THRESHOLD_RNET, NMS_RNET = 0.7, 0.7
THRESHOLD_ONET, NMS_ONET = 0.8, 0.7
NMS_CHUNK = 512  # boxes compared at once in NMS: bounds its memory on frames with many proposals
CHUNK_PIXELS = 2**16  # input pixels per network call: its activations stay in the CPU's cache
# (measured, one thread: RNet on 1553 patches 250 ms in one call, 150 ms in calls of 64 patches)


def weights_dir() -> Path:
    """The mtcnn package's weights folder, found without importing the package."""
    spec = importlib.util.find_spec("mtcnn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the mtcnn package (which holds the MTCNN weights) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "assets" / "weights"


# ---- layers (NHWC float32; Keras layouts: kernels (kh, kw, in, out), dense (in, out)) ----

def conv(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Keras Conv2D, stride 1, padding "valid". Measured with one BLAS thread on every layer of the
    three networks: with many more outputs than inputs (RNet's and ONet's first layers) one matmul
    over im2col patches is fastest; otherwise a matmul per kernel offset on shifted views, summed
    (it never copies the patches)."""
    kh, kw, channels, out = kernel.shape
    n, h, w, _ = x.shape
    oh, ow = h - kh + 1, w - kw + 1
    if channels * 4 < out:
        windows = sliding_window_view(x, (kh, kw), axis=(1, 2))  # n, oh, ow, channels, kh, kw
        patches = np.ascontiguousarray(windows.transpose(0, 1, 2, 4, 5, 3)).reshape(-1, kh * kw * channels)
        return (patches @ kernel.reshape(-1, out) + bias).reshape(n, oh, ow, out)
    result = np.broadcast_to(bias, (n, oh, ow, out)).copy()
    for i in range(kh):
        for j in range(kw):
            result += x[:, i : i + oh, j : j + ow] @ kernel[i, j]
    return result


def prelu(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Keras PReLU (alpha shared over height and width for conv layers), as x + (alpha - 1) * min(x, 0):
    three passes in place, three times faster than np.where."""
    negative = np.minimum(x, 0)
    negative *= alpha.reshape(-1) - 1
    negative += x
    return negative


def max_pool(x: np.ndarray, size: int, stride: int, same: bool) -> np.ndarray:
    """Keras MaxPooling2D with TensorFlow's padding: "same" pads the end (then the start) so that
    out = ceil(in / stride); "valid" takes only whole windows."""
    h, w = x.shape[1:3]
    if same:
        oh, ow = -(-h // stride), -(-w // stride)
        ph, pw = max((oh - 1) * stride + size - h, 0), max((ow - 1) * stride + size - w, 0)
        if ph or pw:
            x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)),
                       constant_values=-np.inf)
    else:
        oh, ow = (h - size) // stride + 1, (w - size) // stride + 1
    rows = x[:, : (oh - 1) * stride + 1 : stride]
    for i in range(1, size):
        rows = np.maximum(rows, x[:, i : i + (oh - 1) * stride + 1 : stride])
    pooled = rows[:, :, : (ow - 1) * stride + 1 : stride]
    for j in range(1, size):
        pooled = np.maximum(pooled, rows[:, :, j : j + (ow - 1) * stride + 1 : stride])
    return pooled


def face_probability(logits: np.ndarray) -> np.ndarray:
    """The "face" column of a two-class softmax."""
    return 1 / (1 + np.exp(logits[..., 0] - logits[..., 1]))


def flatten_like_keras(x: np.ndarray) -> np.ndarray:
    """The package's Permute((2, 1, 3)) then Flatten: width before height."""
    return x.transpose(0, 2, 1, 3).reshape(len(x), -1)


class PNet:
    """Proposal network: any image size in, per 12x12 cell (stride 2) box offsets and face probability."""

    def __init__(self, weights: list[np.ndarray]) -> None:
        (self.k1, self.b1, self.a1, self.k2, self.b2, self.a2, self.k3, self.b3, self.a3,
         k41, b41, k42, b42) = weights
        self.head_kernel = np.concatenate([k41, k42], axis=-1)[0, 0]  # both 1x1 heads in one matmul
        self.head_bias = np.concatenate([b41, b42])

    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = max_pool(prelu(conv(x, self.k1, self.b1), self.a1), 2, 2, same=True)
        x = prelu(conv(x, self.k2, self.b2), self.a2)
        x = prelu(conv(x, self.k3, self.b3), self.a3)
        head = x @ self.head_kernel + self.head_bias
        return head[..., :4], face_probability(head[..., 4:])


class RNet:
    """Refinement network: 24x24 patches in, box offsets and face probability out."""

    def __init__(self, weights: list[np.ndarray]) -> None:
        (self.k1, self.b1, self.a1, self.k2, self.b2, self.a2, self.k3, self.b3, self.a3,
         self.w4, self.b4, self.a4, self.w_box, self.b_box, self.w_class, self.b_class) = weights

    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = max_pool(prelu(conv(x, self.k1, self.b1), self.a1), 3, 2, same=True)
        x = max_pool(prelu(conv(x, self.k2, self.b2), self.a2), 3, 2, same=False)
        x = prelu(conv(x, self.k3, self.b3), self.a3)
        x = prelu(flatten_like_keras(x) @ self.w4 + self.b4, self.a4)
        return x @ self.w_box + self.b_box, face_probability(x @ self.w_class + self.b_class)


class ONet:
    """Output network: 48x48 patches in, box offsets and face probability out (its landmarks
    head is not run: the detector reports boxes only)."""

    def __init__(self, weights: list[np.ndarray]) -> None:
        (self.k1, self.b1, self.a1, self.k2, self.b2, self.a2, self.k3, self.b3, self.a3,
         self.k4, self.b4, self.a4, self.w5, self.b5, self.a5, self.w_box, self.b_box,
         _landmarks_w, _landmarks_b, self.w_class, self.b_class) = weights

    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = max_pool(prelu(conv(x, self.k1, self.b1), self.a1), 3, 2, same=True)
        x = max_pool(prelu(conv(x, self.k2, self.b2), self.a2), 3, 2, same=False)
        x = max_pool(prelu(conv(x, self.k3, self.b3), self.a3), 2, 2, same=True)
        x = prelu(conv(x, self.k4, self.b4), self.a4)
        x = prelu(flatten_like_keras(x) @ self.w5 + self.b5, self.a5)
        return x @ self.w_box + self.b_box, face_probability(x @ self.w_class + self.b_class)


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


# ---- boxes: rows [image, x1, y1, x2, y2, confidence] ----

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
        self.pnet = PNet(joblib.load(folder / "pnet.lz4"))
        self.rnet = RNet(joblib.load(folder / "rnet.lz4"))
        self.onet = ONet(joblib.load(folder / "onet.lz4"))

    def detect(self, frames: list[np.ndarray]) -> list[list[Face]]:
        """Faces in each RGB frame (frames of one size), as the package's detect_faces reports them:
        boxes limited to the frame, x, y, width, height rounded."""
        images = (np.stack(frames).astype(np.float32) - 127.5) / 128
        boxes = self.stages(images)
        h, w = images.shape[1:3]
        boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, w - 1)
        boxes[:, [2, 4]] = np.clip(boxes[:, [2, 4]], 0, h - 1)
        xywh = np.stack([boxes[:, 1], boxes[:, 2], boxes[:, 3] - boxes[:, 1], boxes[:, 4] - boxes[:, 2]], axis=1)
        xywh = xywh.round().astype(int)
        found: list[list[Face]] = [[] for _ in frames]
        for row, box in zip(boxes, xywh):
            found[int(row[0])].append(Face(box=tuple(int(v) for v in box), confidence=float(row[5])))
        return found

    def stages(self, images: np.ndarray) -> np.ndarray:
        """Rows [image, x1, y1, x2, y2, confidence] of the faces in normalised images of one size."""
        per_scale = []
        for scale in scale_pyramid(*images.shape[1:3]):
            scaled_pixels = int(images.shape[1] * scale) * int(images.shape[2] * scale)
            offsets, confidence = in_chunks(lambda part: self.pnet(resize_area(part, scale)), images, scaled_pixels)
            per_scale.append(nms(proposals(offsets, confidence, scale), NMS_PNET_PER_SCALE, sort=False))
        boxes = squared(nms(np.concatenate(per_scale) if per_scale else np.empty((0, 6)), NMS_PNET))
        if len(boxes):
            boxes = self.refine(self.rnet, images, boxes, 24, THRESHOLD_RNET)
            boxes = squared(nms(boxes, NMS_RNET))
        if len(boxes):
            boxes = nms(self.refine(self.onet, images, boxes, 48, THRESHOLD_ONET), NMS_ONET, method="min")
        return boxes

    @staticmethod
    def refine(network: RNet | ONet, images: np.ndarray, boxes: np.ndarray, size: int, threshold: float) -> np.ndarray:
        """Boxes moved and re-scored by `network` on their patches, those above `threshold` kept."""
        offsets, confidence = in_chunks(lambda part: network(crop_and_resize(images, part, size)), boxes, size * size)
        boxes = refined(boxes, offsets, confidence)
        return boxes[boxes[:, 5] > threshold]


def in_chunks(run: Callable[[np.ndarray], tuple[np.ndarray, ...]], items: np.ndarray,
              pixels_each: int) -> tuple[np.ndarray, ...]:
    """`run` on consecutive parts of `items` of about CHUNK_PIXELS input pixels, outputs joined."""
    step = max(1, CHUNK_PIXELS // pixels_each)
    parts = [run(items[start : start + step]) for start in range(0, len(items), step)]
    return tuple(np.concatenate(outputs) for outputs in zip(*parts))
