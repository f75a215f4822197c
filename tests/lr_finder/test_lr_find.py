"""The learning-rate finder: where its suggestions fall, that they train well, and that it
leaves the model exactly as it found it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

import hpo_lab
from hpo_lab.lr_finder import lr_find, smooth_losses, suggest
from hpo_lab.viz import plot_lr_find


def _least_squares(seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(200, 10)) * rng.uniform(0.2, 3.0, size=10)
    b = a @ rng.normal(size=10) + 0.1 * rng.normal(size=200)
    # f(w) = |Aw - b|^2 / n has gradient 2 A^T(Aw - b) / n, Lipschitz L = 2 lambda_max(A^T A)/n.
    lipschitz = 2.0 * float(np.linalg.eigvalsh(a.T @ a / len(a)).max())
    return a, b, lipschitz


@pytest.mark.parametrize("seed", range(5))
def test_suggestions_fall_where_gradient_descent_works(seed: int) -> None:
    a, b, lipschitz = _least_squares(seed)
    w = np.zeros(a.shape[1])

    def step(lr: float) -> float:
        nonlocal w
        r = a @ w - b
        loss = float(r @ r) / len(b)
        w = w - lr * 2.0 * (a.T @ r) / len(b)
        return loss

    finder = lr_find(step=step, start_lr=1e-5, end_lr=100.0, num_iter=120)
    assert finder.stopped_early  # the loss blows up past 2/L and the test stops there
    for name, lr in finder.suggestions.items():
        assert 0.05 / lipschitz <= lr <= 1.0 / lipschitz, (name, lr * lipschitz)


def test_smoothing_is_bias_corrected_and_suggestions_follow_the_curve() -> None:
    noisy = 3.0 + np.random.default_rng(0).normal(0, 0.01, size=20)
    assert abs(smooth_losses(noisy, 0.98)[0] - noisy[0]) < 1e-12
    lrs = np.geomspace(1e-4, 1.0, 60)
    loss = (np.log10(lrs) + 2.0) ** 2
    s = suggest(lrs, loss)
    assert s["steepest"] < s["valley"] < 10 ** -2.0 < 10 * s["minimum/10"] * 1.2


def _digits_loader(batch: int = 64) -> torch.utils.data.DataLoader:
    x, y = load_digits(return_X_y=True)
    data = torch.utils.data.TensorDataset(
        torch.tensor(x / 16.0, dtype=torch.float32), torch.tensor(y)
    )
    return torch.utils.data.DataLoader(
        data, batch_size=batch, shuffle=True, generator=torch.Generator().manual_seed(0)
    )


def _mlp() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))


def _train(lr: float, steps: int = 60) -> float:
    model = _mlp()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    batches = iter(_digits_loader())
    last = []
    for i in range(steps):
        try:
            x, y = next(batches)
        except StopIteration:
            batches = iter(_digits_loader())
            x, y = next(batches)
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        if i >= steps - 10:
            last.append(float(loss.detach()))
    return float(np.mean(last)) if np.all(np.isfinite(last)) else float("inf")


def test_on_a_torch_mlp_the_suggestion_trains_better_and_the_model_is_untouched() -> None:
    model = _mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    # Give Adam some state, which the finder must put back too.
    x, y = next(iter(_digits_loader()))
    torch.nn.CrossEntropyLoss()(model(x), y).backward()
    opt.step()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt_before = {k: v.clone() for k, v in opt.state_dict()["state"][0].items()}
    finder = lr_find(model, opt, torch.nn.CrossEntropyLoss(), _digits_loader(),
                     start_lr=1e-6, end_lr=10.0, num_iter=100)
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert all(torch.equal(opt_before[k], opt.state_dict()["state"][0][k]) for k in opt_before)
    assert opt.param_groups[0]["lr"] == 1e-3 and model.training
    # The suggestion trains (Adam, 60 steps) to a lower loss than a too small and a too large
    # learning rate, and than Adam's usual default.
    good = _train(finder.suggestion)
    assert good < _train(1e-5) and good < _train(1.0) and good < _train(1e-3)


def test_the_suggestion_narrows_a_study_in_one_step() -> None:
    study = hpo_lab.create_study()
    study.optimize(lambda t: t.suggest_float("lr", 1e-6, 1.0, log=True), n_trials=3)
    a, b, _ = _least_squares(0)
    w = np.zeros(a.shape[1])

    def step(lr: float) -> float:
        nonlocal w
        r = a @ w - b
        w = w - lr * 2.0 * (a.T @ r) / len(b)
        return float(r @ r) / len(b)

    finder = lr_find(step=step, start_lr=1e-6, end_lr=1.0)
    revision = finder.narrow(study)
    low, high = finder.suggested_range()
    constraint = revision.constraints["lr"]
    assert (constraint.low, constraint.high) == (pytest.approx(low), pytest.approx(high))
    study.optimize(lambda t: t.suggest_float("lr", 1e-6, 1.0, log=True), n_trials=5)
    assert all(low <= t.params["lr"] <= high for t in study.trials[3:])
    fig = plot_lr_find(finder)
    assert {"loss", "smoothed loss"} <= {tr.name for tr in fig.data}


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="0 < start_lr < end_lr"):
        lr_find(step=lambda lr: 1.0, start_lr=1.0, end_lr=0.1)
    with pytest.raises(ValueError, match="needs model, optimizer, loss_fn and loader"):
        lr_find(model=_mlp())
    with pytest.raises(TypeError, match="must return the loss as a number"):
        lr_find(step=lambda lr: "x")
    with pytest.raises(ValueError, match="diverged within the first steps"):
        lr_find(step=lambda lr: float("nan"))
    study = hpo_lab.create_study()
    with pytest.raises(ValueError, match="has no parameter 'lr' yet"):
        lr_find(step=lambda lr: (lr - 0.1) ** 2).narrow(study)
