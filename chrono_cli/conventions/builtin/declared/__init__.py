"""Layouts users declare in chrono.toml (``[tables.X] layout = "..."``): one convention per shape engine.

They detect nothing by themselves: ``chrono_cli.conventions.declared`` turns the configuration into their
detections. History written by the table's own triggers is left to those triggers (the triggers decide the
actor and reason they record, and the plan says so); in-table versions are written by chrono itself.
"""
