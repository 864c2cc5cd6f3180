#!/usr/bin/python3
"""A standalone Django 3.2 project in one file, driven by test/frameworks/django.test.ts.

Every session is written and read through Django's own machinery (SessionMiddleware, CsrfViewMiddleware,
django.contrib.auth.login / get_user, SessionStore), against the database named by DATABASE_URL, so the test
can compare what sessiongraph reads and writes with what Django itself reads and writes.

Usage: /usr/bin/python3 django_app.py <command>   (JSON on stdin, JSON on stdout)

  migrate                                      {}                      -> {}
  create-users   ["alice", ...]                                        -> {"alice": "1", ...}
  write          [spec, ...]                                           -> {"<name>": "<session_key>", ...}
  load           ["<session_key>", ...]                                -> {"<session_key>": {...}, ...}
  modify         [{"key": k, "set": {...}, "unset": [...]}, ...]       -> {"<session_key>": "<new data>"}
  set-password   {"username": u, "password": p}                        -> {"password": "<new hash>"}

A write spec: {"name": str, "user": username or null, "data": {...}, "expiry": seconds or null,
"legacy": bool (DEFAULT_HASHING_ALGORITHM = 'sha1', the pre-3.1 format), "secret": another SECRET_KEY or
null, "expireInDb": true (move expire_date into the past after saving), "flip": true (change one character
of session_data after saving)}.

Environment: DATABASE_URL (postgres://user:password@host:port/name), DJANGO_SECRET_KEY, and optionally
DJANGO_DEFAULT_HASHING_ALGORITHM=sha1 for a whole run as a project still on the transitional setting.
"""

import base64
import json
import os
import sys
import warnings
import zlib
from urllib.parse import unquote, urlparse

import django
from django.conf import settings

warnings.simplefilter('ignore')  # DEFAULT_HASHING_ALGORITHM's deprecation warning


def configure():
    url = urlparse(os.environ['DATABASE_URL'])
    # A Django 3.1/3.2 still in transition from pre-3.1 writes the legacy format and SHA-1 auth hashes.
    algorithm = os.environ.get('DJANGO_DEFAULT_HASHING_ALGORITHM')
    transitional = {'DEFAULT_HASHING_ALGORITHM': algorithm} if algorithm else {}
    settings.configure(
        DEBUG=False,
        SECRET_KEY=os.environ['DJANGO_SECRET_KEY'],
        ALLOWED_HOSTS=['*'],
        DATABASES={
            'default': {
                'ENGINE': 'django.db.backends.postgresql',
                'NAME': unquote(url.path.lstrip('/')),
                'USER': unquote(url.username or ''),
                'PASSWORD': unquote(url.password or ''),
                'HOST': url.hostname or '',
                'PORT': str(url.port or ''),
            }
        },
        INSTALLED_APPS=['django.contrib.auth', 'django.contrib.contenttypes', 'django.contrib.sessions'],
        SESSION_ENGINE='django.contrib.sessions.backends.db',
        # The CSRF secret lives in the session (`_csrftoken`), so sessiongraph's hiding of it is tested.
        CSRF_USE_SESSIONS=True,
        USE_TZ=True,
        TIME_ZONE='UTC',
        PASSWORD_HASHERS=['django.contrib.auth.hashers.MD5PasswordHasher'],
        DEFAULT_AUTO_FIELD='django.db.models.AutoField',
        MIDDLEWARE=[],
        ROOT_URLCONF=__name__,
        LOGGING_CONFIG=None,
        **transitional,
    )
    django.setup()


urlpatterns = []


def iso(value):
    """An aware datetime as ISO 8601 UTC with milliseconds (truncated, as JavaScript's Date keeps it)."""
    from datetime import timezone as tz

    return value.astimezone(tz.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z')


def payload_text(session_data):
    """The serialized JSON inside session_data, as the text Django's JSONSerializer reads (latin-1)."""
    if ':' not in session_data:  # legacy: base64(hash ":" json)
        return base64.b64decode(session_data).split(b':', 1)[1].decode('latin-1')
    body = session_data.rsplit(':', 2)[0]
    compressed = body.startswith('.')
    if compressed:
        body = body[1:]
    raw = base64.urlsafe_b64decode(body + '=' * (-len(body) % 4))
    return (zlib.decompress(raw) if compressed else raw).decode('latin-1')


# ------------------------------------------------------------------------------------------------ commands


def migrate(_spec):
    from django.core.management import call_command

    call_command('migrate', verbosity=0, interactive=False)
    return {}


def create_users(usernames):
    from django.contrib.auth.models import User

    out = {}
    for name in usernames:
        user = User.objects.create_user(name, email=name + '@example.com', password='pw-' + name)
        out[name] = str(user.pk)
    return out


def write_one(spec):
    from django.contrib.auth import login
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.contrib.sessions.models import Session
    from django.http import HttpResponse
    from django.middleware.csrf import CsrfViewMiddleware
    from django.test import RequestFactory
    from django.utils import timezone

    data = spec.get('data') or {}
    expiry = spec.get('expiry')
    username = spec.get('user')
    if username:
        user = User.objects.get(username=username)

        def view(request):
            # What a login view does: authenticate the request, then put application data in the session.
            login(request, user)
            for name, value in data.items():
                request.session[name] = value
            if expiry is not None:
                request.session.set_expiry(expiry)
            return HttpResponse('ok')

        request = RequestFactory().post('/login/')
        handler = SessionMiddleware(CsrfViewMiddleware(view))
        response = handler(request)
        assert response.status_code == 200, response.status_code
        key = request.session.session_key
        assert response.cookies['sessionid'].value == key
    else:
        store = SessionStore()
        store.update(data)
        if expiry is not None:
            store.set_expiry(expiry)
        store.save()
        key = store.session_key
    if spec.get('expireInDb'):
        Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timezone.timedelta(minutes=5))
    if spec.get('flip'):
        row = Session.objects.get(session_key=key)
        text = row.session_data
        at = len(text) // 3
        row.session_data = text[:at] + ('A' if text[at] != 'A' else 'B') + text[at + 1 :]
        row.save(update_fields=['session_data'])
    return key


def write(specs):
    out = {}
    for spec in specs:
        overrides = {}
        if spec.get('legacy'):
            overrides['DEFAULT_HASHING_ALGORITHM'] = 'sha1'
        if spec.get('secret'):
            overrides['SECRET_KEY'] = spec['secret']
        saved = {name: getattr(settings, name) for name in overrides}
        for name, value in overrides.items():
            setattr(settings, name, value)
        try:
            out[spec['name']] = write_one(spec)
        finally:
            for name, value in saved.items():
                setattr(settings, name, value)
    return out


def load(keys):
    from django.contrib.auth import get_user
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.core.signing import JSONSerializer
    from django.db import transaction
    from django.test import RequestFactory

    out = {}
    for key in keys:
        row = Session.objects.filter(session_key=key).first()
        store = SessionStore(session_key=key)
        loaded = store.load()  # {} for a missing, expired, tampered or corrupt row
        entry = {
            'exists': row is not None,
            'loaded': loaded,
            'raw': row.session_data if row else None,
            # What Django decodes from the row regardless of expiry ({} when it rejects the data).
            'decoded': SessionStore().decode(row.session_data) if row else None,
            'expireDate': iso(row.expire_date) if row else None,
            'expiryDate': iso(store.get_expiry_date()) if loaded else None,
            'payload': None,
            'redumped': None,
            'userId': None,
        }
        if row and entry['decoded']:
            entry['payload'] = payload_text(row.session_data)
            entry['redumped'] = JSONSerializer().dumps(entry['decoded']).decode('latin-1')
        # get_user() flushes (deletes) a session whose auth hash no longer matches: look, then roll back.
        with transaction.atomic():
            request = RequestFactory().get('/', HTTP_COOKIE='sessionid=' + key)
            request.session = SessionStore(session_key=key)
            user = get_user(request)
            entry['userId'] = str(user.pk) if user.is_authenticated else None
            transaction.set_rollback(True)
        out[key] = entry
    return out


def modify(changes):
    """What a Django view does to an existing session: change keys, let the middleware save it."""
    from django.contrib.sessions.backends.db import SessionStore

    out = {}
    for change in changes:
        store = SessionStore(session_key=change['key'])
        for name, value in (change.get('set') or {}).items():
            store[name] = value
        for name in change.get('unset') or []:
            store.pop(name, None)
        store.save(must_create=False)
        out[change['key']] = store.session_key
    return out


def set_password(spec):
    from django.contrib.auth.models import User

    user = User.objects.get(username=spec['username'])
    user.set_password(spec['password'])
    user.save(update_fields=['password'])
    return {'password': user.password}


COMMANDS = {
    'migrate': migrate,
    'create-users': create_users,
    'write': write,
    'load': load,
    'modify': modify,
    'set-password': set_password,
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        sys.exit('usage: django_app.py ' + '|'.join(COMMANDS) + '  (JSON on stdin)')
    configure()
    text = sys.stdin.read()
    result = COMMANDS[sys.argv[1]](json.loads(text) if text.strip() else None)
    json.dump(result, sys.stdout, ensure_ascii=True)


if __name__ == '__main__':
    main()
