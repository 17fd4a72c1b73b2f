"""``chrono browse``: a Textual browser over the same services the commands use (tables, timeline, diff, writes)."""
