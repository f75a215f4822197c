# Tune a simulated-annealing TSP heuristic over a set of problem instances; the Wilcoxon
# pruner compares each trial with the best one instance by instance and stops losers early.
import json
import math

import numpy as np
import optuna

N_INSTANCES, N_CITIES, N_TRIALS = 8, 20, 16


def anneal(cities, order, max_iter, t0, alpha, patience):
    order = order.copy()
    n = len(order)

    def length(o):
        return sum(np.linalg.norm(cities[o[i]] - cities[o[(i + 1) % n]]) for i in range(n))

    rng = np.random.RandomState(7)
    cost = best_cost = length(order)
    best = order.copy()
    left = patience
    for it in range(max_iter):
        i = rng.randint(0, n)
        j = (i + 2 + rng.randint(0, n - 3)) % n
        i, j = min(i, j), max(i, j)
        a, b = cities[order[i]], cities[order[i + 1]]
        c, d = cities[order[j]], cities[order[(j + 1) % n]]
        norm = np.linalg.norm
        delta = norm(a - c) + norm(b - d) - norm(a - b) - norm(c - d)
        temp = t0 * (1 - it / max_iter) ** alpha
        if delta <= 0 or rng.rand() < math.exp(-delta / max(temp, 1e-12)):
            order[i + 1 : j + 1] = order[i + 1 : j + 1][::-1]
            cost += delta
            if cost < best_cost:
                best_cost, best = cost, order.copy()
        if cost >= best_cost:
            left -= 1
            if left == 0:
                order, cost, left = best.copy(), best_cost, patience
    return best_cost


rng = np.random.default_rng(3)
instances = [(rng.random((N_CITIES, 2)), rng.permutation(N_CITIES)) for _ in range(N_INSTANCES)]
evaluations = 0


def objective(trial):
    global evaluations
    patience = trial.suggest_int("patience", 10, 1000, log=True)
    t0 = trial.suggest_float("T0", 0.1, 10.0, log=True)
    alpha = trial.suggest_float("alpha", 1.1, 10.0, log=True)
    costs = []
    for i in np.random.default_rng(trial.number).permutation(N_INSTANCES):
        evaluations += 1
        cities, start = instances[i]
        costs.append(anneal(cities, start, 600, t0, alpha, patience))
        trial.report(costs[-1], int(i))
        if trial.should_prune():
            return sum(costs) / len(costs)
    return sum(costs) / len(costs)


if __name__ == "__main__":
    sampler = optuna.samplers.TPESampler(seed=5)
    pruner = optuna.pruners.WilcoxonPruner(p_threshold=0.1)
    study = optuna.create_study(direction="minimize", sampler=sampler, pruner=pruner)
    study.enqueue_trial({"patience": 300, "T0": 1.0, "alpha": 1.8})
    study.optimize(objective, n_trials=N_TRIALS)
    print(f"best {study.best_value} {study.best_params}; {evaluations} of "
          f"{N_INSTANCES * N_TRIALS} evaluations")
    print("RESULT", json.dumps({"evaluations": evaluations, "all": N_INSTANCES * N_TRIALS}))
