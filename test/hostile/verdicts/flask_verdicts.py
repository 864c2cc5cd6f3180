#!/usr/bin/python3
"""Which rows of a Flask-Session 0.3.2 SQLAlchemy table does Flask itself serve?

Usage:
  echo '["<sid>", ...]' | DATABASE_URL=postgres://... FLASK_SESSION_TABLE=sessions /usr/bin/python3 flask_verdicts.py

Each sid is sent as the cookie `session=<sid>` through the real app of test/frameworks/flask_app.py (Flask 2.2,
Flask-Session 0.3.2 over Flask-SQLAlchemy, unsigned, SESSION_PERMANENT, Flask-Login), its `load` command: one
GET through app.test_client() each. Prints {"<sid>": {"served": bool, "error": str | null}, ...}; "served" is
flask_app.py's: a 200, the same sid, a row with expiry > utcnow, its data unpickled and given to the view as
the dict Flask's session class makes of it. NOT read-only, as Flask-Session is not: every load saves the
session back (re-pickled, expiry moved). Unpickling runs what the pickle says: ask only about rows that
sessiongraph calls ACTIVE (never an unsafe one).
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "frameworks"))

import flask_app  # noqa: E402


def main():
    sids = json.loads(sys.stdin.read())
    results = flask_app.load({"cookies": sids, "flaskLogin": True})["results"]
    json.dump({sid: {"served": results[sid]["served"], "error": results[sid]["error"]} for sid in sids},
              sys.stdout, ensure_ascii=True)


if __name__ == "__main__":
    main()
