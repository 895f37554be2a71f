"""Sample data for tests, benchmarks and the shipped demo: videos made from still photos.

Installed beside influencer_kit (as `influencer_kit_samples`) but never imported by it, so the
runtime needs none of its libraries: scikit-image and matplotlib (their sample photos) come with
the `test` extra. `python -m influencer_kit_samples.demo` rebuilds the demo set that ships in
`influencer_kit/inputs/demo_set/`."""
