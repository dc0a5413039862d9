"""The local endpoint as `oauthbearer serve` runs it (AWS mode), counting the provider's fetches
for the load benchmark; on SIGTERM it stops cleanly and prints the count as JSON.
Usage: endpoint_server.py [--previous] SERVE-ARGS...   (--previous: the old http.server endpoint)"""

import json
import sys

from oauthbearer import cli, providers

fetches = 0
fetch = providers.MskProvider.fetch


def counting(self, now_ms):  # noqa: ANN001, ANN201
    global fetches
    fetches += 1
    return fetch(self, now_ms)


providers.MskProvider.fetch = counting  # type: ignore[method-assign]
args = sys.argv[1:]
if args and args[0] == "--previous":
    import previous_server

    old = previous_server.load()
    # The CLI as before, on the previous server; its access log is off (logging is not set up).
    cli.serve = lambda endpoint, host, port, ready=None, access_log=False, operational_paths=True: old.serve(
        endpoint, host, port, ready=ready)
    cli.Endpoint = old.Endpoint
    cli.logging.basicConfig = lambda **_kw: None  # type: ignore[assignment]
    args = [a for a in args[1:] if a != "--no-access-log"]
    code = cli.main(["serve", *args])
else:
    code = cli.main(["serve", *args])
print(json.dumps({"fetches": fetches}), flush=True)
sys.exit(code)
