# A user-written sampler: simulated annealing over the shared search space.
import json

import numpy as np
import optuna
from optuna import distributions
from optuna.samplers import BaseSampler
from optuna.study import StudyDirection
from optuna.trial import TrialState


class SimulatedAnnealingSampler(BaseSampler):
    def __init__(self, temperature=100, cooldown_factor=0.9, neighbor_range_factor=0.1, seed=None):
        self._rng = np.random.RandomState(seed)
        self._independent_sampler = optuna.samplers.RandomSampler(seed=seed)
        self._temperature = temperature
        self.cooldown_factor = cooldown_factor
        self.neighbor_range_factor = neighbor_range_factor
        self._current_trial = None

    def infer_relative_search_space(self, study, trial):
        return optuna.search_space.intersection_search_space(study.get_trials(deepcopy=False))

    def sample_relative(self, study, trial, search_space):
        if search_space == {}:
            return {}
        last = study.get_trials(deepcopy=False, states=[TrialState.COMPLETE])[-1]
        if self._rng.uniform(0, 1) <= self._acceptance(study, last):
            self._current_trial = last
        params = {}
        for name, dist in search_space.items():
            if not isinstance(dist, distributions.FloatDistribution) or dist.log or dist.step:
                raise NotImplementedError(f"unsupported distribution {dist}")
            width = (dist.high - dist.low) * self.neighbor_range_factor
            centre = self._current_trial.params[name]
            low, high = max(centre - width, dist.low), min(centre + width, dist.high)
            params[name] = self._rng.uniform(low, high)
        self._temperature *= self.cooldown_factor
        return params

    def _acceptance(self, study, last):
        if self._current_trial is None:
            return 1.0
        new, old = last.value, self._current_trial.value
        if study.direction == StudyDirection.MINIMIZE and new <= old:
            return 1.0
        if study.direction == StudyDirection.MAXIMIZE and new >= old:
            return 1.0
        return np.exp(-abs(old - new) / self._temperature)

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self._independent_sampler.sample_independent(
            study, trial, param_name, param_distribution
        )


def objective(trial):
    x = trial.suggest_float("x", -100, 100)
    y = trial.suggest_float("y", -1, 1)
    return x**2 + y


if __name__ == "__main__":
    study = optuna.create_study(sampler=SimulatedAnnealingSampler(seed=0))
    study.optimize(objective, n_trials=100)
    print(f"best value {study.best_trial.value} at {study.best_trial.params}")
    print("RESULT", json.dumps({"best_value": study.best_value}))
