"""`python -m influencer_kit.plugin`: every installed component, its options and whether its model
weights are present."""
from influencer_kit.plugin.manager import describe

print(describe())
