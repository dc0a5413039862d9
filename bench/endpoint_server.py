"""`oauthbearer serve` exactly as the CLI runs it, counting the provider's fetches for the load
benchmark; on SIGTERM the server stops cleanly and the count is printed as JSON.
Usage: endpoint_server.py SERVE-ARGS..."""

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
code = cli.main(["serve", *sys.argv[1:]])
print(json.dumps({"fetches": fetches}), flush=True)
sys.exit(code)
