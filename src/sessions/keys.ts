import { createHash, randomBytes } from 'node:crypto';

/**
 * sessiongraph's own session keys: 32 random bytes, base64url, handed to the client once. Only their
 * SHA-256 is stored, so a leaked table does not hand out live sessions.
 */
const NATIVE_KEY = /^[A-Za-z0-9_-]{43}$/;

export const generateSessionKey = () => randomBytes(32).toString('base64url');

export const isNativeKeyShape = (key: string) => NATIVE_KEY.test(key);

export const hashSessionKey = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();
