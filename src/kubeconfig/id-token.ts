// Whether an OIDC id-token is still good, by its JWT `exp` claim: pure, so resolve (start-up warnings) and auth (refresh) share it.

/** client-go treats an id-token as expired this long before its `exp` (oidc.go expiryDelta). */
export const OIDC_EXPIRY_DELTA_MS = 10_000;

/** `valid`, `expired`, or `not-jwt` (client-go: "ID Token is not a valid JWT"), by the `exp` claim less 10s. */
export function idTokenState(token: string, now: number): 'valid' | 'expired' | 'not-jwt' {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return 'not-jwt';
  let exp: unknown;
  try {
    exp = (JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { exp?: unknown }).exp;
  } catch {
    return 'not-jwt';
  }
  // A missing or non-numeric exp is the zero time in Go: expired.
  const expiresAt = typeof exp === 'number' && Number.isFinite(exp) ? Math.trunc(exp) * 1000 : 0;
  return now + OIDC_EXPIRY_DELTA_MS < expiresAt ? 'valid' : 'expired';
}

