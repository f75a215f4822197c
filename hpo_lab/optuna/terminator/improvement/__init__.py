"""``optuna.terminator.improvement`` on hpo_lab."""
