"""Training, evaluation and embedding-export throughput of the default PlayerCVAE on CPU.

Model FLOP utilisation (MFU) = (model FLOPs per training event x events/s) / (rate of a
large float32 matrix product timed in the same run, same thread count). FLOPs per event are
counted with torch.utils.flop_counter on a real batch (forward + backward; the LSTM's
matmuls added analytically, the counter does not see inside it).

    python benchmarks/train_speed.py --data NHL_DIR --threads 2 [--runs 3] [--quick]
        [--profile-models cvae lstm player-latent] [--sweep 2 4 8 16 32]

Every quantity is measured `--runs` times (the machine is shared: the report gives the
median and the range); the JSON holds the medians under the keys the bars read
(`train_events_per_s`, `mfu`, `eval_events_per_s`, `embed_events_per_s`,
`latent_eval_events_per_s_k100`, `matmul_gflops`, `threads`, `commit`), every run, and a
torch.profiler table of where training time goes; per model in `--profile-models`, the
time of each phase of a training step (`train_phases.phase_profile`) and training events/s
and MFU per games-per-batch and length packing (`train_phases.sweep`, over the same
`--sweep-games` games, from the same initial weights). `--quick` shrinks everything (a smoke
test that `benchmarks/gpu.sh --dry-run` runs). Without --data, a synthetic league is used.
Writes OUT.json and OUT.md (default reports/speed/train_speed).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from hockey_vae.embed import embed_events
from hockey_vae.evaluate import predict
from hockey_vae.features import (
    SequenceEncoder,
    as_tables,
    collate,
    flush_denormals,
    split_games,
    training_candidates,
)
from hockey_vae.jsonsafe import write_json
from hockey_vae.models import build_model, cvae, default_config
from hockey_vae.reporting import git_commit
from hockey_vae.train import Run, TrainConfig
from hockey_vae.train_batches import epoch_batches

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_phases import make_step, model_tables, phase_profile, sweep  # noqa: E402

KEYS = ("train_events_per_s", "mfu", "eval_events_per_s", "embed_events_per_s",
        "latent_eval_events_per_s_k100", "matmul_gflops")


def matmul_rate(n: int = 2048, repeats: int = 5, device: str = "cpu") -> float:
    """FLOP/s of an n x n float32 matrix product (best of `repeats`)."""
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        _sync(device)
        tic = time.perf_counter()
        a @ b
        _sync(device)
        best = min(best, time.perf_counter() - tic)
    return 2 * n**3 / best


def _sync(device: str) -> None:
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def _rate(job: Callable[[], int], device: str = "cpu") -> float:
    """Events per second of one call of `job` (which returns its event count)."""
    _sync(device)
    tic = time.perf_counter()
    n = job()
    _sync(device)
    return n / (time.perf_counter() - tic)


@dataclasses.dataclass
class Bench:
    """Data, encoder and models shared by every run."""

    tables: Any
    label: str
    split: dict[str, list[str]]
    enc: SequenceEncoder
    train: Any  # the encoded training games timed
    batches: list
    test: Any
    latent_test: Any
    eval_games: list[str]
    device: str
    cfg: TrainConfig = dataclasses.field(default_factory=TrainConfig)


def setup(args: argparse.Namespace) -> Bench:
    """Load or simulate the data, fit the encoder, encode the timed games."""
    if args.data:
        from hockey_vae.ingest import load_tables
        tables, label = as_tables(load_tables(args.data)), args.data
    else:
        from hockey_vae.simulate import simulate_league
        tables, label = as_tables(simulate_league(seed=0)), "simulate_league(seed=0)"
    split = split_games(tables.games, within_last_season=bool(args.data))
    enc = SequenceEncoder().fit(tables, split["train"])
    train = enc.transform(tables, split["train"][-args.train_games:])
    cfg = TrainConfig(batch_games=args.batch_games, pack_by_length=not args.no_pack)
    batches = [collate(train, g).to(args.device)  # the training loop's plan for epoch 0
               for g in epoch_batches(cfg, train.lengths(), epoch=0)]
    eval_games = split["test"][:args.eval_games]
    return Bench(tables, label, split, enc, train, batches, enc.transform(tables, eval_games),
                 enc.transform(tables, split["test"][:args.latent_games]), eval_games,
                 args.device, cfg)


def _trainer(bench: Bench, model: Any) -> Callable[[Any], None]:
    opt = torch.optim.AdamW(model.parameters(), lr=bench.cfg.lr)
    n_vocab = len(bench.enc.vocab_)

    def step(batch: Any) -> None:
        cands = training_candidates(batch, bench.cfg.train_candidates, n_vocab)
        out = model(batch, cands)
        opt.zero_grad(set_to_none=True)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), bench.cfg.grad_clip)
        opt.step()
    return step


def flops_per_event(model: Any, step: Callable, batch: Any) -> float:
    """Training FLOPs per target event: counted ops plus the LSTM's matmuls (fwd + bwd);
    `step(batch)` runs one training step on `batch`."""
    with FlopCounterMode(display=False) as counter:
        step(batch)
    e = getattr(model.cfg, "encoder", model.cfg)
    d_in = e.d_type + e.d_team + e.n_num + (e.d_player if e.history else 0)
    lstm_fwd = sum(2 * 4 * e.hidden * ((d_in if i == 0 else e.hidden) + e.hidden)
                   for i in range(e.layers))
    n_all = int(batch.valid.sum())
    return (counter.get_total_flops() + 3 * lstm_fwd * n_all) / batch.n_targets


def one_run(bench: Bench, model: Any, step: Callable, flops: float) -> dict[str, float]:
    """Every rate once; the matrix-product rate timed before and after training."""
    mm = matmul_rate(device=bench.device)
    with flush_denormals():
        train = _rate(lambda: [step(b) for b in bench.batches] and sum(
            b.n_targets for b in bench.batches), bench.device)
    mm = max(mm, matmul_rate(device=bench.device))
    model.eval()
    lstm = build_model("lstm", default_config("lstm", bench.enc), bench.enc).to(bench.device)
    lstm.eval()
    run = Run("cvae", model, bench.enc, bench.cfg, bench.split, device=torch.device(bench.device))
    t, games, dev = bench.tables, bench.eval_games, bench.device
    out = {
        "matmul_gflops": mm / 1e9,
        "train_events_per_s": train,
        "mfu": flops * train / mm,
        "eval_events_per_s": _rate(lambda: len(predict(
            lstm, bench.enc.transform(t, games), batch_games=16, device=dev).player), dev),
        "eval_encoded_events_per_s": _rate(lambda: len(predict(
            lstm, bench.test, batch_games=16, device=dev).player), dev),
        "encode_events_per_s": _rate(lambda: bench.enc.transform(t, games).n_targets, dev),
        "embed_events_per_s": _rate(lambda: len(embed_events(run, t, games, batch_games=16,
                                                             device=dev)), dev),
        "latent_eval_events_per_s_k100": _rate(lambda: len(predict(
            model, bench.latent_test, n_samples=100, batch_games=16, device=dev).player), dev),
    }
    lists = ("roster", "on_ice")  # the candidate-set metrics: only the candidates decoded
    out["latent_eval_lists_events_per_s_k100"] = _rate(lambda: len(predict(
        model, bench.latent_test, lists, n_samples=100, batch_games=16, device=dev).player), dev)
    try:  # the same with the whole vocabulary decoded and gathered: the path it replaced
        cvae.CANDIDATE_ONLY = False
        out["latent_eval_full_vocab_events_per_s_k100"] = _rate(lambda: len(predict(
            model, bench.latent_test, n_samples=100, batch_games=16, device=dev).player), dev)
        out["latent_eval_lists_full_vocab_events_per_s_k100"] = _rate(lambda: len(predict(
            model, bench.latent_test, lists, n_samples=100, batch_games=16,
            device=dev).player), dev)
    finally:
        cvae.CANDIDATE_ONLY = True
    model.train()
    return out


def profile_training(step: Callable, batches: list, rows: int = 12) -> list[dict[str, Any]]:
    """torch.profiler over a few training steps: the ops with the most self time."""
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU] + (
        [ProfilerActivity.CUDA] if torch.cuda.is_available() else [])
    with profile(activities=activities) as prof:
        for b in batches:
            step(b)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events) or 1.0
    top = sorted(events, key=lambda e: e.self_cpu_time_total, reverse=True)[:rows]
    return [{"op": e.key, "calls": e.count, "self_cpu_ms": e.self_cpu_time_total / 1e3,
             "share": e.self_cpu_time_total / total} for e in top]


def profile_model(name: str, bench: Bench, args: argparse.Namespace) -> dict[str, Any]:
    """Phase profile at the default batch size and the batch-size x packing sweep of model
    `name`, trained as the loop trains it (cold-start simulation, candidate sets)."""
    enc, dev, n_vocab = bench.enc, bench.device, len(bench.enc.vocab_)
    backoff = torch.from_numpy(enc.vocab_.backoff()).to(dev)
    train_ids = bench.split["train"][-args.train_games:]

    def make() -> tuple[Callable, Any]:
        torch.manual_seed(0)
        model = build_model(name, default_config(name, enc), enc).to(dev).train()
        model.prepare(bench.tables, train_ids, enc)
        return make_step(model, bench.cfg, n_vocab, backoff, dev), model

    step, model = make()
    one = collate(bench.train, [0])
    flops = flops_per_event(model, lambda b: step(bench.train, [0]), one)
    size, n = bench.cfg.batch_games, bench.train.n_games
    plan = [list(range(i, min(i + size, n))) for i in range(0, min(n, 8 * size), size)]
    step(bench.train, plan[0])  # warm-up
    phases = phase_profile(model, step, bench.train, plan, dev)
    rows = sweep(make, bench.train, min(args.sweep_games, bench.train.n_games), args.sweep,
                 lambda: matmul_rate(repeats=2, device=dev), flops, dev)
    return {"flops_per_event": flops, "phases": phases, "sweep": rows}


def summarise(runs: list[dict[str, float]]) -> tuple[dict[str, float], dict[str, list]]:
    """(median of each quantity, [min, max] of each) over runs."""
    keys = runs[0].keys()
    return ({k: statistics.median(r[k] for r in runs) for k in keys},
            {k: [min(r[k] for r in runs), max(r[k] for r in runs)] for k in keys})


def report(args: argparse.Namespace, bench: Bench, result: dict[str, Any]) -> list[str]:
    """The Markdown report."""
    med, rng = result["median"], result["range"]
    lines = [
        "# Training and evaluation speed of the default PlayerCVAE", "",
        f"- command: `{result['command']}`", f"- commit: `{result['commit']}`",
        f"- data: {bench.label}; training: {len(bench.batches)} batches of "
        f"{bench.cfg.batch_games} games (packed by length: {bench.cfg.pack_by_length}); "
        f"evaluation/embedding: {len(bench.eval_games)} test "
        f"games ({bench.test.n_targets:,} events), k = 100 on {args.latent_games} test games "
        f"({bench.latent_test.n_targets:,} events); vocabulary {len(bench.enc.vocab_)}",
        f"- torch {torch.__version__}, device {args.device}, {args.threads} threads, "
        f"{args.runs} runs (median, range); the machine is shared: rates are noisy, each run "
        "measures the matmul rate it is compared with",
        f"- model FLOPs per training event (fwd + bwd): {result['flops_per_event'] / 1e6:.2f} M",
        f"- load average (1 min) before / after: {result['load_average_1min'][0]:.2f} / "
        f"{result['load_average_1min'][1]:.2f} on {result['cpu_count']} CPUs (shared)",
        "", "| quantity | median | range |", "|---|---|---|"]
    for k, v in med.items():
        unit = "" if k == "mfu" else (" GFLOP/s" if k == "matmul_gflops" else " events/s")
        fmt = (lambda x: f"{100 * x:.1f}%") if k == "mfu" else (lambda x: f"{x:,.1f}" if
                                                                x < 100 else f"{x:,.0f}")
        lines.append(f"| {k} | {fmt(v)}{unit} | {fmt(rng[k][0])} - {fmt(rng[k][1])} |")
    enc_s, pred_s = 1 / med["encode_events_per_s"], 1 / med["eval_encoded_events_per_s"]
    lists_x = (med["latent_eval_lists_events_per_s_k100"]
               / med["latent_eval_lists_full_vocab_events_per_s_k100"])
    lines += ["", f"End-to-end LSTM evaluation = encoding + scoring: encoding takes "
              f"{100 * enc_s / (enc_s + pred_s):.0f}% of it (encoding alone "
              f"{med['encode_events_per_s']:,.0f} events/s caps the end-to-end rate).", "",
              "k = 100 importance sampling (CVAE): candidate-only decoding of the short lists "
              f"(roster, on-ice) runs at {med['latent_eval_lists_events_per_s_k100']:,.0f} "
              "events/s against "
              f"{med['latent_eval_lists_full_vocab_events_per_s_k100']:,.0f} for the "
              "full-vocabulary path it replaced ("
              f"{lists_x:.1f}x, same run); "
              f"with the dense `all` set as well (the bar's key) the {len(bench.enc.vocab_):,}-way decoder still "
              "runs per sample: "
              f"{med['latent_eval_events_per_s_k100']:,.0f} against "
              f"{med['latent_eval_full_vocab_events_per_s_k100']:,.0f} events/s.", "",
              "## Where training time goes (torch.profiler, self time, a few steps)", "",
              "| op | calls | self CPU ms | share |", "|---|---|---|---|"]
    lines += [f"| `{r['op']}` | {r['calls']} | {r['self_cpu_ms']:.1f} | {100 * r['share']:.1f}% |"
              for r in result["profile"]]
    lines += ["", "## Training step by phase, batch size and packing, per model", "",
              f"Phases timed with module hooks over {8} steps of {bench.cfg.batch_games} games "
              "(wall time; the remainder of forward outside any module is the loss: candidate "
              "softmax, KL). Sweep: one pass over the same games per setting, from the same "
              "initial weights, best of 2 passes; MFU against a matmul timed right before each "
              "setting; padding = share of LSTM steps that are padding.", ""]
    lines += model_tables(result["models"])
    lines += ["", "Config: " + str(result["config"]), ""]
    return lines


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=None, help="canonical folder (default: simulate)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--train-games", type=int, default=200, help="games timed for training")
    p.add_argument("--batch-games", type=int, default=TrainConfig().batch_games)
    p.add_argument("--no-pack", action="store_true", help="batches not packed by length")
    p.add_argument("--eval-games", type=int, default=127)
    p.add_argument("--latent-games", type=int, default=12, help="test games scored at k=100")
    p.add_argument("--profile-models", nargs="*", default=["cvae", "lstm", "player-latent"],
                   help="models whose training step is profiled and swept")
    p.add_argument("--sweep", nargs="*", type=int, default=[2, 4, 8, 16],
                   help="games per batch in the training sweep")
    p.add_argument("--sweep-games", type=int, default=128, help="games per sweep pass")
    p.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    p.add_argument("--out", default="reports/speed/train_speed")
    args = p.parse_args(argv)
    if args.quick:
        args.train_games, args.eval_games, args.latent_games, args.runs = 6, 3, 1, 1
        args.sweep, args.profile_models = [1, 2], args.profile_models[:1]
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    bench = setup(args)
    model = build_model("cvae", default_config("cvae", bench.enc), bench.enc).to(args.device)
    step = _trainer(bench, model.train())
    flops = flops_per_event(model, step, bench.batches[0])
    step(bench.batches[-1])  # warm-up
    load = [os.getloadavg()[0]]
    runs = [one_run(bench, model, step, flops) for _ in range(args.runs)]
    med, rng = summarise(runs)
    models = {name: profile_model(name, bench, args) for name in args.profile_models}
    load.append(os.getloadavg()[0])
    command = "python benchmarks/train_speed.py " + " ".join(
        argv if argv is not None else __import__("sys").argv[1:])
    result = {"command": command.strip(), "commit": git_commit(), "threads": args.threads,
              "device": args.device, **{k: med[k] for k in KEYS}, "median": med,
              "range": rng, "runs": runs, "flops_per_event": flops,
              "profile": profile_training(step, bench.batches[:5]),
              "config": dataclasses.asdict(model.cfg), "models": models,
              "load_average_1min": load, "cpu_count": os.cpu_count()}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(result, out.with_suffix(".json"))
    lines = report(args, bench, result)
    out.with_suffix(".md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
