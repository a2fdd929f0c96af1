"""`atomic serve` and its `token` and `env` commands: the gateway of providers/_serve/ started,
its client tokens managed, its clients set up."""
import sys

from .output import print_json, write_lines


def serve(args, ctx):
    if args.serve_command == "token":
        return globals()["_token_" + args.token_command](args, ctx)
    if args.serve_command == "env":
        return _env(args, ctx)
    return _run(args, ctx)


# -- the gateway ---------------------------------------------------------------------------------

def _run(args, ctx):
    import signal

    from providers._core.errors import NotLoggedIn
    from providers._serve import server as servers
    from providers._serve.conn import Limits
    from providers._serve.handler import App
    from providers._serve.log import Log
    from providers._serve.tokens import Verifier

    # Nothing outside a process changes its environment: a copy answers the dozens of lookups each
    # request makes without os.environ's encoding of every name.
    ctx.environ = dict(ctx.environ)
    verifier = Verifier(ctx)
    if not verifier.count():
        raise NotLoggedIn("no client token exists, so no program could use atomic serve; make one first: "
                          "atomic serve token create NAME")
    listeners = _listen(args, ctx)
    app = App(ctx, verifier, Log(ctx.stderr, as_json=args.log_json), Limits.from_env(ctx), args.max_concurrent)
    app.exposed = args.host if args.expose_logins else None
    server = servers.Server(listeners, app.connection, max_connections=max(64, 4 * args.max_concurrent),
                            refuse=app.refuse_connection)
    app.server = server
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: server.stop())
    ctx.say("atomic serve: listening on %s (%d client token%s; Ctrl-C stops)"
            % (" and ".join(l.url for l in listeners), verifier.count(), "" if verifier.count() == 1 else "s"))
    drain = ctx.seconds("ATOMIC_SERVE_DRAIN", servers.DRAIN)
    _set_aside()
    server.serve()
    if not server.drain(drain):
        ctx.say("atomic serve: stopped with answers still running (they had %g s to finish)" % drain)
    else:
        ctx.say("atomic serve: stopped")
    return 0


def _set_aside():
    """What every request uses and none frees (the shipped catalogue, the modules) is made now and
    set aside from the garbage collector (gc.freeze): a full collection, every ~70,000 allocations,
    then walks only what requests made, not the catalogue's records too (~3 ms each time)."""
    import gc

    from providers._core.errors import AtomicError
    from providers._models.catalog import builtin_catalog

    try:
        builtin_catalog()
    except AtomicError:
        pass  # a broken install: each request says so
    gc.collect()
    gc.freeze()


def _listen(args, ctx):
    """The listeners for --socket, --host or the loopback default; errors name the address."""
    from providers._core.errors import NetworkError, UsageError
    from providers._serve import server as servers

    if args.socket:
        if args.host:
            raise UsageError("--socket and --host do not go together: a Unix socket has no host")
        try:
            return [servers.bind_unix(args.socket)]
        except OSError as exc:
            raise NetworkError("cannot listen on %s: %s" % (args.socket, exc.strerror or exc))
    hosts = list(servers.LOOPBACK)
    if args.host:
        if not _loopback(args.host) and not args.expose_logins:
            raise UsageError("--host %s would let other machines reach your logins; atomic serve listens on this "
                             "machine only unless you add --expose-logins (and then warns at every start)" % args.host)
        if not _loopback(args.host):
            ctx.warn("listening on %s, which other machines may reach: anyone there holding a client token uses your "
                     "logins, and the traffic is plain HTTP; prefer 127.0.0.1 and an SSH tunnel" % args.host)
        hosts = [args.host]
    listeners, port = [], args.port
    for host in hosts:
        try:
            listener = servers.bind_tcp(host, port)
        except OSError as exc:
            if listeners and host == "::1":  # no IPv6 here: 127.0.0.1 alone
                continue
            for listener in listeners:
                listener.sock.close()
            raise NetworkError("cannot listen on %s port %d: %s%s" % (
                host, port, exc.strerror or exc,
                "; another program (another atomic serve?) has it: choose another with --port" if
                getattr(exc, "errno", None) in (98, 48) else ""))
        listeners.append(listener)
        port = listener.port  # with --port 0, ::1 takes the port 127.0.0.1 was given
    return listeners


def _loopback(host):
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# -- tokens ----------------------------------------------------------------------------------------

def _token_create(args, ctx):
    from providers import find
    from providers._serve import tokens

    providers = [find(name, ctx).id for name in args.provider]
    token = tokens.create(ctx, args.name, providers, args.model, args.expires, args.token_profile)
    record = tokens.read(ctx).get(args.name, {})
    if args.json:
        print_json({"name": args.name, "token": token, "providers": record.get("providers", []),
                    "models": record.get("models", []), "expires": record.get("expires"),
                    "profile": record.get("profile")})
    else:
        sys.stdout.write(token + "\n")
        sys.stdout.flush()
        ctx.say("atomic: made the client token %s (%s); it is shown only now. `atomic serve env CLIENT` says "
                "where a client reads it" % (args.name, _scope(record, ctx)))
    return 0


def _token_list(args, ctx):
    from providers._serve import tokens

    table = tokens.read(ctx)
    if args.json:
        print_json([dict({"name": name}, **{k: record.get(k) for k in ("prefix", "providers", "models", "expires",
                                                                        "created", "profile")})
                    for name, record in sorted(table.items())])
        return 0
    if not table:
        ctx.say("No client tokens; `atomic serve token create NAME` makes one")
        return 0
    rows = [("NAME", "TOKEN", "PROVIDERS", "MODELS", "LOGIN", "EXPIRES")]
    for name, record in sorted(table.items()):
        rows.append((name, str(record.get("prefix", "")) + "…", ", ".join(record.get("providers") or ["any"]),
                     ", ".join(record.get("models") or ["any"]), record.get("profile") or "server's",
                     _expiry(record.get("expires"), ctx)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    write_lines(["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1] for row in rows])
    return 0


def _token_revoke(args, ctx):
    from providers._serve import tokens

    tokens.revoke(ctx, args.name)
    ctx.say("atomic: revoked the client token %s; a running atomic serve refuses it from the next request" % args.name)
    return 0


def _scope(record, ctx):
    login = "; login: %s" % record["profile"] if record.get("profile") else ""
    return "providers: %s; models: %s%s; %s" % (", ".join(record.get("providers") or ["any"]),
                                                ", ".join(record.get("models") or ["any"]), login,
                                                _expiry(record.get("expires"), ctx, "expires "))


def _expiry(expires, ctx, prefix=""):
    from providers._core.text import format_duration

    if expires is None:
        return "never expires" if prefix else "never"
    left = round(expires / 1000.0 - ctx.now())  # a token made a moment ago with --expires 2h: 2h 00m, not 1h 59m
    return "expired" if left <= 0 else "%sin %s" % (prefix, format_duration(left))


# -- clients ---------------------------------------------------------------------------------------

def _env(args, ctx):
    from providers._serve.clients import setup

    family = None
    if args.model and args.client == "codex":
        from providers._client.route import route

        family = route(ctx, args.model).family  # an unknown model is said now, not at Codex's first request
    text, note = setup(args.client, args.port, args.model, family)
    sys.stdout.write(text)
    sys.stdout.flush()
    ctx.say("atomic: " + note)
    return 0
