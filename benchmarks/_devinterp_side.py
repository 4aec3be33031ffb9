"""devinterp's half of benchmarks/llc_vs_devinterp.py (runs in the separate .venv-bench).

Reads the problem (data, true matrices, settings) from an .npz file written by the main script,
estimates the LLC of the deep linear network with ``devinterp.slt.sampling.sample`` (SGLD,
PyTorch, CPU) and prints one JSON line. devinterp 2.x samples language models: its dataset is a
HuggingFace ``Dataset`` with an ``input_ids`` column (any dataset whose rows are
``{"input_ids": tensor}`` works; ``--devinterp-dataset torch`` uses the lightest such torch
``Dataset``, ``hf`` a HuggingFace one) and its loss is per token. We store each sample's *index*
as a 2-token sequence and let ``loss_fn`` look the sample up, returning the per-sample Gaussian
NLL ½‖y − W₂W₁x‖² + (N/2) log 2π as the single "token" loss. The initial loss is averaged over
n / batch_size batches (one epoch: exact); λ̂ is computed from the kept draws of devinterp's
loss trace and the exact L_n(w*), as on our side (its own ``llc_mean`` is reported as well).
"""

import json
import math
import sys
import tempfile
import time
import warnings

import numpy as np
import torch


class _IndexDataset(torch.utils.data.Dataset):
    """The lightest dataset devinterp's DataLoader accepts: rows {"input_ids": tensor}."""

    def __init__(self, ids):
        self.ids = ids

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i]}


def main(path: str) -> None:
    import datasets
    from devinterp.slt.llc import compute_llc
    from devinterp.slt.sampling import sample

    cfg = np.load(path)
    x = torch.tensor(cfg["x"], dtype=torch.float32)
    y = torch.tensor(cfg["y"], dtype=torch.float32)
    mats = [torch.tensor(cfg[f"W{i}"], dtype=torch.float32) for i in range(int(cfg["layers"]))]
    n, out_dim = y.shape
    chains, draws, burnin = int(cfg["chains"]), int(cfg["draws"]), int(cfg["burnin"])
    torch.set_num_threads(int(cfg["threads"]))

    layers = []
    for w in mats:
        lin = torch.nn.Linear(w.shape[1], w.shape[0], bias=False)
        with torch.no_grad():
            lin.weight.copy_(w)
        layers.append(lin)
    model = torch.nn.Sequential(*layers)
    const = 0.5 * out_dim * math.log(2 * math.pi)

    def loss_fn(model, input_ids):
        idx = input_ids[:, 0]
        r = y[idx] - model(x[idx])
        return (0.5 * (r ** 2).sum(-1) + const)[:, None]

    ids = np.stack([np.arange(n), np.arange(n)], axis=1).astype(np.int64)
    if str(cfg["dataset"]) == "hf":
        ds = datasets.Dataset.from_dict({"input_ids": ids}).with_format("torch")
    else:
        ds = _IndexDataset(torch.from_numpy(ids))
    with torch.no_grad():
        exact_init = float(loss_fn(model, torch.from_numpy(ids)).mean())

    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        tree = sample(model, ds, {}, lr=float(cfg["step_size"]), n_beta=float(cfg["nbeta"]),
                      localization=float(cfg["localization"]), num_chains=chains,
                      num_draws=draws, num_burnin_steps=burnin,
                      batch_size=int(cfg["batch_size"]), init_seed=int(cfg["seed"]),
                      num_init_loss_batches=max(1, n // int(cfg["batch_size"])),
                      output_path=f"{tmp}/samples.zarr", loss_fn=loss_fn, device="cpu")
        res = compute_llc(tree)
        seconds = time.perf_counter() - t0
        trace = np.asarray(res["loss_trace"].values, dtype=float)      # (chain, step)
        init_loss = float(res["init_loss"].values)
    nbeta = float(cfg["nbeta"])
    per_chain = nbeta * (trace[:, burnin:].mean(axis=1) - exact_init)
    print(json.dumps({
        "seconds": seconds, "draws_per_second": chains * (burnin + draws) / seconds,
        "llc_mean": float(per_chain.mean()),
        "llc_std": float(per_chain.std(ddof=1) / math.sqrt(chains)) if chains > 1 else None,
        "llc_devinterp_reported": float(res["llc_mean"].values),
        "init_loss": init_loss, "exact_init_loss": exact_init, "dataset": str(cfg["dataset"]),
        "torch": torch.__version__,
        "devinterp": __import__("devinterp").__version__
        if hasattr(__import__("devinterp"), "__version__") else "2.x",
    }))


if __name__ == "__main__":
    main(sys.argv[1])
