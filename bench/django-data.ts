import { djangoSessionAuthHash } from '../src/codecs/django.ts';
import type { JsonObject } from '../src/codecs/result.ts';

/**
 * The keys Django's `login()` puts in a session for a user, with the auth hash of the password hash the
 * benches give every user (`pbkdf2_sha256$260000$salt$<id>`). Every ninth session is anonymous.
 */
export function djangoLogin(index: number, userId: number, secret: string): JsonObject {
  if (index % 9 === 0) return {};
  return {
    _auth_user_id: String(userId),
    _auth_user_backend: 'django.contrib.auth.backends.ModelBackend',
    _auth_user_hash: djangoSessionAuthHash(`pbkdf2_sha256$260000$salt$${userId}`, secret),
  };
}
