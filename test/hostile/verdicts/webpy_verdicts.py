#!/usr/bin/python3
"""Which rows of a web.py DBStore table does web.py (Debian python3-webpy 0.62) itself serve?

Usage:
  echo '["5f0c...", "abc"]' | DATABASE_URL=postgres://postgres@127.0.0.1:5432/db /usr/bin/python3 webpy_verdicts.py [table]
  table defaults to sessions. Optional env: WEBPY_TIMEOUT (session timeout seconds, default web.py's 86400),
  WEBPY_CLEANUP=0 (model a process whose periodic cleanup already ran: no cleanup before the request),
  WEBPY_INITIALIZER (JSON dict given to web.session.Session as its initializer).

Prints {"<key>": {"served": bool, "data": {...} | null, "error": str | null}, ...}.

Each key is one request through a real web.application (app.request, so web.py's own cookie parsing,
processors and error handling) with web.session.Session over web.session.DBStore, presenting the cookie
`webpy_session_id=<quote(key)>` exactly as web.setcookie would have set it. By default web.py's cleanup runs
before each request, as on the first request of a process (it deletes rows whose atime is older than the
timeout); WEBPY_CLEANUP=0 skips it, as between two cleanups (web.py runs one at most once per timeout).

"served" is true only when: the response is 200, DBStore returned this key's row as a dict, and the handler
saw every stored item unchanged (except `ip`, which web.py always resets) under this session (not a new id
web.py generated). "data" is the stored dict as decoded (tagged: non-JSON values as {"$repr": ...}).
"error" says why not (the exception, or the id check / missing row).
Not read-only: like web.py, it deletes expired rows (cleanup), moves atime, and saves the session after
the handler (so presenting an unknown or rejected key inserts a new row under a fresh id).
"""

import io
import json
import math
import os
import sys
import time
from urllib.parse import quote, unquote, urlparse

import web
import web.session

web.config.debug = False


def jsonable(value, depth=0):
    if isinstance(value, float) and not math.isfinite(value) or depth > 200:
        return {'$repr': repr(value)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [jsonable(v, depth + 1) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: jsonable(v, depth + 1) for k, v in value.items()}
    return {'$repr': repr(value)[:500]}


class RecordingStore(web.session.DBStore):
    """DBStore unchanged, remembering what it handed back for each key."""

    loaded = {}

    def __getitem__(self, key):
        try:
            value = super().__getitem__(key)
        except BaseException as error:
            self.loaded[key] = ('raised', error)
            raise
        self.loaded[key] = ('ok', value)
        return value


def main():
    url = urlparse(os.environ['DATABASE_URL'])
    table = sys.argv[1] if len(sys.argv) > 1 else 'sessions'
    db = web.database(dbn='postgres', db=unquote(url.path.lstrip('/')), user=unquote(url.username or 'postgres'),
                      pw=unquote(url.password or ''), host=url.hostname or 'localhost', port=url.port or 5432)
    web.config.session_parameters['timeout'] = int(os.environ.get('WEBPY_TIMEOUT', '86400'))
    cleanup = os.environ.get('WEBPY_CLEANUP', '1') != '0'
    initializer = json.loads(os.environ['WEBPY_INITIALIZER']) if os.environ.get('WEBPY_INITIALIZER') else None

    seen = {}

    class Read:
        def GET(self):
            seen['data'] = dict(session._data)
            return 'ok'

    app = web.application(('/', 'Read'), {'Read': Read})
    store = RecordingStore(db, table)
    session = web.session.Session(app, store, initializer=initializer)

    out = {}
    for key in json.loads(sys.stdin.read()):
        seen.clear(), store.loaded.clear()
        session._last_cleanup_time = 0 if cleanup else time.time()
        log = io.StringIO()  # web.py prints the traceback of a 500 to wsgi.errors
        response = app.request('/', headers={'Cookie': 'webpy_session_id=' + quote(key)},
                               env={'REMOTE_ADDR': '198.51.100.7', 'wsgi.errors': log})
        outcome, value = store.loaded.get(key, (None, None))
        error = None
        if not response.status.startswith('200'):
            lines = log.getvalue().strip().splitlines()
            error = '%s (%s)' % (response.status, lines[-1] if lines else 'no traceback')
        elif outcome is None:
            accepted = bool(key) and session._valid_session_id(key)
            error = 'no row for this key: web.py gave a new session' if accepted else \
                'web.py rejects this id (_valid_session_id): it gave a new session'
        elif outcome == 'raised':
            error = '%s: %s' % (type(value).__name__, value)
        elif 'data' not in seen:
            error = 'the handler did not run (%s)' % response.status
        else:
            value = dict(value)  # what Session.update(d) merged (a list of pairs works too)
            if any(seen['data'].get(k, object()) is not v for k, v in value.items() if k != 'ip'):
                error = 'the handler did not get the stored data (web.py replaced it: new session id / initializer)'
        out[key] = {'served': error is None, 'data': jsonable(value) if error is None else None, 'error': error}
    json.dump(out, sys.stdout, ensure_ascii=True)


if __name__ == '__main__':
    main()
