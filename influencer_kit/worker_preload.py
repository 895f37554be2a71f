"""What the executor's fork server imports once, before it forks any worker: the heavy libraries
the default models need (their import is most of a worker's start) and the worker's own modules
and plugin registry, with TensorFlow's import-time chatter filtered out of the terminal. Nothing
here runs a model, so forking afterwards is safe. `executor.TENSORFLOW_ENV` is set first."""
import importlib
import importlib.util

from influencer_kit import executor, plugins  # noqa: F401  (imported for the workers)
from influencer_kit.quiet import native_chatter_filtered, quiet_libraries

HEAVY = ("tensorflow", "mtcnn", "dlib")

executor._tensorflow_environment()
quiet_libraries()
with native_chatter_filtered():
    for name in HEAVY:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
plugins.registry()
