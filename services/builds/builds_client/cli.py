"""``builds-client``: push a local OSTree repository through the flat-manager protocol.

    REPO_TOKEN=… builds-client push --publish http://gateway/flat-manager/ apps ./repo
    builds-client follow http://gateway/flat-manager/api/v1/job/42
    builds-client purge http://gateway/flat-manager/api/v1/build/7

Exit status 0 when everything asked for succeeded, 1 when a job broke, a check failed or the
server refused, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from builds_client.local_repo import LocalRepoError
from builds_client.protocol import FlatManager, ProtocolError, RetryPolicy
from builds_client.push import Pusher, PushFailed, PushOptions


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="builds-client", description=__doc__.split("\n\n")[0])
    parser.add_argument("--token", help="build token (default: $REPO_TOKEN)")
    parser.add_argument("--retries", type=int, default=6, help="attempts for a 5xx or a dropped connection")
    parser.add_argument("--poll-interval", type=float, default=1.0, help="seconds between job polls")
    commands = parser.add_subparsers(dest="command", required=True)

    push = commands.add_parser("push", help="create a build from a local repository, commit, publish")
    push.add_argument("base_url", help="the server's base URL, e.g. http://gateway/flat-manager/")
    push.add_argument("repo", help="the repository the build is for")
    push.add_argument("local_repo", type=Path, help="a local archive-mode OSTree repository")
    push.add_argument("--ref", action="append", default=[], help="a ref to push (default: all)")
    push.add_argument("--app-id")
    push.add_argument("--build-log-url")
    push.add_argument("--end-of-life")
    push.add_argument("--end-of-life-rebase")
    push.add_argument("--no-commit", action="store_true", help="stop after uploading")
    push.add_argument("--publish", action="store_true", help="publish once committed")
    push.add_argument("--no-wait", action="store_true", help="start the jobs without following them")
    push.add_argument("--wait-update-repo", action="store_true", help="also follow the repository update")
    push.add_argument("--state-file", type=Path, help="resume state (default: <local_repo>.push-state.json)")
    push.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    push.add_argument("--upload-concurrency", type=int, default=2, help="upload batches in flight at once")

    follow = commands.add_parser("follow", help="print a job's log until it ends")
    follow.add_argument("job_url")
    purge = commands.add_parser("purge", help="purge a build")
    purge.add_argument("build_url")
    publish = commands.add_parser("publish", help="publish a committed build and follow the job")
    publish.add_argument("build_url")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="builds-client: %(message)s")
    token = args.token or os.environ.get("REPO_TOKEN")
    if not token:
        print("builds-client: a token is needed (--token or $REPO_TOKEN)", file=sys.stderr)
        return 2
    base = getattr(args, "base_url", None) or args.__dict__.get("build_url") or args.__dict__.get("job_url")
    client = FlatManager(base, token, retry=RetryPolicy(attempts=max(1, args.retries)))
    pusher = Pusher(client)
    try:
        if args.command == "push":
            pusher.push(
                PushOptions(
                    repo_name=args.repo,
                    local_repo=args.local_repo,
                    refs=args.ref,
                    app_id=args.app_id,
                    build_log_url=args.build_log_url,
                    end_of_life=args.end_of_life,
                    end_of_life_rebase=args.end_of_life_rebase,
                    commit=not args.no_commit,
                    publish=args.publish,
                    wait=not args.no_wait,
                    wait_update_repo=args.wait_update_repo,
                    state_file=args.state_file
                    or args.local_repo.with_name(args.local_repo.name + ".push-state.json"),
                    progress=args.progress,
                    upload_concurrency=args.upload_concurrency,
                    poll_interval=args.poll_interval,
                )
            )
        elif args.command == "follow":
            pusher.follow(args.job_url, args.poll_interval)
        elif args.command == "purge":
            client.purge(args.build_url)
        elif args.command == "publish":
            pusher.publish(
                args.build_url, PushOptions(repo_name="", local_repo=Path(), poll_interval=args.poll_interval)
            )
    except (ProtocolError, PushFailed, LocalRepoError) as exc:
        print(f"builds-client: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("builds-client: interrupted; run the same push again to resume", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
