"""Real web.py (Debian's python3-webpy) against the test database, for test/frameworks/webpy-*.test.ts.

Run with /usr/bin/python3 (web.py and psycopg2 are Debian packages), DATABASE_URL set, one subcommand,
JSON on stdin and JSON on stdout:

  create-table  {}  -> the DBStore table of FORMATS.md §2.1 (session_id char(128): blank-padded)
  write         {"sessions": [{"id", "data": <tagged>} | {"id", "raw": text} | {"id", "evil": marker_path}],
                 "ageSeconds": {id: seconds}}
                -> stores each through DBStore.__setitem__ (web.py's own pickle + base64), or raw `data` text
                   through web.py's db layer (Python 2 rows, garbage); "evil" pickles a dict holding an object
                   whose __reduce__ is (os.system, ...) that writes marker_path. ageSeconds then moves atime
                   back (time passing) from one base time on a whole millisecond. -> {"written": n}
  load          {"ids": [...]} -> {"results": {id: {"ok": true, "value": <tagged>} | {"ok": false, "error"}}}
                   through DBStore.__getitem__ (which also moves atime to now, as web.py does).
  requests      {"timeout": s, "requests": [{"path", "cookie"?, "ip"?}]} -> a real web.application with
                   web.session.Session(app, DBStore(db, 'sessions')): the cookie webpy_session_id, id check,
                   _cleanup (deletes rows idle longer than timeout) and _save. -> {"responses": [...]}
  atimes        {"ids": [...]} -> {"atimes": {id: {"local": iso, "epochMs": n} | null}} read with web.py's db
                   layer (no atime update); epochMs reads the naive atime in the process's local zone (TZ).

Values cross as "tagged" JSON so types survive: str, bool, None and ints within 2^53 are plain; lists are
arrays; dicts with str keys are objects; everything else is {"$type": ...}: int (big), float, bytes,
tuple, set, frozenset, dict (non-str keys), Storage, OrderedDict, datetime, date, time, timedelta, Decimal.
"""

import base64
import collections
import datetime
import decimal
import json
import math
import os
import shlex
import sys
from urllib.parse import parse_qs, unquote, urlparse

import web
import web.session
import web.utils

web.config.debug = False

SAFE = 2**53 - 1


def tag(value):
    """A Python value as tagged JSON (types kept)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if -SAFE <= value <= SAFE else {"$type": "int", "v": str(value)}
    if isinstance(value, float):
        return {"$type": "float", "v": value if math.isfinite(value) else None, "repr": repr(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"$type": "bytes", "b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, web.utils.Storage):
        return {"$type": "Storage", "items": tag_dict(value)}
    if isinstance(value, collections.OrderedDict):
        return {"$type": "OrderedDict", "items": [[tag(k), tag(v)] for k, v in value.items()]}
    if type(value) is dict:
        if all(isinstance(k, str) for k in value):
            return tag_dict(value)
        return {"$type": "dict", "items": [[tag(k), tag(v)] for k, v in value.items()]}
    if type(value) is list:
        return [tag(item) for item in value]
    if type(value) is tuple:
        return {"$type": "tuple", "items": [tag(item) for item in value]}
    if isinstance(value, (set, frozenset)):
        kind = "set" if isinstance(value, set) else "frozenset"
        return {"$type": kind, "items": [tag(item) for item in sorted(value, key=repr)]}
    if isinstance(value, datetime.datetime):
        out = {"$type": "datetime", "iso": value.isoformat()}
        if value.tzinfo is not None:
            out["tzname"] = value.tzname()
        return out
    if isinstance(value, datetime.date):
        return {"$type": "date", "iso": value.isoformat()}
    if isinstance(value, datetime.time):
        return {"$type": "time", "iso": value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {"$type": "timedelta", "seconds": value.total_seconds()}
    if isinstance(value, decimal.Decimal):
        return {"$type": "Decimal", "v": str(value)}
    return {"$type": "other", "class": type(value).__module__ + "." + type(value).__qualname__, "repr": repr(value)}


def tag_dict(value):
    return {k: tag(v) for k, v in value.items()}


def untag(value):
    """Tagged JSON back to the Python value."""
    if isinstance(value, list):
        return [untag(item) for item in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("$type")
    if kind is None:
        return {k: untag(v) for k, v in value.items()}
    if kind == "int":
        return int(value["v"])
    if kind == "float":
        return float(value["repr"]) if "repr" in value else float(value["v"])
    if kind == "bytes":
        return base64.b64decode(value["b64"])
    if kind == "Storage":
        return web.utils.Storage(untag(value["items"]))
    if kind == "OrderedDict":
        return collections.OrderedDict((untag(k), untag(v)) for k, v in value["items"])
    if kind == "dict":
        return {untag(k): untag(v) for k, v in value["items"]}
    if kind == "tuple":
        return tuple(untag(item) for item in value["items"])
    if kind == "set":
        return set(untag(item) for item in value["items"])
    if kind == "frozenset":
        return frozenset(untag(item) for item in value["items"])
    if kind == "datetime":
        parsed = datetime.datetime.fromisoformat(value["iso"])
        if "tzname" in value and parsed.tzinfo is not None:
            parsed = parsed.replace(tzinfo=datetime.timezone(parsed.utcoffset(), value["tzname"]))
        return parsed
    if kind == "date":
        return datetime.date.fromisoformat(value["iso"])
    if kind == "time":
        return datetime.time.fromisoformat(value["iso"])
    if kind == "timedelta":
        return datetime.timedelta(seconds=value["seconds"])
    if kind == "Decimal":
        return decimal.Decimal(value["v"])
    raise ValueError("unknown $type %r" % kind)


class RunsShellCommand:
    """What an attacker who can write the session table stores: unpickling it calls os.system."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def connect():
    url = urlparse(os.environ["DATABASE_URL"])
    params = dict(dbn="postgres", db=unquote(url.path.lstrip("/")), user=unquote(url.username or "postgres"))
    if url.password:
        params["pw"] = unquote(url.password)
    if url.hostname:
        params["host"] = url.hostname
    if url.port:
        params["port"] = url.port
    return web.database(**params)


def create_table(db, _request):
    db.query(
        """CREATE TABLE sessions (
             session_id char(128) UNIQUE NOT NULL,
             atime timestamp NOT NULL default current_timestamp,
             data text
           )"""
    )
    return {"created": "sessions"}


def write(db, request):
    store = web.session.DBStore(db, "sessions")
    for session in request["sessions"]:
        key = session["id"]
        if "data" in session:
            store[key] = untag(session["data"])
        elif "raw" in session:
            db.insert("sessions", False, session_id=key, atime=datetime.datetime.now(), data=session["raw"])
        elif "evil" in session:
            store[key] = {
                "session_id": key,
                "ip": "203.0.113.66",
                "uid": 1,
                "payload": RunsShellCommand("echo pwned > %s" % shlex.quote(session["evil"])),
            }
        else:
            raise ValueError("a session needs data, raw or evil")
    # One base instant, on a whole millisecond, so ages that differ by microseconds share a millisecond.
    now = datetime.datetime.now()
    base = now.replace(microsecond=now.microsecond // 1000 * 1000)
    for key, seconds in request.get("ageSeconds", {}).items():
        atime = base - datetime.timedelta(seconds=seconds)
        db.update("sessions", where="session_id=$key", atime=atime, vars={"key": key})
    return {"written": len(request["sessions"])}


def load(db, request):
    store = web.session.DBStore(db, "sessions")
    results = {}
    for key in request["ids"]:
        try:
            results[key] = {"ok": True, "value": tag(store[key])}
        except Exception as error:  # what the web.py request would fail with
            results[key] = {"ok": False, "error": "%s: %s" % (type(error).__name__, error)}
    return {"results": results}


def atimes(db, request):
    rows = db.select("sessions", what="session_id, atime")
    # A naive datetime's timestamp() reads it as local time (TZ), as web.py's datetime.now() wrote it.
    found = {
        row.session_id.rstrip(): {"local": row.atime.isoformat(), "epochMs": row.atime.timestamp() * 1000}
        for row in rows
    }
    return {"atimes": {key: found.get(key) for key in request["ids"]}}


def requests(db, request):
    """A real web.py application using web.session.Session over DBStore, driven with app.request."""
    web.config.session_parameters["timeout"] = request.get("timeout", 86400)
    session = None  # set below: handlers run only after it is

    class WhoAmI:
        def GET(self):
            return json.dumps(tag(dict(session._data)))

    class Visit:
        def GET(self):
            session.current_page = web.input(page="/").page
            session.visits = session.get("visits", 0) + 1
            return json.dumps(tag(dict(session._data)))

    class Login:
        def GET(self):
            params = web.input(uid="0", role="member")
            session.uid = int(params.uid)
            session.user_role = params.role
            session.current_page = "/login"
            session.logged_in_at = datetime.datetime.now()
            return json.dumps(tag(dict(session._data)))

    app = web.application(("/whoami", WhoAmI, "/visit", Visit, "/login", Login), {})
    session = web.session.Session(app, web.session.DBStore(db, "sessions"))
    responses = []
    for item in request["requests"]:
        headers = {}
        if item.get("cookie"):
            headers["Cookie"] = "webpy_session_id=" + item["cookie"]
        response = app.request(item["path"], headers=headers, env={"REMOTE_ADDR": item.get("ip", "198.51.100.9")})
        body = response.data.decode("utf-8") if isinstance(response.data, bytes) else response.data
        cookies = [value for name, value in response.header_items if name.lower() == "set-cookie"]
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        text = body if parsed is None else None
        responses.append({"status": response.status, "body": parsed, "text": text, "setCookie": cookies})
    return {"responses": responses}


COMMANDS = {"create-table": create_table, "write": write, "load": load, "atimes": atimes, "requests": requests}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        sys.exit("usage: webpy_app.py {%s} < request.json" % ",".join(COMMANDS))
    if "DATABASE_URL" not in os.environ:
        sys.exit("webpy_app.py: DATABASE_URL is not set")
    raw = sys.stdin.read()
    request = json.loads(raw) if raw.strip() else {}
    db = connect()
    json.dump(COMMANDS[sys.argv[1]](db, request), sys.stdout)


if __name__ == "__main__":
    main()
