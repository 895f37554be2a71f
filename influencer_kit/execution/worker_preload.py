"""What the executor's fork server imports once, before it forks any worker: the default models'
libraries (dlib, ONNX Runtime), the worker's own modules and the plugin registry. Another model's
heavy library (TensorFlow for `detector.runtime=tensorflow`, retinaface or deepface) is imported by
its `fit()` in each worker. Nothing here runs a model, so forking afterwards is safe."""
import importlib
import importlib.util

from influencer_kit.execution import local, task  # noqa: F401  (imported for the workers)
from influencer_kit.plugin import manager
from influencer_kit.quiet import quiet_libraries

SHARED = ("dlib", "onnxruntime", "onnx")  # OpenCV and numpy come with the modules above

quiet_libraries()
for name in SHARED:
    if importlib.util.find_spec(name) is not None:
        importlib.import_module(name)
manager.registry()
