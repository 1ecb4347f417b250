"""Hand-off pages: what a sender's developers need to integrate with one connector.

Pure: built from a connector row, its auth settings and an example payload; no database, no
HTTP. `api/handoff.py` serves them. See docs/integration-pages.md.
"""
