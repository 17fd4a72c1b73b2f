"""chrono's own conventions, one package each; they load through the same entry points as plugins."""
