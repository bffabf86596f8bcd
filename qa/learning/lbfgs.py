"""Full-batch L-BFGS, as both fits use it (deterministic in float64 from zero)."""
from __future__ import annotations


def minimise(w, loss) -> None:
    """Full-batch L-BFGS on the parameter tensor `w` (or a list of them), `loss()` returning the objective."""
    import torch

    opt = torch.optim.LBFGS(w if isinstance(w, list) else [w], lr=1, max_iter=500, tolerance_grad=1e-9, tolerance_change=1e-12,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        total = loss()
        total.backward()
        return total

    opt.step(closure)
