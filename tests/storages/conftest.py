from __future__ import annotations

import sys
from pathlib import Path

# Worker processes started with "spawn" import their target from storage_workers; spawn hands
# the parent's sys.path to the child, so putting this folder on it is enough.
sys.path.insert(0, str(Path(__file__).parent))
