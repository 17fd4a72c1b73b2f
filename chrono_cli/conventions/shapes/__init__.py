"""Shape engines: reading, change listing, writing and drift rules for a history layout, written once.

One module per shape; ``adapters`` binds them to declared layouts (adapter name = shape name).
"""
