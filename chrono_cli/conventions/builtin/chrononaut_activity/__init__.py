"""Chrononaut 0.3-0.4: one ``chrononaut_activity`` table of JSON snapshots (the state after each change)."""
