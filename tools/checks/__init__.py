"""Deterministic electrical, BOM and firmware checks over Ohm's artifacts."""
