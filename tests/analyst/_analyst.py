"""Model sizes shared by the analyst-facing tests (kept out of conftest so imports are plain)."""

TINY_CVAE = {"d_z": 3, "d_hidden": 8, "eval_samples": 2, "prior_samples": 2,
             "encoder": {"hidden": 8, "d_context": 8}}
