import { randomBytes } from "node:crypto";

/** Bytes of randomness in a session id: 128 bits, the floor OWASP recommends for session identifiers. */
export const SESSION_ID_BYTES = 16;

/**
 * A new session id: {@link SESSION_ID_BYTES} bytes from the operating system's CSPRNG, base64url (22 characters,
 * safe in a cookie and a key name).
 *
 * Pro: unguessable, so holding the cookie is the only way into the session; no coordination between app servers.
 * Con: nothing in the id says whose session it is or when it was made: everything lives in the session itself.
 */
export function newSessionId(bytes = SESSION_ID_BYTES): string {
  if (!Number.isSafeInteger(bytes) || bytes < 16)
    throw new RangeError(`a session id needs at least 16 random bytes, got ${bytes}`);
  return randomBytes(bytes).toString("base64url");
}

/** The cookie a login sets: the id only, never the session's contents. */
export function sessionCookie(id: string, maxAgeSeconds: number): string {
  return `sid=${id}; Max-Age=${maxAgeSeconds}; Path=/; HttpOnly; Secure; SameSite=Lax`;
}
