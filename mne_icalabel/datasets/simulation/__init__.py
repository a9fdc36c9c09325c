"""Simulated recordings with known sources and artifacts."""

from .eeg import simulate_eeg_raw
