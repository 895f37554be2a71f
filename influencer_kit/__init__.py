"""influencer-kit: find the people in posted videos and rank influencers by performance."""
import pluggy

__version__ = "0.1.0"
PROJECT = "influencer_kit"
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = ["hookimpl", "__version__", "PROJECT"]
