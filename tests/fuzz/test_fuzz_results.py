"""The background fuzz run's verdict, as one pytest test (reliability T38).

tests/run-all.sh starts tests/fuzz/run.sh in the background before the
integration suite, so that the fuzzers' minutes overlap the suite's, and
lists this file last: the test waits for the run to end, prints its summary
and fails on any crash, leak or timeout — so the verdict is in pytest's
summary line, which stays the last line of run-all.sh. Run by hand without
MEETD_FUZZ_OUT (no background run to judge), it is skipped.
"""
import os
import time

import pytest

WAIT_S = 30 * 60        # five targets of a minute each, on a loaded machine


def test_fuzzers_found_nothing(capsys):
    out = os.environ.get("MEETD_FUZZ_OUT")
    if not out:
        pytest.skip("no background fuzz run to judge (tests/run-all.sh starts one)")
    status_file = os.path.join(out, "status")
    deadline = time.monotonic() + WAIT_S
    while not os.path.exists(status_file):
        assert time.monotonic() < deadline, f"the fuzz run did not end within {WAIT_S} s"
        time.sleep(2)
    with open(status_file) as f:
        status = f.read().strip()
    summary_file = os.path.join(out, "summary.txt")
    summary = open(summary_file).read() if os.path.exists(summary_file) else "(no summary)\n"
    with capsys.disabled():
        print("\n" + summary, end="")
    assert status == "ok", "fuzzing found a problem:\n" + summary
