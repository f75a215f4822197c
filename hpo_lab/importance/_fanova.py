"""fANOVA on a histogram random forest, in numpy only.

The algorithm knows nothing of studies. It takes a design matrix whose columns are either
numeric (values in the unit interval, where the search space's uniform measure lives: log
parameters already in log space) or categorical (integer codes), and the objective values.

1. **Binning.** Each numeric column is cut into at most ``n_bins`` cells whose edges are the
   midpoints between (quantiles of) its observed values, so every cell holds data and the cells
   tile ``[0, 1]``; a categorical column has one cell per choice, each of width ``1 / k``. The
   cell widths are the measure the functional ANOVA integrates against.
2. **Forest.** Regression trees are grown level by level, all trees at once: at each level one
   ``np.bincount`` gives, for every open node, column and cell, the bootstrap-weighted count, sum
   and sum of squares of the target, and cumulative sums over the cells give the squared-error
   reduction of every split. Numeric columns split between neighbouring cells; categorical ones
   split a prefix of their cells ordered by the node's mean target, which is the best binary
   partition for squared error (Breiman et al. 1984, sec. 9.4). A node's region is therefore a
   set of cells per column, stored as a boolean mask.
3. **Decomposition.** For one tree with leaves ``l`` (value ``mu_l``, region ``R_l``), the mean is
   ``f0 = sum_l mu_l |R_l|`` and the variance ``V = sum_l |R_l| (mu_l - f0)**2`` (Hutter et al.
   2014, eq. 2-4). The marginal of column ``j`` at cell ``b`` is
   ``f_j(b) = sum_l mu_l [b in R_lj] |R_l| / |R_lj|`` and its variance
   ``V_j = sum_b w_jb (f_j(b) - f0)**2``. A column's importance is ``V_j / V`` averaged over the
   trees, then normalised over the columns so the importances sum to 1 (as Optuna's fANOVA
   evaluator reports them).

Bootstrap intervals come from *replicates*: each replicate resamples the observations with
replacement and grows a small forest on the resample; the interval is the percentile range of
the replicates' importances. All replicates' trees are grown in the same level-wise pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FanovaResult", "fanova_importances"]

_GAIN_RTOL = 1e-12


@dataclass(frozen=True)
class FanovaResult:
    """Importances of the columns of a design matrix.

    Attributes:
        importances: Shape ``(d,)``; non-negative, sums to 1.
        lower, upper: Shape ``(d,)``; the bootstrap interval, or ``None`` if not requested.
        raw: Shape ``(d,)``; the mean fraction of variance each column explains on its own,
            before normalisation (their sum is below 1 when interactions matter).
    """

    importances: np.ndarray
    lower: np.ndarray | None
    upper: np.ndarray | None
    raw: np.ndarray


def _bin_numeric(x: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Cell codes of ``x`` (shape ``(n,)``) and the cell widths (shape ``(k,)``) on ``[0, 1]``."""
    uniq = np.unique(x)
    if uniq.size > n_bins:
        qs = np.quantile(x, np.linspace(0.0, 1.0, n_bins + 1)[1:-1])
        cuts = np.unique(qs)
    else:
        cuts = 0.5 * (uniq[1:] + uniq[:-1])
    edges = np.concatenate(([0.0], np.clip(cuts, 0.0, 1.0), [1.0]))
    widths = np.diff(edges)
    codes = np.searchsorted(cuts, x, side="right")
    return codes.astype(np.int64), widths


def _bin_columns(
    x: np.ndarray, n_choices: np.ndarray, n_bins: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes ``(n, d)``, widths ``(d, B)`` (zero-padded) and whether each column is categorical."""
    n, d = x.shape
    codes = np.empty((n, d), dtype=np.int64)
    widths_list: list[np.ndarray] = []
    for j in range(d):
        k = int(n_choices[j])
        if k > 0:
            codes[:, j] = x[:, j].astype(np.int64)
            widths_list.append(np.full(k, 1.0 / k))
        else:
            codes[:, j], w = _bin_numeric(x[:, j], n_bins)
            widths_list.append(w)
    b_max = max(len(w) for w in widths_list)
    widths = np.zeros((d, b_max))
    for j, w in enumerate(widths_list):
        widths[j, : len(w)] = w
    return codes, widths, n_choices > 0


def _grow_forest(
    codes: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray,
    widths: np.ndarray,
    categorical: np.ndarray,
    max_depth: int,
    min_samples_leaf: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grow one tree per row of ``weights`` (shape ``(T, n)``, bootstrap counts).

    Returns the leaves as ``(tree, value, mask)`` with shapes ``(L,)``, ``(L,)``, ``(L, d, B)``.
    """
    n_trees = weights.shape[0]
    d, n_cells = widths.shape
    valid_cell = widths > 0  # (d, B)
    rows_tree, rows_sample = np.nonzero(weights)
    row_w = weights[rows_tree, rows_sample].astype(np.float64)
    row_y = y[rows_sample]
    row_codes = codes[rows_sample]  # (R, d)
    row_node = rows_tree.copy()  # open nodes are numbered 0..A-1 at each level
    node_tree = np.arange(n_trees)
    node_mask = np.broadcast_to(valid_cell, (n_trees, d, n_cells)).copy()
    col_offset = (np.arange(d) * n_cells)[None, :]
    cat_cols = np.nonzero(categorical)[0]

    leaf_tree: list[np.ndarray] = []
    leaf_value: list[np.ndarray] = []
    leaf_mask: list[np.ndarray] = []

    for depth in range(max_depth + 1):
        n_open = node_tree.size
        if n_open == 0:
            break
        t0 = np.bincount(row_node, weights=row_w, minlength=n_open)
        t1 = np.bincount(row_node, weights=row_w * row_y, minlength=n_open)
        t2 = np.bincount(row_node, weights=row_w * row_y * row_y, minlength=n_open)
        value = t1 / t0
        sse = t2 - t1 * t1 / t0

        can_split = (depth < max_depth) & (t0 >= 2 * min_samples_leaf)
        can_split &= sse > _GAIN_RTOL * np.maximum(np.abs(t2), 1e-300)
        split_idx = np.nonzero(can_split)[0]
        perm: np.ndarray | None = None
        if split_idx.size:
            # Histograms only for nodes that may split: most deep nodes are too small to, and
            # skipping them keeps the (node, column, cell) arrays small.
            m0 = split_idx.size
            compact = np.full(n_open, -1, dtype=np.int64)
            compact[split_idx] = np.arange(m0)
            sel_node = compact[row_node]
            sel = sel_node >= 0
            sel_node = sel_node[sel]
            sel_w = row_w[sel]
            key = (sel_node[:, None] * (d * n_cells) + col_offset + row_codes[sel]).ravel()
            size = m0 * d * n_cells
            a0 = np.bincount(key, weights=np.repeat(sel_w, d), minlength=size)
            a1 = np.bincount(key, weights=np.repeat(sel_w * row_y[sel], d), minlength=size)
            a0 = a0.reshape(m0, d, n_cells)
            a1 = a1.reshape(m0, d, n_cells)
            if cat_cols.size:
                # Categorical cells are ordered by the node's mean target; numeric cells keep
                # their natural order.
                c0_cat, c1_cat = a0[:, cat_cols, :], a1[:, cat_cols, :]
                with np.errstate(invalid="ignore", divide="ignore"):
                    cat_key = np.where(c0_cat > 0, c1_cat / c0_cat, np.inf)
                cat_key[:, ~valid_cell[cat_cols]] = np.inf
                perm = np.broadcast_to(
                    np.arange(n_cells), (split_idx.size, d, n_cells)
                ).copy()
                cat_perm = np.argsort(cat_key, axis=2, kind="stable")
                perm[:, cat_cols, :] = cat_perm
                a0[:, cat_cols, :] = np.take_along_axis(c0_cat, cat_perm, axis=2)
                a1[:, cat_cols, :] = np.take_along_axis(c1_cat, cat_perm, axis=2)
            c0: np.ndarray = np.cumsum(a0, axis=2, dtype=np.float64)
            c1: np.ndarray = np.cumsum(a1, axis=2, dtype=np.float64)
            tot0 = t0[split_idx][:, None, None]
            tot1 = t1[split_idx][:, None, None]
            r0: np.ndarray = tot0 - c0
            r1: np.ndarray = tot1 - c1
            ok = (c0 >= min_samples_leaf) & (r0 >= min_samples_leaf)
            np.maximum(c0, min_samples_leaf, out=c0)
            np.maximum(r0, min_samples_leaf, out=r0)
            c1 *= c1
            c1 /= c0
            r1 *= r1
            r1 /= r0
            c1 += r1
            gain = np.where(ok, c1, -np.inf)
            flat = gain.reshape(split_idx.size, -1)
            best = np.argmax(flat, axis=1)
            best_gain = flat[np.arange(split_idx.size), best] - (tot1 * tot1 / tot0).ravel()
            good = np.isfinite(best_gain) & (
                best_gain > _GAIN_RTOL * np.maximum(sse[split_idx], 1e-300)
            )
            split_idx, best = split_idx[good], best[good]
            if perm is not None:
                perm = perm[good]
        splitting = np.zeros(n_open, dtype=bool)
        splitting[split_idx] = True

        leaves = np.nonzero(~splitting)[0]
        leaf_tree.append(node_tree[leaves])
        leaf_value.append(value[leaves])
        leaf_mask.append(node_mask[leaves])
        if split_idx.size == 0:
            break

        col = best // n_cells
        pos = best % n_cells
        m = split_idx.size
        # rank[i, b]: position of cell b of the chosen column in node i's ordering.
        if perm is None:
            goes_left_cell = np.arange(n_cells)[None, :] <= pos[:, None]  # (m, B)
        else:
            chosen_perm = perm[np.arange(m), col]  # (m, B)
            rank = np.empty_like(chosen_perm)
            rank[np.arange(m)[:, None], chosen_perm] = np.arange(n_cells)[None, :]
            goes_left_cell = rank <= pos[:, None]

        parent_mask = node_mask[split_idx]
        left_mask = parent_mask.copy()
        right_mask = parent_mask.copy()
        left_mask[np.arange(m), col] &= goes_left_cell
        right_mask[np.arange(m), col] &= ~goes_left_cell

        # Re-number: child 2i (left) and 2i+1 (right) of the i-th splitting node.
        new_index = np.full(n_open, -1, dtype=np.int64)
        new_index[split_idx] = np.arange(m)
        row_new = new_index[row_node]
        keep = row_new >= 0
        row_node, row_new = row_node[keep], row_new[keep]
        row_w, row_y, row_codes = row_w[keep], row_y[keep], row_codes[keep]
        row_cell = row_codes[np.arange(row_codes.shape[0]), col[row_new]]
        left = goes_left_cell[row_new, row_cell]
        row_node = 2 * row_new + (~left).astype(np.int64)
        node_tree = np.repeat(node_tree[split_idx], 2)
        node_mask = np.empty((2 * m, d, n_cells), dtype=bool)
        node_mask[0::2] = left_mask
        node_mask[1::2] = right_mask

    return (
        np.concatenate(leaf_tree),
        np.concatenate(leaf_value),
        np.concatenate(leaf_mask),
    )


def _tree_fractions(
    leaf_tree: np.ndarray,
    leaf_value: np.ndarray,
    leaf_mask: np.ndarray,
    widths: np.ndarray,
    n_trees: int,
) -> np.ndarray:
    """Per-tree variance fraction of each column, shape ``(T, d)``; NaN rows for constant trees."""
    order = np.argsort(leaf_tree, kind="stable")
    leaf_tree, leaf_value, leaf_mask = leaf_tree[order], leaf_value[order], leaf_mask[order]
    side = (leaf_mask * widths[None]).sum(axis=2)  # (L, d): |R_lj|
    volume = side.prod(axis=1)  # (L,)
    f0 = np.bincount(leaf_tree, weights=leaf_value * volume, minlength=n_trees)
    dev = leaf_value - f0[leaf_tree]
    total = np.bincount(leaf_tree, weights=volume * dev * dev, minlength=n_trees)
    # Centre on f0 first: the marginal's variance is then a plain weighted sum of squares.
    coef = (dev * volume)[:, None] / np.where(side > 0, side, 1.0)  # (L, d)
    contrib = leaf_mask * coef[:, :, None]  # (L, d, B)
    starts = np.searchsorted(leaf_tree, np.arange(n_trees))
    present = np.bincount(leaf_tree, minlength=n_trees) > 0
    marg = np.zeros((n_trees, *contrib.shape[1:]))
    marg[present] = np.add.reduceat(contrib, starts[present], axis=0)
    var_j = (marg * marg * widths[None]).sum(axis=2)  # (T, d)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = var_j / total[:, None]
    frac[~(total > 1e-300 * np.maximum(1.0, np.abs(f0)))] = np.nan
    return np.clip(frac, 0.0, 1.0)


def _normalise(raw: np.ndarray) -> np.ndarray:
    """Normalise along the last axis; an all-zero row becomes uniform."""
    s = raw.sum(axis=-1, keepdims=True)
    d = raw.shape[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(s > 0, raw / np.where(s > 0, s, 1.0), 1.0 / d)
    return out


def fanova_importances(
    x: np.ndarray,
    y: np.ndarray,
    n_choices: np.ndarray | None = None,
    *,
    n_trees: int = 64,
    max_depth: int = 24,
    min_samples_leaf: int = 2,
    n_bins: int = 32,
    n_bootstrap: int = 0,
    trees_per_bootstrap: int = 3,
    confidence: float = 0.9,
    seed: int | None = None,
) -> FanovaResult:
    """Importance of each column of ``x`` for ``y`` by fANOVA on a random forest.

    Args:
        x: Shape ``(n, d)``. Numeric columns in ``[0, 1]`` (log parameters in log space),
            categorical columns as integer codes ``0..k-1``.
        y: Shape ``(n,)``, finite.
        n_choices: Shape ``(d,)``; the number of choices of each categorical column, 0 for
            numeric columns. ``None`` means all numeric.
        n_trees: Trees of the forest behind the point estimate.
        max_depth, min_samples_leaf: Tree growth limits (leaves shrink to 1 observation for
            fewer than 20 observations).
        n_bins: At most this many cells per numeric column.
        n_bootstrap: Replicates for the interval; 0 for none.
        trees_per_bootstrap: Trees grown per replicate.
        confidence: Coverage of the interval, in ``(0, 1)``.
        seed: Seed of the bootstrap draws.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x = rng.random((200, 3))
        >>> y = 10 * x[:, 0] + 3 * x[:, 1] + 0.1 * rng.standard_normal(200)
        >>> res = fanova_importances(x, y, seed=0)
        >>> [int(i) for i in np.argsort(-res.importances)], round(float(res.importances.sum()), 6)
        ([0, 1, 2], 1.0)
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"x must be a 2-d array (n, d), but got shape {x.shape}")
    n, d = x.shape
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},) to match x, but got shape {y.shape}")
    if n < 2:
        raise ValueError(f"importance needs at least 2 observations, but got n={n}")
    if d < 1:
        raise ValueError("importance needs at least one column, but got d=0")
    if not np.all(np.isfinite(y)) or not np.all(np.isfinite(x)):
        raise ValueError("x and y must be finite (no NaN or inf)")
    for label, v, lo in (
        ("n_trees", n_trees, 1),
        ("max_depth", max_depth, 1),
        ("min_samples_leaf", min_samples_leaf, 1),
        ("n_bins", n_bins, 2),
        ("n_bootstrap", n_bootstrap, 0),
        ("trees_per_bootstrap", trees_per_bootstrap, 1),
    ):
        if isinstance(v, bool) or int(v) != v or v < lo:
            raise ValueError(f"{label} must be an int >= {lo}, but got {label}={v!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), but got confidence={confidence!r}")
    choices = (
        np.zeros(d, dtype=np.int64) if n_choices is None else np.asarray(n_choices, np.int64)
    )
    if choices.shape != (d,):
        raise ValueError(f"n_choices must have shape ({d},), but got shape {choices.shape}")
    for j in np.nonzero(choices > 0)[0]:
        col = x[:, j]
        if np.any(col != np.round(col)) or col.min() < 0 or col.max() >= choices[j]:
            raise ValueError(
                f"categorical column {j} must hold codes 0..{choices[j] - 1}, "
                f"but got values in [{col.min()}, {col.max()}]"
            )
    num = choices == 0
    if np.any(x[:, num] < 0.0) or np.any(x[:, num] > 1.0):
        raise ValueError("numeric columns of x must lie in [0, 1] (the unit-cube encoding)")

    codes, widths, categorical = _bin_columns(x, choices, n_bins)
    rng = np.random.default_rng(seed)
    # Standardise so that split tolerances do not depend on the objective's scale.
    scale = float(np.std(y))
    y_std = (y - y.mean()) / scale if scale > 0 else np.zeros_like(y)

    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=n_trees)
    if n_bootstrap:
        rep = rng.integers(0, n, size=(n_bootstrap, n))
        rep_w = np.zeros((n_bootstrap, n), dtype=np.int64)
        for r in range(n_bootstrap):
            rep_w[r] = np.bincount(rep[r], minlength=n)
        # Each replicate's trees bootstrap from the replicate's resample.
        rep_tree_w = np.empty((n_bootstrap * trees_per_bootstrap, n), dtype=np.int64)
        for r in range(n_bootstrap):
            p = rep_w[r] / n
            rep_tree_w[r * trees_per_bootstrap : (r + 1) * trees_per_bootstrap] = rng.multinomial(
                n, p, size=trees_per_bootstrap
            )
        weights = np.concatenate([weights, rep_tree_w])
    t_all = weights.shape[0]
    # Few observations cannot afford large leaves: a tree must still be able to split.
    leaf = min(min_samples_leaf, max(1, n // 10))
    leaves = _grow_forest(codes, y_std, weights, widths, categorical, max_depth, leaf)
    frac = _tree_fractions(*leaves, widths, t_all)

    def summarise(rows: np.ndarray) -> np.ndarray:
        ok = ~np.isnan(rows).any(axis=1)
        return rows[ok].mean(axis=0) if ok.any() else np.zeros(d)

    raw = summarise(frac[:n_trees])
    importances = _normalise(raw)
    lower = upper = None
    if n_bootstrap:
        reps = np.stack(
            [
                _normalise(
                    summarise(
                        frac[
                            n_trees + r * trees_per_bootstrap : n_trees
                            + (r + 1) * trees_per_bootstrap
                        ]
                    )
                )
                for r in range(n_bootstrap)
            ]
        )
        alpha = (1.0 - confidence) / 2.0
        lower = np.quantile(reps, alpha, axis=0)
        upper = np.quantile(reps, 1.0 - alpha, axis=0)
    return FanovaResult(importances=importances, lower=lower, upper=upper, raw=raw)
