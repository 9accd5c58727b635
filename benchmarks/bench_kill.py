"""kill -9 at random moments of logins, refreshes and role-credential fetches.

Starts the bundled emulator and a private HOME with the test config, then for
each kind (login, refresh, role) runs the real command and kills it with
SIGKILL at a random moment around the end of its usual run time, when it
writes the cache. Counts corrupt cache entries after each kill, trials that
left a temp file at once, and temp files left once the command has run to the
end again. Exits 1 unless there are 0 corrupt files and 0 temp files left.

    python benchmarks/bench_kill.py [--trials 200] [--kinds login,refresh,role] [--seed N]
                                    [--targeted]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from shellsso.emulator import Emulator  # noqa: E402
from tests.conftest import DEMO_CONFIG  # noqa: E402
from tests.corpus import killtrials  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200, help="kills per kind (default 200)")
    parser.add_argument("--kinds", default=",".join(killtrials.KINDS))
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--targeted", action="store_true",
                        help="kill the moment a temp file appears, not at a random time")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    failed = False
    for kind in args.kinds.split(","):
        emulator = Emulator(interval=1)
        emulator.start()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                home = Path(tmp) / "home"
                (home / ".aws").mkdir(parents=True)
                (home / ".aws" / "config").write_text(DEMO_CONFIG)
                env = killtrials.environment(home, emulator.url)
                os.environ.update(HOME=env["HOME"], XDG_CACHE_HOME=env["XDG_CACHE_HOME"])
                tally = killtrials.run_trials(kind, home, env, emulator.url, emulator.approve,
                                              args.trials, rng, targeted=args.targeted)
        finally:
            emulator.stop()
        print(tally, flush=True)
        failed = failed or tally.corrupt != 0 or tally.left != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
