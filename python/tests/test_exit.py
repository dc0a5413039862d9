"""No crash at interpreter exit, whatever oauthbearer's threads are doing (issue 25), with the
development build; tests/dist runs the same cases with the wheel."""

import sys

from exit_cases import EXIT_STATUS, VARIANTS, failures, run_exit_cases


def test_every_exit_ends_with_the_scripts_own_status():
    results = run_exit_cases(sys.executable)
    assert len(results) >= 50 and {r[0] for r in results} == set(VARIANTS)
    assert not failures(results), [(v, s, err) for v, s, err in failures(results)][:3]
    assert all(status == EXIT_STATUS for _, status, _ in results)
