"""Chrononaut 0.1-0.2: ``<table>_history`` holding the state before each change, with ``change_info``."""
