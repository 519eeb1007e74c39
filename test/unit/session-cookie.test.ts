import { describe, expect, it } from 'vitest';
import {
  clearedSessionCookie,
  csrfTokenFor,
  csrfTokenMatches,
  hashSessionToken,
  isSessionToken,
  newSessionToken,
  readCookie,
  sessionCookie,
} from '../../src/auth/session/session-cookie.js';

describe('console session cookie', () => {
  it('makes 256-bit tokens that only match their own shape', () => {
    const a = newSessionToken();
    const b = newSessionToken();
    expect(a).not.toBe(b);
    expect(isSessionToken(a)).toBe(true);
    for (const bad of [undefined, '', 'short', `${a}x`, a.replace(/./, '!')]) {
      expect(isSessionToken(bad)).toBe(false);
    }
    expect(hashSessionToken(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSessionToken(a)).not.toBe(hashSessionToken(b));
  });

  it('derives a CSRF token from the session token that no other session shares', () => {
    const token = newSessionToken();
    const csrf = csrfTokenFor(token);
    expect(csrf).not.toBe(token);
    expect(csrfTokenMatches(token, csrf)).toBe(true);
    expect(csrfTokenMatches(newSessionToken(), csrf)).toBe(false);
    expect(csrfTokenMatches(token, undefined)).toBe(false);
    expect(csrfTokenMatches(token, csrf.slice(1))).toBe(false);
  });

  it('reads one cookie among others', () => {
    expect(readCookie('a=1; axb_session=tok; b=2', 'axb_session')).toBe('tok');
    expect(readCookie('axb_session_other=x;axb_session=y', 'axb_session')).toBe('y');
    expect(readCookie('a=1', 'axb_session')).toBeUndefined();
    expect(readCookie(undefined, 'axb_session')).toBeUndefined();
    expect(readCookie('junk; ;=;axb_session', 'axb_session')).toBeUndefined();
  });

  it('writes HttpOnly, SameSite=Strict cookies for the whole site, Secure when asked', () => {
    expect(sessionCookie('t', { maxAgeSeconds: 60, secure: false })).toBe(
      'axb_session=t; Path=/; Max-Age=60; HttpOnly; SameSite=Strict',
    );
    expect(sessionCookie('t', { maxAgeSeconds: 60.9, secure: true })).toBe(
      'axb_session=t; Path=/; Max-Age=60; HttpOnly; SameSite=Strict; Secure',
    );
    expect(clearedSessionCookie(false)).toBe(
      'axb_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict',
    );
  });
});
