"""Every scenario's tests import their shared helpers from molecule/resources/gxhpc_testlib.py."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "resources"))
