#!/usr/bin/python3
"""Which django_session rows does Django 3.2 itself serve?  (run with Debian's /usr/bin/python3)

Usage:
  echo '["key1", "key2"]' | DATABASE_URL=postgres://postgres@127.0.0.1:5432/db DJANGO_SECRET_KEY=... \
      /usr/bin/python3 django_verdicts.py [table]          # table defaults to django_session (may be schema.table)

Prints {"<key>": {"served": bool, "data": {...} | null, "error": str | null}, ...}.

Each key goes through a real Django request: django.test.Client (the full WSGI handler) with
SessionMiddleware and the db engine (USE_TZ=True, PostgreSQL), and the `sessionid` cookie the way a browser
replays what Django's own `set_cookie` emitted (SimpleCookie's coded value, sent as UTF-8 bytes). The view
only reads: it returns `dict(request.session.items())`.

"served" is true only when all of these hold:
  - the response is 200 (no exception anywhere in the request),
  - the cookie reached Django as exactly this key (parse_cookie round trip),
  - the session kept this key (Django drops the key when no unexpired row matches: an empty, new session),
  - the data is not Django's decode fallback: an empty dict counts only when the row really is a signed (or
    verified legacy) encoding of {}; a corrupt/tampered/undecodable row makes Django return {} silently.
"data" is the session as the view saw it (only when served); non-finite floats are {"$float": "NaN"} etc.
"error" says why not served (the exception class and message for a 500).
Read-only: the view modifies nothing, so Django writes nothing.
"""

import base64
import json
import logging
import os
import sys
import warnings
from urllib.parse import unquote, urlparse

import django
from django.conf import settings

warnings.simplefilter('ignore')


def configure(table):
    url = urlparse(os.environ['DATABASE_URL'])
    schema, _, name = table.rpartition('.')
    settings.configure(
        DEBUG=False,
        SECRET_KEY=os.environ['DJANGO_SECRET_KEY'],
        ALLOWED_HOSTS=['*'],
        DATABASES={'default': {
            'ENGINE': 'django.db.backends.postgresql',
            'NAME': unquote(url.path.lstrip('/')),
            'USER': unquote(url.username or 'postgres'),
            'PASSWORD': unquote(url.password or ''),
            'HOST': url.hostname or '',
            'PORT': str(url.port or ''),
            'OPTIONS': {'options': '-c search_path=' + schema} if schema else {},
        }},
        INSTALLED_APPS=['django.contrib.contenttypes', 'django.contrib.sessions'],
        SESSION_ENGINE='django.contrib.sessions.backends.db',
        MIDDLEWARE=['django.contrib.sessions.middleware.SessionMiddleware'],
        ROOT_URLCONF=__name__,
        USE_TZ=True,
        TIME_ZONE='UTC',
        LOGGING_CONFIG=None,
    )
    django.setup()
    from django.contrib.sessions.models import Session

    Session._meta.db_table = name


def view(request):
    from django.http import HttpResponse

    data = dict(request.session.items())  # loads the row
    body = {'key': request.session.session_key, 'cookie': request.COOKIES.get('sessionid'), 'data': data}
    return HttpResponse(json.dumps(body), content_type='application/json')  # C encoder: no Python recursion


def really_empty(session_data):
    """True when session_data is a genuine, verifying encoding of {} (what Django decodes without falling back)."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.core import signing
    from django.utils.crypto import constant_time_compare

    store = SessionStore()
    try:
        return signing.loads(session_data, salt=store.key_salt, serializer=store.serializer) == {}
    except signing.BadSignature:
        pass
    except Exception:
        return False
    try:  # the pre-3.1 format Django 3.2 still reads
        digest, serialized = base64.b64decode(session_data.encode('ascii')).split(b':', 1)
        return constant_time_compare(digest.decode(), store._hash(serialized)) and store.serializer().loads(serialized) == {}
    except Exception:
        return False


def verdict(client, key, errors):
    from django.contrib.sessions.models import Session
    from http.cookies import SimpleCookie

    cookie = SimpleCookie()
    cookie['sessionid'] = key  # what response.set_cookie('sessionid', key) would have sent
    header = 'sessionid=' + cookie['sessionid'].coded_value
    errors.clear()
    response = client.get('/', HTTP_COOKIE=header.encode('utf-8').decode('latin-1'))  # PEP 3333 bytes-as-latin-1
    if response.status_code != 200:
        return None, errors[-1] if errors else 'HTTP %d' % response.status_code
    body = json.loads(response.content, parse_constant=lambda name: {'$float': name})
    if body['cookie'] != key:
        return None, 'cookie reached Django as %r (header %r)' % (body['cookie'], header)
    if body['key'] != key:
        if not key or len(key) < 8:
            return None, 'Django ignores keys shorter than 8 characters (_validate_session_key): a new, empty session'
        return None, 'no unexpired row for this key: Django gave a new, empty session'
    if body['data'] == {}:
        row = Session.objects.filter(session_key=key).values_list('session_data', flat=True).first()
        if row is None or not really_empty(row):
            return None, 'session data did not decode: Django gave an empty session (%s)' % (
                '; '.join(errors) or 'silently')
    return body['data'], None


def main():
    table = sys.argv[1] if len(sys.argv) > 1 else 'django_session'
    configure(table)
    from django.core.signals import got_request_exception
    from django.test import Client

    errors = []

    class Collect(logging.Handler):
        def emit(self, record):
            if record.name.startswith('django.security'):
                errors.append(record.getMessage())

    logger = logging.getLogger('django')
    logger.addHandler(Collect())
    logger.propagate = False

    def on_exception(**_kwargs):
        error = sys.exc_info()[1]
        kind = type(error)
        name = kind.__qualname__ if kind.__module__ == 'builtins' else kind.__module__ + '.' + kind.__qualname__
        errors.append('%s: %s' % (name, str(error)[:300]))

    got_request_exception.connect(on_exception)
    client = Client(raise_request_exception=False)
    out = {}
    for key in json.loads(sys.stdin.read()):
        data, error = verdict(client, key, errors)
        out[key] = {'served': error is None, 'data': data, 'error': error}
    json.dump(out, sys.stdout, ensure_ascii=True)


from django.urls import path  # noqa: E402  (the URLconf of this one-file project)

urlpatterns = [path('', view)]

if __name__ == '__main__':
    main()
