"""Search spaces: versioned revisions, the unit-cube encoding samplers share."""

from hpo_lab.search_space._revision import (
    SpaceRevision,
    apply_constraint,
    build_constraint,
    constraints_from_json,
    constraints_to_json,
    describe_range,
)
from hpo_lab.search_space._transform import decode_unit, encode_unit, intersection_search_space

__all__ = [
    "SpaceRevision",
    "apply_constraint",
    "build_constraint",
    "constraints_from_json",
    "constraints_to_json",
    "decode_unit",
    "describe_range",
    "encode_unit",
    "intersection_search_space",
]
