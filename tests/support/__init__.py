"""Helpers several test modules share (tests import these, never each other)."""
