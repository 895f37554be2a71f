"""The built-in detectors, embedders and clusterers, each registered through the `influencer_kit`
entry-point group exactly as a third-party plugin would be."""
