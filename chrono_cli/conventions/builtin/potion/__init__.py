"""Flask-Potion's HistoryMixin recipe: ``history_record`` of ``[{attribute, old, new}]`` diffs."""
