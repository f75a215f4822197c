"""The contract suite must fail for samplers that break the contract."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

from hpo_lab.testing.pytest_samplers import DISTRIBUTIONS

BROKEN = textwrap.dedent(
    """
    import random

    import pytest

    from hpo_lab.distributions import CategoricalDistribution
    from hpo_lab.samplers import BaseSampler, RandomSampler
    from hpo_lab.testing.pytest_samplers import SamplerContractTests


    class OutOfRange(BaseSampler):
        def sample_independent(self, view, trial, name, distribution):
            if isinstance(distribution, CategoricalDistribution):
                return "not a choice"
            return distribution.high + 1


    class Unseeded(BaseSampler):
        def sample_independent(self, view, trial, name, distribution):
            return RandomSampler(seed=random.randrange(2**32)).sample_independent(
                view, trial, name, distribution
            )


    class TestOutOfRange(SamplerContractTests):
        @pytest.fixture
        def sampler_factory(self):
            return lambda seed: OutOfRange()


    class TestUnseeded(SamplerContractTests):
        @pytest.fixture
        def sampler_factory(self):
            return lambda seed: Unseeded()
    """
)


def test_contract_fails_for_broken_samplers(tmp_path: Path) -> None:
    module = tmp_path / "test_broken_samplers.py"
    module.write_text(BROKEN)
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf",
            "-k", "values_inside or same_seed",
            "--rootdir", str(tmp_path), "-c", "/dev/null", str(module),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    failed = set(re.findall(r"FAILED \S+::(Test\w+::test_\w+)(?:\[(\w+)\])?", result.stdout))
    assert failed, result.stdout[-3000:]
    out_of_range = {
        param for name, param in failed if name == "TestOutOfRange::test_values_inside_distribution"
    }
    assert out_of_range == set(DISTRIBUTIONS)
    names = {name for name, _ in failed}
    assert "TestUnseeded::test_same_seed_same_proposals" in names
    # An unseeded sampler still keeps every value inside its distribution.
    assert not any(n.startswith("TestUnseeded::test_values") for n in names)


BROKEN_COPIES = textwrap.dedent(
    """
    import random
    import threading

    import pytest

    from hpo_lab.samplers import BaseSampler, RandomSampler
    from hpo_lab.testing.pytest_samplers import SamplerContractTests


    class ReseedsOnCopy(RandomSampler):
        # A copy starts a random stream of its own (cmaes drops its generator this way).
        def __setstate__(self, state):
            super().__setstate__(state)
            self.reseed_rng(random.randrange(2**32))


    class SharesStreamOnCopy(RandomSampler):
        # A copy shares the original's generator, so each advances the other.
        def __deepcopy__(self, memo):
            twin = object.__new__(type(self))
            twin.__dict__.update(self.__dict__)
            twin._lock = threading.Lock()
            return twin


    class Uncopyable(BaseSampler):
        def __init__(self, seed):
            self._inner = RandomSampler(seed)
            self._guard = threading.Lock()

        def sample_independent(self, view, trial, name, distribution):
            with self._guard:
                return self._inner.sample_independent(view, trial, name, distribution)


    class TestReseedsOnCopy(SamplerContractTests):
        @pytest.fixture
        def sampler_factory(self):
            return ReseedsOnCopy


    class TestSharesStreamOnCopy(SamplerContractTests):
        @pytest.fixture
        def sampler_factory(self):
            return SharesStreamOnCopy


    class TestUncopyable(SamplerContractTests):
        @pytest.fixture
        def sampler_factory(self):
            return Uncopyable
    """
)


def test_contract_fails_for_samplers_that_do_not_copy(tmp_path: Path) -> None:
    module = tmp_path / "test_broken_copies.py"
    module.write_text(BROKEN_COPIES)
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf",
            "-k", "copy_round_trip or copy_keeps",
            "--rootdir", str(tmp_path), "-c", "/dev/null", str(module),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    failed = set(re.findall(r"FAILED \S+::(Test\w+::test_\w+(?:\[\w+\])?)", result.stdout))
    assert failed == {
        "TestReseedsOnCopy::test_copy_keeps_the_seed_stream",
        "TestSharesStreamOnCopy::test_copy_keeps_the_seed_stream",
        "TestUncopyable::test_copy_round_trip[deepcopy]",
        "TestUncopyable::test_copy_round_trip[pickle]",
        "TestUncopyable::test_copy_keeps_the_seed_stream",
    }, result.stdout[-3000:]
