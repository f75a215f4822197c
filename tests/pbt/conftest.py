from __future__ import annotations

import sys
from pathlib import Path

import cloudpickle

sys.path.insert(0, str(Path(__file__).parent))

import pbt_objectives

cloudpickle.register_pickle_by_value(pbt_objectives)
