"""A long-running REAL web.py application (Debian's python3-webpy) for test/tombstones.test.ts.

One JSON command per stdin line, one JSON line per answer on stdout. DATABASE_URL names the database;
the table is web.py's DBStore table `sessions` (test/frameworks/webpy_app.py create-table).

  {"op": "request", "path", "cookie"?}  -> {"status", "body", "setCookie"}: one request through
        web.application + web.session.Session(DBStore): _load at the start, _save in a finally at the end.
        GET /hold stops inside the handler, after the session was loaded: it answers {"event": "loaded",
        "session": {...}} and waits for the line {"op": "continue"}; then it changes the session and
        returns, so web.py's _save writes the copy it holds in memory (UPDATE if the row exists, else
        INSERT), and the request's answer follows.
  {"op": "store-set", "id", "data"}      -> {"ok": true} after DBStore.__setitem__ (web.py's own save).
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "frameworks"))

import web  # noqa: E402
import web.session  # noqa: E402
from webpy_app import connect, tag  # noqa: E402

web.config.debug = False


def answer(value):
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


def main():
    db = connect()
    store = web.session.DBStore(db, "sessions")
    session = None  # set below: handlers run only after it is

    class WhoAmI:
        def GET(self):
            return json.dumps(tag(dict(session._data)))

    class Login:
        def GET(self):
            session.uid = int(web.input(uid="0").uid)
            session.user_role = "member"
            return json.dumps(tag(dict(session._data)))

    class Hold:
        def GET(self):
            answer({"event": "loaded", "session": tag(dict(session._data))})
            command = json.loads(sys.stdin.readline())
            if command.get("op") != "continue":
                raise RuntimeError("expected continue, got %r" % command)
            session.current_page = "/after-revoke"
            session.visits = session.get("visits", 0) + 1
            return json.dumps(tag(dict(session._data)))

    app = web.application(("/whoami", WhoAmI, "/login", Login, "/hold", Hold), {})
    session = web.session.Session(app, store)

    while True:
        line = sys.stdin.readline()
        if not line:
            return
        command = json.loads(line)
        op = command["op"]
        if op == "request":
            headers = {}
            if command.get("cookie"):
                headers["Cookie"] = "webpy_session_id=" + command["cookie"]
            response = app.request(command["path"], headers=headers, env={"REMOTE_ADDR": "198.51.100.9"})
            body = response.data.decode("utf-8") if isinstance(response.data, bytes) else response.data
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
            cookies = [value for name, value in response.header_items if name.lower() == "set-cookie"]
            answer({"status": response.status, "body": parsed, "text": body, "setCookie": cookies})
        elif op == "store-set":
            store[command["id"]] = command["data"]
            answer({"ok": True})
        else:
            raise ValueError("unknown op %r" % op)


if __name__ == "__main__":
    main()
