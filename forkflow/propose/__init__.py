"""Bubble-up proposals: shared changes proposed upstream once, their bodies, and contributions."""
