"""Shared by every test tree below tests/ (unit, galaxy_parser, integration, docs, build).

Makes the checkout importable as ``ansible_collections.gxhpc.cluster`` (through the link `make venv` makes,
created here when it is missing) and this folder importable, for its helper modules (playbook_runs).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COLLECTIONS = os.path.join(ROOT, ".cache", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "gxhpc", "cluster")

if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)
for path in (COLLECTIONS, HERE):
    if path not in sys.path:
        sys.path.insert(0, path)
