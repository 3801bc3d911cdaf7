"""``fieldroute serve`` and ``fieldroute token create``: the service's command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def add_commands(sub: Any) -> None:
    """Add the service's sub-commands to the ``fieldroute`` parser's subparsers."""
    serve = sub.add_parser("serve", help="run the HTTP API (DATABASE_URL picks the database)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument(
        "--workers", type=int, default=1, help="server processes (each also runs solves)"
    )
    serve.add_argument(
        "--access-log",
        action="store_true",
        help="log every request (off by default: at a thousand requests a second the log "
        "costs the server a good share of its CPU)",
    )
    serve.add_argument(
        "--day",
        type=Path,
        metavar="DIR",
        help="open the board on the day 'fieldroute demo' wrote in DIR: store it (in "
        "DIR/board.db unless DATABASE_URL is set) with its plan published, serve on its road "
        "network, and print sign-in links for a dispatcher, a planner and an engineer",
    )
    token = sub.add_parser("token", help="manage API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser("create", help="create a token and print it (only this once)")
    create.add_argument("--role", required=True, choices=["dispatcher", "planner", "engineer"])
    create.add_argument("--engineer", help="the engineer id an engineer token belongs to")
    create.add_argument("--name", default="", help="a label to recognise the token by")
    token_sub.add_parser("list", help="list tokens (id, role, engineer, label; never the token)")
    revoke = token_sub.add_parser("revoke", help="revoke a token by its id (from token list)")
    revoke.add_argument("id", type=int, help="the token's id")


def _migrated_engine() -> Any:
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from api.config import Settings
    from api.db.engine import make_engine
    from api.db.migrate import DatabaseRevisionError, migrate

    settings = Settings()
    try:
        engine = make_engine(settings.database_url)
    except (ArgumentError, ImportError, ValueError) as e:
        print(f"fieldroute: error: DATABASE_URL is not a usable database URL: {e}", file=sys.stderr)
        return None
    url = engine.url.render_as_string(hide_password=True)
    try:
        revision = migrate(engine)
    except DatabaseRevisionError as e:
        engine.dispose()
        print(f"fieldroute: error: {e}", file=sys.stderr)
        return None
    except DBAPIError as e:
        engine.dispose()
        reason = str(e.orig).strip().splitlines()[0] if e.orig is not None else type(e).__name__
        print(
            f"fieldroute: error: cannot reach the database {url} ({reason}); check that it is "
            "running and that DATABASE_URL points at it",
            file=sys.stderr,
        )
        return None
    print(f"database {url} at revision {revision}", file=sys.stderr)
    return engine


def run(args: argparse.Namespace) -> int:
    """Run ``serve`` or ``token create``; returns the exit status."""
    if args.command == "serve" and args.day is not None:
        from api.serve_day import DayServeError, prepare_day

        host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
        try:
            links = prepare_day(args.day, f"http://{host}:{args.port}")
        except DayServeError as e:
            print(f"fieldroute: error: {e}", file=sys.stderr)
            return EXIT_BAD_INPUT
        for link in links:
            print(f"  {link.who:<40} {link.url}")
        sys.stdout.flush()
    engine = _migrated_engine()
    if engine is None:
        return EXIT_BAD_INPUT
    if args.command == "token":
        if args.token_command == "list":
            return _list_tokens(engine)
        if args.token_command == "revoke":
            return _revoke_token(engine, args.id)
        return _create_token(engine, args)
    engine.dispose()
    import uvicorn

    if args.workers > 1:
        import os

        os.environ["FIELDROUTE_DIE_WITH_PARENT"] = "1"  # each server process, with its solvers
        uvicorn.run(
            "api.main:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            access_log=args.access_log,
        )
    else:
        from api.main import create_app

        _load_road_network_in_background()
        uvicorn.run(create_app(), host=args.host, port=args.port, access_log=args.access_log)
    return EXIT_OK


def _load_road_network_in_background() -> None:
    """Start loading the server's road network (seconds) while the server starts, so that
    the first plan or map that needs it does not wait for all of it."""
    import threading

    from api.config import Settings

    source = Settings().road_network
    if source is None:
        return
    from scheduler.network import shared_network

    def load() -> None:
        try:
            shared_network(source)
        except Exception:  # the request that needs it will load it again and say why
            return

    threading.Thread(target=load, name="road-network", daemon=True).start()


def _create_token(engine: Any, args: argparse.Namespace) -> int:
    from api.auth import Role, TokenError, create_token
    from api.db.engine import make_sessionmaker

    try:
        with make_sessionmaker(engine)() as session:
            token = create_token(
                session, Role(args.role), engineer_id=args.engineer, name=args.name
            )
            session.commit()
    except TokenError as e:
        print(f"fieldroute: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        engine.dispose()
    who = f" for engineer {args.engineer!r}" if args.engineer else ""
    print(f"created a {args.role} token{who}; it is shown only now:", file=sys.stderr)
    print(token)
    return EXIT_OK


def _list_tokens(engine: Any) -> int:
    from sqlalchemy import select

    from api.db.engine import make_sessionmaker
    from api.db.models import ApiToken

    try:
        with make_sessionmaker(engine)() as session:
            rows = session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
    finally:
        engine.dispose()
    for t in rows:
        state = "revoked" if t.revoked else "active"
        who = t.engineer_id or "-"
        print(f"{t.id}\t{t.role}\t{who}\t{state}\t{t.created_at:%Y-%m-%d %H:%M}Z\t{t.name}")
    return EXIT_OK


def _revoke_token(engine: Any, token_id: int) -> int:
    from api.db.engine import make_sessionmaker
    from api.db.models import ApiToken

    try:
        with make_sessionmaker(engine)() as session:
            row = session.get(ApiToken, token_id)
            if row is None:
                print(f"fieldroute: error: no token with id {token_id}", file=sys.stderr)
                return EXIT_BAD_INPUT
            row.revoked = True
            session.commit()
    finally:
        engine.dispose()
    print(f"token {token_id} revoked: requests with it now get 401", file=sys.stderr)
    return EXIT_OK
