"""Golden numbers: the features/batches/config refactor (issue 15) changed no result.

Each case trains one model for two epochs on a tiny seeded synthetic league and evaluates it
on the held-out games under every candidate set. The expected numbers were recorded from the
code before the refactor (commit 2056b0f); any change in encoding, batching, candidate
handling, scoring, the KL schedule or the training loop moves them. Since the refactor only
the spelling of the inputs differs: the lineup and on-ice-history flags moved from
TrainConfig to `features`, and `d_recency` is `d_roster`.
"""

import pytest

import hockey_vae as hv
from hockey_vae.evaluate import evaluate_model
from hockey_vae.train import TrainConfig, fit

SMALL = {"hidden": 16, "d_context": 16, "d_player": 8, "d_type": 4, "d_roster": 8}
CVAE = {"d_z": 4, "d_hidden": 16, "d_player_q": 8, "eval_samples": 8, "prior_samples": 4,
        "warmup_epochs": 1, "free_bits": 0.01, "encoder": SMALL}

# name: (model, model overrides, feature flags)
CASES = {
    "lstm": ("lstm", SMALL, {}),
    "lstm-nohist": ("lstm-nohist", SMALL, {}),
    "cvae": ("cvae", CVAE, {}),
    "frequency": ("frequency", {}, {}),
    "lstm-lineup": ("lstm", SMALL, {"lineup": True}),
    "lstm-onice-history": ("lstm", SMALL, {"lineup": True, "on_ice_history": True}),
    "cvae-lineup": ("cvae", CVAE, {"lineup": True}),
}

# Recorded at commit 2056b0f: {case: {candidate set: (top1, top5, loglik)}}
GOLDEN: dict = {'cvae': {'all': (0.05042016878724098, 0.15126051008701324, -4.355576515197754),
          'on_ice': (0.20588235557079315, 0.8739495873451233, -1.7430543899536133),
          'roster': (0.0714285746216774, 0.2521008551120758, -2.95353627204895),
          'sparse': (0.024390242993831635, 0.09756097197532654, -3.0555903911590576)},
 'cvae-lineup': {'all': (0.054621849209070206, 0.16806723177433014, -4.345357418060303),
                 'on_ice': (0.21008403599262238, 0.8865545988082886, -1.7425708770751953),
                 'roster': (0.07563025504350662, 0.28151261806488037, -2.943460464477539),
                 'sparse': (0.024390242993831635, 0.12195122241973877, -3.034395456314087)},
 'frequency': {'all': (0.13025210797786713, 0.4327731132507324, -2.9704575538635254),
               'on_ice': (0.3361344635486603, 1.0, -1.4946391582489014),
               'roster': (0.13025210797786713, 0.45798319578170776, -2.823539972305298),
               'sparse': (0.0, 0.0, -3.760563611984253)},
 'lstm': {'all': (0.0, 0.008403361774981022, -4.525112628936768),
          'on_ice': (0.23529411852359772, 0.9831932783126831, -1.7005425691604614),
          'roster': (0.10084033757448196, 0.31512606143951416, -2.9269635677337646),
          'sparse': (0.0731707289814949, 0.19512194395065308, -2.96041202545166)},
 'lstm-lineup': {'all': (0.008403361774981022, 0.03781512752175331, -4.451854705810547),
                 'on_ice': (0.22268907725811005, 0.9873949289321899, -1.6982049942016602),
                 'roster': (0.10084033757448196, 0.40336135029792786, -2.8959262371063232),
                 'sparse': (0.0731707289814949, 0.3414634168148041, -2.929492235183716)},
 'lstm-nohist': {'all': (0.012605042196810246, 0.11764705926179886, -4.398582935333252),
                 'on_ice': (0.22689075767993927, 0.831932783126831, -1.7584776878356934),
                 'roster': (0.07563025504350662, 0.3361344635486603, -2.9360101222991943),
                 'sparse': (0.0, 0.24390244483947754, -2.9809672832489014)},
 'lstm-onice-history': {'all': (0.029411764815449715, 0.13445378839969635, -4.413604259490967),
                        'on_ice': (0.21008403599262238, 0.9621848464012146, -1.707441806793213),
                        'roster': (0.07983193546533585, 0.3739495873451233, -2.909344434738159),
                        'sparse': (0.09756097197532654, 0.31707316637039185, -2.923705577850342)}}


@pytest.fixture(scope="module")
def league():
    return hv.simulate_league(n_teams=4, games=6, seed=11)


def _train_and_evaluate(league, model, overrides, features):
    cfg = TrainConfig(epochs=2, batch_games=4, pack_by_length=False, patience=5, seed=7,
                      val_samples=4, progress=False)  # the batching the numbers were made with
    run = fit(league, None, model, model_overrides=overrides, train_config=cfg,
              features=features)
    test = run.encoder.transform(league, run.split["test"])
    ev = evaluate_model(run.model, test, run.encoder.vocab_.counts, seed=7, batch_games=4)
    return {r.candidates: (r.top1, r.top5, r.loglik) for r in ev.summary.itertuples()}


@pytest.mark.parametrize("case", sorted(CASES))
def test_metrics_match_the_pre_refactor_code(league, case):
    got = _train_and_evaluate(league, *CASES[case])
    want = GOLDEN[case]
    assert set(got) == set(want)
    for cands, numbers in want.items():
        assert got[cands] == pytest.approx(numbers, abs=1e-5), (case, cands)
