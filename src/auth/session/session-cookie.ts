import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The console's session cookie and its CSRF token, as pure functions (unit-tested). The cookie
 * holds a random token; the browser's script never sees it (HttpOnly). The CSRF token is derived
 * from it (sha256 of a labelled copy), handed to the script in the sign-in answer, and must come
 * back in `x-csrf-token` on every request that changes something: a page on another site can
 * make the browser send the cookie (SameSite=Strict already stops that in current browsers) but
 * cannot read the token.
 */
export const SESSION_COOKIE = 'axb_session';
export const CSRF_HEADER = 'x-csrf-token';

/** Methods that change nothing; every other method needs the CSRF header when a cookie authenticates. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether a string has the shape of a session token (so junk never reaches the database). */
export function isSessionToken(value: string | undefined): value is string {
  return value !== undefined && TOKEN.test(value);
}

/** What the database keeps of a session token. */
export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update(`csrf:${sessionToken}`).digest('base64url');
}

export function csrfTokenMatches(sessionToken: string, given: string | undefined): boolean {
  if (!given) return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const presented = Buffer.from(given);
  return expected.length === presented.length && timingSafeEqual(expected, presented);
}

/** The value of one cookie from a `Cookie` header (the first one of that name). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    if (part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

export interface CookieOptions {
  maxAgeSeconds: number;
  secure: boolean;
}

/** `Set-Cookie` for the session: HttpOnly, SameSite=Strict, whole site (the console calls /v1). */
export function sessionCookie(token: string, options: CookieOptions): string {
  const parts = [
    `${SESSION_COOKIE}=${token}`,
    'Path=/',
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

/** `Set-Cookie` that makes the browser drop the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', { maxAgeSeconds: 0, secure });
}
