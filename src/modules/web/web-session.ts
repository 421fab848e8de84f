import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The browser's hold on a server-side session (the same sessions as the API's tokens: idle timeout,
 * at most N per user, revocable). The cookie names the session and its user, signed so that nobody
 * can forge one from a session id seen elsewhere (audit log, session list); whether the session is
 * still alive is asked of the auth service on every request. The CSRF token is derived from the
 * session, so it needs no storage and dies with the session.
 */
export interface WebSessionCodec {
  /** The cookie value for a session of a user. */
  encode(sessionId: string, userId: string): string;
  /** The session and user a cookie names, or undefined when it is malformed or its signature is wrong. */
  decode(cookie: string): { sessionId: string; userId: string } | undefined;
  /** The CSRF token of a session, sent back by every form and HTMX request that changes something. */
  csrfToken(sessionId: string): string;
  /** Whether a presented CSRF token is the session's. */
  csrfMatches(sessionId: string, presented: unknown): boolean;
}

const ID = /^[A-Za-z0-9-]{1,64}$/;

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function createWebSessionCodec(key: Uint8Array): WebSessionCodec {
  const mac = (purpose: string, value: string) => createHmac('sha256', key).update(`${purpose}\n${value}`).digest('base64url');
  const csrfToken = (sessionId: string) => mac('csrf', sessionId);
  return {
    encode: (sessionId, userId) => `${sessionId}.${userId}.${mac('session', `${sessionId}.${userId}`)}`,
    decode(cookie) {
      const [sessionId, userId, signature, ...rest] = cookie.split('.');
      if (rest.length > 0 || sessionId === undefined || userId === undefined || signature === undefined) return undefined;
      if (!ID.test(sessionId) || !ID.test(userId)) return undefined;
      return sameText(signature, mac('session', `${sessionId}.${userId}`)) ? { sessionId, userId } : undefined;
    },
    csrfToken,
    csrfMatches: (sessionId, presented) => typeof presented === 'string' && sameText(presented, csrfToken(sessionId)),
  };
}

/** A random token for the sign-in form, which has no session yet (double-submit cookie). */
export const newLoginCsrfToken = () => randomBytes(24).toString('base64url');
