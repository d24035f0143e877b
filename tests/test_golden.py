"""The golden test: every shipped scenario, seeds 1-3, gives bit-identical trajectories.

The files in tests/golden/ were made by `python tests/golden/regenerate.py` from the code of
the commit that last regenerated them. A restructuring must leave every recorded value
unchanged, bit for bit (new metrics may be added). A change that alters what the model
computes on purpose regenerates the files in a commit of its own that says why and which
figures moved; nothing else does. The package versions that fix the bits are pinned in
constraints.txt, which the README's install command uses.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "golden"))
from regenerate import SHIPPED, golden_path, run_scenario

KEY = ["replicate", "date", "metric"]


@pytest.mark.parametrize("name", SHIPPED)
def test_trajectories_are_bit_identical_to_the_golden_files(name):
    golden = pd.read_parquet(golden_path(name))
    now = run_scenario(name)
    missing = sorted(set(golden["metric"]) - set(now["metric"]))
    assert not missing, f"metrics no longer recorded: {missing}"
    now = now[now["metric"].isin(set(golden["metric"]))]
    golden = golden.sort_values(KEY).reset_index(drop=True)
    now = now.sort_values(KEY).reset_index(drop=True)
    assert len(now) == len(golden)
    pd.testing.assert_frame_equal(now[KEY], golden[KEY], check_dtype=False)
    assert (now["seed"].to_numpy() == golden["seed"].to_numpy()).all()
    bits_now = now["value"].to_numpy(dtype=np.float64).view(np.int64)
    bits_golden = golden["value"].to_numpy(dtype=np.float64).view(np.int64)
    differ = bits_now != bits_golden
    if differ.any():
        rows = golden[differ].assign(now=now["value"][differ])
        first = rows.groupby("metric").head(1).head(10)
        pytest.fail(
            f"{int(differ.sum())} values differ from the golden run, in "
            f"{rows['metric'].nunique()} metrics; first:\n{first.to_string()}"
        )
