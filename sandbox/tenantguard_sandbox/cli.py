"""Command line: ``serve`` runs a sandbox, ``generate`` writes a large seed file.

    python -m tenantguard_sandbox serve --port PORT --state-dir DIR [--seed FILE] [--faults FILE]
                                        [--collections-path DIR]
    python -m tenantguard_sandbox generate --users N --groups N --devices N ... -o seed.json
"""

import argparse
import json
import os
import signal
import sys
import threading


def _serve(args):
    from .envfiles import write_all
    from .faults import FaultSpecError
    from .sandbox import Sandbox
    from .seed import SeedError
    from .server import SandboxHTTPServer
    from .tls import server_context

    faults = None
    if args.faults:
        try:
            with open(args.faults, "rb") as handle:
                faults = json.loads(handle.read())
        except (OSError, ValueError) as exc:
            print("tenantguard-sandbox: cannot read --faults %s: %s" % (args.faults, exc), file=sys.stderr)
            return 2
    try:
        sandbox = Sandbox(args.state_dir, faults=faults, seed_path=args.seed,
                          regional_redirect=not args.no_regional_redirect, unmodelled=args.unmodelled,
                          collections_path=args.collections_path)
    except (FaultSpecError, SeedError, ValueError) as exc:
        print("tenantguard-sandbox: %s" % exc, file=sys.stderr)
        return 2
    context = server_context(sandbox.state_dir)
    try:
        server = SandboxHTTPServer((args.host, args.port), sandbox, context)
    except OSError as exc:
        print("tenantguard-sandbox: cannot listen on %s:%d: %s" % (args.host, args.port, exc.strerror or exc),
              file=sys.stderr)
        return 2
    sandbox.port = server.server_address[1]
    base_url = "https://%s:%d" % (args.host, sandbox.port)
    write_all(sandbox, base_url, os.getpid())

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    print("TenantGuard Graph sandbox listening on %s (state in %s)" % (base_url, sandbox.state_dir), flush=True)
    parent = os.getppid()
    try:
        while not stop.wait(0.5):
            if args.exit_with_parent and os.getppid() != parent:
                break  # the process that started us is gone: nobody will stop us
    finally:
        server.shutdown()
        server.server_close()
        with sandbox.store.lock:
            sandbox.store.flush()
        sandbox.log.close()
        _remove_own_server_file(sandbox.state_dir)
    print("TenantGuard Graph sandbox stopped", flush=True)
    return 0


def _remove_own_server_file(state_dir):
    """Remove server.json if it still describes this process (a newer server may have taken the directory)."""
    path = os.path.join(state_dir, "server.json")
    try:
        with open(path, encoding="utf-8") as handle:
            owner = json.load(handle).get("pid")
    except (OSError, ValueError):
        return
    if owner == os.getpid():
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def _generate(args):
    from .generate import generate_seed

    counts = generate_seed(args.output, users=args.users, groups=args.groups, devices=args.devices,
                           managed_devices=args.managed_devices, exchange_devices=args.exchange_devices,
                           app_registrations=args.app_registrations, sign_ins=args.sign_ins,
                           members_per_group=args.members_per_group, seed=args.random_seed,
                           domain=args.domain)
    print("wrote %s: %s" % (args.output, ", ".join("%d %s" % (n, k) for k, n in counts.items())))
    return 0


def parser():
    top = argparse.ArgumentParser(prog="tenantguard-sandbox", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the sandbox")
    serve.add_argument("--port", type=int, required=True, help="TCP port; 0 picks a free one")
    serve.add_argument("--state-dir", required=True, help="directory holding certificates, state and logs")
    serve.add_argument("--seed", help="JSON seed applied once (see README)")
    serve.add_argument("--faults", help="JSON fault rules (see README)")
    serve.add_argument("--exit-with-parent", action="store_true",
                       help="stop when the process that started the sandbox ends (for test runners)")
    serve.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    serve.add_argument("--no-regional-redirect", action="store_true",
                       help="do not answer Exchange admin API calls with a 302 to the regional host name")
    serve.add_argument("--unmodelled", choices=("error", "empty"), default="error",
                       help="reads of Graph collections the sandbox does not model: Graph's routing error (default) "
                            "or an empty page, marked \"unmodelled\": true in requests.jsonl")
    serve.add_argument("--collections-path", metavar="DIR",
                       help="where the What If finds the tenantguard.m365 collection's evaluation engine: a "
                            "directory holding ansible_collections/tenantguard/m365 (default: "
                            "$TENANTGUARD_SANDBOX_COLLECTIONS_PATH, else the checkout the sandbox sits in)")
    serve.set_defaults(func=_serve)
    gen = commands.add_parser("generate", help="write a large seed file")
    gen.add_argument("--users", type=int, default=0)
    gen.add_argument("--groups", type=int, default=0)
    gen.add_argument("--members-per-group", type=int, default=25)
    gen.add_argument("--devices", type=int, default=0, help="Entra ID devices")
    gen.add_argument("--managed-devices", type=int, default=0, help="Intune managed devices")
    gen.add_argument("--exchange-devices", type=int, default=0, help="Exchange mobile devices (Get-MobileDevice)")
    gen.add_argument("--app-registrations", type=int, default=0,
                     help="Intune managed app registrations (Outlook and Teams, half on enrolled phones)")
    gen.add_argument("--sign-ins", type=int, default=0,
                     help="sign-in log entries (made on demand by the sandbox) and the report-only policy they name")
    gen.add_argument("--domain", default="contoso.onmicrosoft.com")
    gen.add_argument("--random-seed", type=int, default=1)
    gen.add_argument("-o", "--output", required=True)
    gen.set_defaults(func=_generate)
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    return args.func(args)
