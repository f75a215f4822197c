"""Search spaces: versioned revisions, the unit-cube encoding samplers share."""

from hpo_lab.search_space._revision import (
    SpaceRevision,
    build_constraint,
    constraints_from_json,
    constraints_to_json,
)
from hpo_lab.search_space._transform import decode_unit, encode_unit, intersection_search_space

__all__ = [
    "SpaceRevision",
    "build_constraint",
    "constraints_from_json",
    "constraints_to_json",
    "decode_unit",
    "encode_unit",
    "intersection_search_space",
]
