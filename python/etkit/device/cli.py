"""`etkit remote` and `etkit device probe`.

Exit codes: et-run's (0 success, 1 program or inputs rejected, 2 bad command
line), and 3 when the device itself failed; the message names the device and
the cause. With several devices, the worst of them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import ArgumentError

_EPILOG = """examples:
  etkit remote ssh://pi@raspberrypi.local -- model.pte --bench --threads 4 --json result.json
  etkit remote adb -- model.pte --input x.npy --output-dir out/
  etkit remote ssh://pi@board1 ssh://pi@board2 adb://R5CT1234 -- model.pte --bench --json all.json
  etkit remote ssh://me@x86-box --target aarch64-linux -- model.pte    (the ARM runner under qemu-user)
"""


def _progress(message: str) -> None:
    print(f"etkit: {message}", file=sys.stderr, flush=True)


def cmd_remote(args) -> int:
    if args.et_run_args is None:
        raise ArgumentError("give et-run's arguments after --, e.g.: etkit remote ssh://pi@board -- model.pte --bench")
    from . import fleet
    from .etrun import plan

    urls = list(args.urls) + (fleet.read_devices_file(args.devices) if args.devices else [])
    if not urls:
        raise ArgumentError("give at least one device URL (ssh://[user@]host[:port], adb, adb://SERIAL, local) "
                            "or --devices FILE")
    et_args = args.et_run_args
    if len(urls) == 1 and not args.devices:
        from .device import Device

        with Device(urls[0], runner=args.runner, target=args.target, progress=_progress) as device:
            done = device.run_et(et_args)
        sys.stdout.write(done.stdout)
        sys.stderr.write(done.stderr)
        return done.returncode

    p = plan(et_args)
    outcomes = fleet.run_many(urls, et_args, runner=args.runner, target=args.target, progress=_progress)
    listing = fleet.json_list(outcomes)
    if p.json_stdout:
        print(fleet.table(outcomes), file=sys.stderr)
        print(listing)
    else:
        if not p.bench:  # each device's own output, then the summary
            for o in outcomes:
                if o.run is not None:
                    print(f"== {o.url}\n{o.run.stdout.rstrip()}")
        print(fleet.table(outcomes))
        if p.json is not None:
            Path(p.args[p.json]).write_text(listing + "\n")
    return max(o.returncode for o in outcomes)


def cmd_probe(args) -> int:
    from . import probe as probe_mod
    from .device import Device

    with Device(args.url) as device:
        info = device.probe()
    print(json.dumps(info, indent=2) if args.json else probe_mod.summary(info))
    return 0


def add_parsers(sub) -> None:
    """Adds `remote` and `device` to the etkit command's subparsers."""
    p = sub.add_parser("remote", help="run et-run on devices over ssh or adb (or locally): etkit remote URL -- ARGS",
                       epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
                       usage="etkit remote URL [URL ...] [--devices FILE] [--target T] [--runner DIR] -- ET_RUN_ARGS...")
    p.add_argument("urls", nargs="*", metavar="URL", help="ssh://[user@]host[:port], adb, adb://SERIAL or local "
                                                          "(?cache=DIR sets the device's cache folder)")
    p.add_argument("--devices", metavar="FILE", help="more device URLs, one a line (# comments)")
    p.add_argument("--target", help="the runner's target instead of the probed architecture "
                                    "(aarch64-linux, x86_64, aarch64-static, android-arm64, armv7-static)")
    p.add_argument("--runner", metavar="DIR", help="a runner folder from scripts/cross-build.sh TARGET DIR "
                                                   "(default: built from this checkout and cached)")
    p.set_defaults(func=cmd_remote, et_run_args=None, argument_error_exit=2)  # et-run's code for a bad command line

    p = sub.add_parser("device", help="devices: probe one")
    dsub = p.add_subparsers(dest="device_command", required=True)
    q = dsub.add_parser("probe", help="architecture, OS, CPU, cores and frequencies, memory, governor, thermal, "
                                      "Android model and SDK")
    q.add_argument("url", metavar="URL", help="ssh://[user@]host[:port], adb, adb://SERIAL or local")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=cmd_probe, argument_error_exit=2)


def split_argv(argv: list[str]) -> tuple[list[str], list[str] | None]:
    """`etkit [opts] remote ... -- ET_RUN_ARGS`: et-run's arguments are cut off
    before argparse sees them (they look like etkit's own options)."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if command == "remote" and "--" in argv:
        cut = argv.index("--")
        return argv[:cut], argv[cut + 1:]
    return argv, None

