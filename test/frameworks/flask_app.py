"""Real Flask + Flask-Session's SQLAlchemy store (Debian: python3-flask-session 0.3.2, python3-flask 2.2,
python3-flask-sqlalchemy 3.0, python3-flask-login 0.6, python3-psycopg2) against the test database.

Run with /usr/bin/python3, DATABASE_URL set (postgres:// or postgresql://), one subcommand, JSON on stdin and
JSON on stdout. Optional env: FLASK_SECRET_KEY (app.secret_key, default below), FLASK_SESSION_TABLE
(SESSION_SQLALCHEMY_TABLE, default Flask-Session's 'sessions'), FLASK_SESSION_KEY_PREFIX (default 'session:').
Every request goes through app.test_client() (the full WSGI app: Flask-Session's open_session/save_session,
Flask's cookie handling) with the cookie `session` (SESSION_COOKIE_NAME) sent as a browser replays it.

  create-table  {}  -> Flask-Session's own model, created by db.create_all(): id serial PK, session_id
                   varchar(255) UNIQUE, data bytea (pickle protocol 4 of a plain dict), expiry timestamp WITHOUT
                   time zone (Flask writes now(UTC) as an aware datetime: PostgreSQL stores it as wall time in
                   the connection's TimeZone; Flask-Session compares it with naive utcnow()).
  write         {"sessions": [{"data": <tagged>, "signer"?: bool, "permanent"?: bool, "lifetimeSeconds"?: n,
                               "cookie"?: value, "evil"?: marker_path, "userId"?: id, "fresh"?, "remember"?}]}
                -> one POST each, whose view does session.update(data), on the session `cookie` names if given.
                   signer = SESSION_USE_SIGNER (default false); permanent = SESSION_PERMANENT (default true, as
                   Flask-Session's); lifetimeSeconds = PERMANENT_SESSION_LIFETIME (default 31 days). "evil" also
                   stores an object whose __reduce__ is (os.system, "echo pwned > marker_path"). "userId" first
                   calls flask_login.login_user(User(userId), remember, fresh): _user_id = str(id), _fresh, _id =
                   sha512("127.0.0.1|Werkzeug/2.2.2") (remember's _remember is popped by Flask-Login's
                   after_request before the save).
                -> {"sessions": [{"cookie": the value the browser got, "sid", "sessionId": prefix + sid (the
                   row key), "setCookie": the header}]}
  login         the same as write (for entries with userId).
  load          {"cookies": [value, ...], "signer"?, "permanent"?, "lifetimeSeconds"?, "flaskLogin"?: bool}
                -> {"results": {cookie: {"served", "status", "sid", "newSession", "data": <tagged> | null,
                   "user", "error", "row": {"before": {"expiry"} | null, "after": ..., "change": "none" |
                   "deleted" | "inserted" | "rewritten"}}}}
                   One GET each with `Cookie: session=<value>`; the view snapshots dict(session); with
                   flaskLogin, "user" is then Flask-Login's current_user id (the user_loader accepts any id;
                   its basic session protection sets _fresh = False, and it is saved, when _id differs).
                   "served" is true only when: the response is 200, Flask kept the cookie's sid (a bad
                   signature or an empty cookie gives a new one), a row existed with expiry > utcnow, its data
                   unpickled, and the view got exactly the dict its session class makes of it (dict(data): a
                   list of pairs is a session too). "error" says why not (a 500's exception).
                   NOT read-only, as Flask-Session is not: an expired row is deleted; every non-empty session
                   (with permanent, even a new one: {"_permanent": True}) is saved after the view, under the
                   cookie's sid even when the row was missing, expired or undecodable: data re-pickled, expiry =
                   now + lifetime, or NULL when the session lacks _permanent (every later load is then a 500).
                   Unpickling runs what the pickle says (an "evil" row runs its command).
  rows          {"ids": [session_id, ...]} -> {"rows": {id: {"expiry": iso | null, "dataHex": hex} | null}}
                   read without Flask (no side effects).

Values cross as "tagged" JSON (as in webpy_app.py): str, bool, None and ints within 2^53 are plain; lists are
arrays; dicts with str keys are objects; everything else is {"$type": ...}: int (big), float, bytes, tuple,
set, frozenset, dict (non-str keys), OrderedDict, datetime, date, time, timedelta, Decimal.
"""

import base64
import collections
import datetime
import decimal
import json
import math
import os
import pickle
import shlex
import sys
import warnings

warnings.simplefilter("ignore")  # Flask 2.2 deprecates app.session_cookie_name, which Flask-Session 0.3.2 reads

import flask  # noqa: E402
import flask_login  # noqa: E402
import flask_session  # noqa: E402
import sqlalchemy  # noqa: E402
from flask_sqlalchemy import SQLAlchemy  # noqa: E402
from werkzeug.http import parse_cookie  # noqa: E402

SAFE = 2**53 - 1
SECRET = os.environ.get("FLASK_SECRET_KEY", "sessiongraph-flask-test-secret")
TABLE = os.environ.get("FLASK_SESSION_TABLE", "sessions")
PREFIX = os.environ.get("FLASK_SESSION_KEY_PREFIX", "session:")
CLIENT = {"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "Werkzeug/2.2.2"}  # one Flask-Login identity (_id)


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
    if isinstance(value, collections.OrderedDict):
        return {"$type": "OrderedDict", "items": [[tag(k), tag(v)] for k, v in value.items()]}
    if type(value) is dict:
        if all(isinstance(k, str) for k in value):
            return {k: tag(v) for k, v in value.items()}
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


def untag(value):
    """Tagged JSON back to the Python value."""
    if isinstance(value, list):
        return [untag(item) for item in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("$type")
    if kind is None:
        return {k: untag(v) for k, v in value.items()}
    simple = {"int": int, "Decimal": decimal.Decimal, "date": datetime.date.fromisoformat,
              "time": datetime.time.fromisoformat}
    if kind in simple:
        return simple[kind](value["v"] if "v" in value else value["iso"])
    if kind == "float":
        return float(value["repr"]) if "repr" in value else float(value["v"])
    if kind == "bytes":
        return base64.b64decode(value["b64"])
    if kind in ("OrderedDict", "dict"):
        pairs = ((untag(k), untag(v)) for k, v in value["items"])
        return collections.OrderedDict(pairs) if kind == "OrderedDict" else dict(pairs)
    if kind in ("tuple", "set", "frozenset"):
        return {"tuple": tuple, "set": set, "frozenset": frozenset}[kind](untag(i) for i in value["items"])
    if kind == "datetime":
        parsed = datetime.datetime.fromisoformat(value["iso"])
        if "tzname" in value and parsed.tzinfo is not None:
            parsed = parsed.replace(tzinfo=datetime.timezone(parsed.utcoffset(), value["tzname"]))
        return parsed
    if kind == "timedelta":
        return datetime.timedelta(seconds=value["seconds"])
    raise ValueError("unknown $type %r" % kind)


class RunsShellCommand:
    """What an attacker who can write the session table stores: unpickling it calls os.system."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class RecordingPickle:
    """Flask-Session's serializer (pickle) unchanged, remembering what loads() gave or raised."""

    def __init__(self):
        self.loaded = None

    def dumps(self, value, *args):
        return pickle.dumps(value, *args)

    def loads(self, data):
        try:
            value = pickle.loads(data)
        except BaseException as error:
            self.loaded = ("raised", error)
            raise
        self.loaded = ("ok", value)
        return value


def database_uri():
    url = os.environ["DATABASE_URL"]
    return "postgresql://" + url.split("://", 1)[1] if url.startswith("postgres://") else url


class User(flask_login.UserMixin):
    def __init__(self, user_id):
        self.id = user_id


def make_app(signer=False, permanent=True, lifetime=None, login=False):
    """A Flask app configured as the Flask-Session docs show: SESSION_TYPE sqlalchemy over Flask-SQLAlchemy."""
    app = flask.Flask(__name__)
    app.secret_key = SECRET
    app.config.update(SQLALCHEMY_DATABASE_URI=database_uri(), SESSION_TYPE="sqlalchemy",
                      SESSION_SQLALCHEMY_TABLE=TABLE, SESSION_KEY_PREFIX=PREFIX,
                      SESSION_USE_SIGNER=signer, SESSION_PERMANENT=permanent)
    if lifetime is not None:
        app.config["PERMANENT_SESSION_LIFETIME"] = datetime.timedelta(seconds=lifetime)
    db = SQLAlchemy(app)
    app.config["SESSION_SQLALCHEMY"] = db
    flask_session.Session(app)
    app.session_interface.serializer = RecordingPickle()
    if login:  # its after_request pops _remember; its session protection may set _fresh = False
        manager = flask_login.LoginManager(app)
        manager.user_loader(lambda user_id: User(user_id) if user_id else None)
    app.seen = {}
    app.logger.disabled = True  # a 500's traceback: recorded below instead of printed on stderr
    flask.got_request_exception.connect(
        lambda sender, exception, **kw: app.seen.setdefault("exception", exception), app, weak=False)

    @app.route("/write", methods=["POST"])
    def write_view():
        body = flask.request.get_json()
        if "userId" in body:
            flask_login.login_user(User(body["userId"]), remember=body.get("remember", False),
                                   fresh=body.get("fresh", True))
        flask.session.update(untag(body.get("data", {})))
        if body.get("evil"):
            flask.session["payload"] = RunsShellCommand("echo pwned > %s" % shlex.quote(body["evil"]))
        return {"sid": flask.session.sid}

    @app.route("/read")
    def read_view():
        app.seen["data"] = dict(flask.session)  # before Flask-Login may touch it
        app.seen["sid"] = flask.session.sid
        if login:
            user = flask_login.current_user
            app.seen["user"] = user.get_id() if user.is_authenticated else None
        return "ok"

    return app, db


def options(item, login=False):
    return item.get("signer", False), item.get("permanent", True), item.get("lifetimeSeconds"), login


def create_table(_request):
    app, db = make_app()
    with app.app_context():
        db.create_all()
    return {"created": TABLE}


def cookie_of(response):
    for header in response.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        if name == "session":
            return rest.split(";", 1)[0], header
    return None, None


def write(request):
    out = []
    for item in request["sessions"]:
        app, _db = make_app(*options(item, "userId" in item))
        headers = {"Cookie": "session=" + item["cookie"]} if item.get("cookie") else {}
        body = {k: item[k] for k in ("data", "evil", "userId", "fresh", "remember") if k in item}
        # json.dumps keeps the key order (the test client's json= would sort keys, as Flask's JSON provider does)
        response = app.test_client(use_cookies=False).post("/write", data=json.dumps(body), headers=headers,
                                                           content_type="application/json", environ_base=CLIENT)
        if response.status_code != 200:
            raise RuntimeError("write failed: %s %s" % (response.status, response.get_data(as_text=True)[:500]))
        sid = response.get_json()["sid"]
        cookie, header = cookie_of(response)
        out.append({"cookie": cookie, "sid": sid, "sessionId": PREFIX + sid, "setCookie": header})
    return {"sessions": out}


def read_rows(engine, ids):
    query = sqlalchemy.text('SELECT session_id, expiry, data FROM "%s" WHERE session_id = ANY(:ids)' % TABLE)
    with engine.connect() as connection:
        found = {row.session_id: row for row in connection.execute(query, {"ids": list(ids)})}
    return {key: found.get(key) for key in ids}


def rows(request):
    engine = sqlalchemy.create_engine(database_uri())
    result = read_rows(engine, request["ids"])
    return {"rows": {key: None if row is None else {
        "expiry": row.expiry and row.expiry.isoformat(), "dataHex": bytes(row.data or b"").hex()}
        for key, row in result.items()}}


def load(request):
    app, _db = make_app(*options(request, request.get("flaskLogin", False)))
    interface = app.session_interface
    engine = sqlalchemy.create_engine(database_uri())
    results = {}
    for cookie in request["cookies"]:
        # The sid Flask-Session will look up (None: it will reject the signature and start a new session),
        # from the cookie as Werkzeug parses the header (it unquotes "..." and strips blanks).
        sid = parse_cookie("session=" + cookie).get("session") or None  # empty: a new session
        if sid and request.get("signer"):
            try:
                sid = interface._get_signer(app).unsign(sid).decode()
            except Exception:
                sid = None
        key = PREFIX + sid if sid is not None else None
        before = read_rows(engine, [key])[key] if key else None
        app.seen.clear()
        interface.serializer.loaded = None
        now = datetime.datetime.utcnow()
        response = app.test_client(use_cookies=False).get("/read", headers={"Cookie": "session=" + cookie},
                                                          environ_base=CLIENT)
        after = read_rows(engine, [key])[key] if key else None
        outcome, value = interface.serializer.loaded or (None, None)
        # What the session class (a werkzeug CallbackDict) makes of it: dict(value), or an error.
        try:
            expected = value if isinstance(value, dict) else dict(value)
        except Exception:
            expected = None
        seen = app.seen.get("data")
        error = None
        if response.status_code != 200:
            exception = app.seen.get("exception")
            error = "%s (%s: %s)" % (response.status, type(exception).__name__, exception)
        elif sid is None:
            error = "bad signature or no cookie value: Flask-Session started a new session"
        elif app.seen.get("sid") != sid:
            error = "Flask used another sid"
        elif before is None:
            error = "no row for this key: Flask-Session started a new session"
        elif before.expiry <= now:
            error = "expired (expiry %s <= utcnow): Flask-Session deleted the row" % before.expiry.isoformat()
        elif outcome == "raised":
            error = "unpickling failed (%s: %s): Flask-Session started an empty session under the same sid" % (
                type(value).__name__, value)
        elif outcome is None:
            error = "Flask-Session did not unpickle the row"
        elif not isinstance(expected, dict) or seen is None or seen.keys() != expected.keys() or any(
                seen[k] is not v for k, v in expected.items()):
            error = "the view did not get the stored data (not a dict?): Flask-Session gave an empty session"
        change = "none"
        if before is not None and after is None:
            change = "deleted"
        elif before is None and after is not None:
            change = "inserted"
        elif before is not None and (bytes(before.data or b""), before.expiry) != (bytes(after.data or b""), after.expiry):
            change = "rewritten"
        results[cookie] = {
            "served": error is None, "status": response.status_code, "sid": app.seen.get("sid"),
            "newSession": app.seen.get("sid") != sid or outcome is None,
            "data": tag(seen) if seen is not None else None, "user": app.seen.get("user"), "error": error,
            "row": {"before": before and {"expiry": before.expiry and before.expiry.isoformat()},
                    "after": after and {"expiry": after.expiry and after.expiry.isoformat()}, "change": change}}
    return {"results": results}


COMMANDS = {"create-table": create_table, "write": write, "login": write, "load": load, "rows": rows}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        sys.exit("usage: flask_app.py {%s} < request.json" % ",".join(COMMANDS))
    if "DATABASE_URL" not in os.environ:
        sys.exit("flask_app.py: DATABASE_URL is not set")
    raw = sys.stdin.read()
    request = json.loads(raw) if raw.strip() else {}
    json.dump(COMMANDS[sys.argv[1]](request), sys.stdout)


if __name__ == "__main__":
    main()
