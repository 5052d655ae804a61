"""Quality bars of the generative core; writes reports/core/core.md, core.json and figures.

    python benchmarks/core.py [--threads 1] [--seed 0] [--reports reports/core]

Runs every demo of `hockey_vae.core.toys` with its defaults, checks the bars of issue 3
(digits VAE beats the best GaussianMixture on held-out log-likelihood; ring-of-8 GAN with the
non-saturating loss covers 8/8 modes with >= 90% high-quality samples; 1-D GAN two-sample-test
accuracy <= 0.55), and reports the wall time. Nothing is written unless every demo finished.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch

from hockey_vae.core.toys import TOYS, run_toy, write_report_section
from hockey_vae.io import atomic_path
from hockey_vae.jsonsafe import dumps_json
from hockey_vae.reporting import git_commit


def _bars(res: dict) -> list[tuple[str, str, bool]]:
    d, ns, g1 = res["digits"].numbers, res["ring8"].numbers["non_saturating"], res["gan1d"].numbers
    return [
        ("digits: VAE held-out log-lik > best GMM",
         f"{d['vae_loglik']:.2f} vs {d['gmm_loglik']:.2f} nats (gap {d['gap']:+.2f})",
         d["vae_loglik"] > d["gmm_loglik"]),
        ("ring8 non-saturating: 8/8 modes", f"{ns['modes']}/8", ns["modes"] == 8),
        ("ring8 non-saturating: >= 90% high quality", f"{ns['high_quality']:.1%}",
         ns["high_quality"] >= 0.9),
        ("gan1d (non-saturating): C2ST accuracy <= 0.55", f"{g1['c2st']:.3f}", g1["c2st"] <= 0.55),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reports", type=Path, default=Path(__file__).resolve().parents[1] / "reports" / "core")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    start = time.perf_counter()
    results = {}
    for name in TOYS:
        results[name] = run_toy(name, seed=args.seed)
        print(f"{name}: {results[name].seconds:.1f} s", flush=True)
    total = time.perf_counter() - start

    commit = git_commit()
    bars = _bars(results)
    meta = {"command": "python benchmarks/core.py", "commit": commit,
            "seed": args.seed, "torch_threads": args.threads,
            "seconds_total": total, "seconds": {k: r.seconds for k, r in results.items()},
            "python": platform.python_version(), "torch": torch.__version__,
            "machine": f"{platform.machine()}, {torch.get_num_threads()} torch thread(s)"}
    payload = {name: r.numbers for name, r in results.items()}
    payload["bars"] = {label: ok for label, _, ok in bars}
    payload["meta"] = meta

    # everything computed: only now touch the outputs
    figures = args.reports / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    for name, r in results.items():
        with atomic_path(figures / f"core_{name}.png") as tmp:
            r.figure.savefig(tmp, dpi=110, format="png")
    with atomic_path(args.reports / "core.json") as tmp:
        tmp.write_text(dumps_json(payload, indent=1) + "\n")
    header = "\n".join([
        "# Generative core: demos and quality bars",
        "",
        f"Regenerate: `python benchmarks/core.py` (seed {args.seed}, {args.threads} torch "
        f"thread(s)); single demos: `hockey-vae toys NAME`. Commit `{commit}`. "
        "Machine-readable copy: "
        f"`reports/core/core.json`.",
        f"Total wall time {total:.0f} s ("
        + ", ".join(f"{k} {r.seconds:.0f} s" for k, r in results.items())
        + ") on a 2-core CPU machine shared with other jobs at the time, so the times are "
        "upper bounds for an idle machine. Data: synthetic toys, plus scikit-learn's bundled "
        "8x8 digits (split below).",
        "",
        "| quality bar | measured | met |",
        "|---|---|---|",
        *[f"| {label} | {value} | {'yes' if ok else 'NO'} |" for label, value, ok in bars],
    ])
    path = args.reports / "core.md"
    with atomic_path(path) as tmp:
        tmp.write_text(header + "\n")
    for name, r in results.items():
        write_report_section(path, name, f"## Demo: {name}\n\n![{name}](figures/core_{name}.png)"
                             f"\n\n{r.markdown}\n\n({r.seconds:.1f} s)")
    print(f"wrote {path} and {args.reports / 'core.json'} in {total:.0f} s")
    for label, value, ok in bars:
        print(f"{'PASS' if ok else 'FAIL'} {label}: {value}")
    return 0 if all(ok for _, _, ok in bars) else 1


if __name__ == "__main__":
    sys.exit(main())
