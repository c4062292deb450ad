"""`make bench`: scheduler and check-path figures at scale (see bench/__main__.py)."""
