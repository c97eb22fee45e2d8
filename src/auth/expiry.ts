// When a credential stops working, when it says so itself: a JWT's `exp`, a certificate's notAfter.

import { X509Certificate } from 'node:crypto';

/** The `exp` of a JWT bearer token (service-account and OIDC tokens are JWTs), in epoch ms; undefined otherwise. */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' && Number.isFinite(payload.exp) ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** The notAfter of the first certificate in a PEM bundle, in epoch ms; undefined when it does not parse. */
export function certificateExpiry(pem: Buffer): number | undefined {
  try {
    const parsed = Date.parse(new X509Certificate(pem).validTo);
    return Number.isNaN(parsed) ? undefined : parsed;
  } catch {
    return undefined;
  }
}

/** The earliest of the known expiries. */
export function earliest(...times: readonly (number | undefined)[]): number | undefined {
  const known = times.filter((time): time is number => time !== undefined);
  return known.length === 0 ? undefined : Math.min(...known);
}

/** "59m30s", "2h0m", "expired 5s ago": for readiness bodies and logs. */
export function describeRemaining(expiresAt: number, now: number): string {
  const seconds = Math.round((expiresAt - now) / 1000);
  const magnitude = Math.abs(seconds);
  const text = magnitude >= 3600 ? `${Math.floor(magnitude / 3600)}h${Math.floor((magnitude % 3600) / 60)}m` : magnitude >= 60 ? `${Math.floor(magnitude / 60)}m${magnitude % 60}s` : `${magnitude}s`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}
