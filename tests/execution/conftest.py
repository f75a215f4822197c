from __future__ import annotations

import sys
from pathlib import Path

import cloudpickle

sys.path.insert(0, str(Path(__file__).parent))

import exec_objectives

# Worker processes cannot import the test helpers; ship them by value, as cloudpickle does
# for functions defined in a notebook.
cloudpickle.register_pickle_by_value(exec_objectives)
