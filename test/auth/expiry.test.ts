import t from 'tap';
import { certificateExpiry, describeRemaining, earliest, jwtExpiry } from '../../src/auth/expiry.js';
import { createCertificateAuthority } from '../../src/demo-cluster/pki.js';

const jwt = (payload: unknown): string =>
  `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.signature`;

t.test('a JWT bearer token reports its exp; anything else reports nothing', async (t) => {
  t.equal(jwtExpiry(jwt({ exp: 1_800_000_000 })), 1_800_000_000_000);
  t.equal(jwtExpiry(jwt({ sub: 'x' })), undefined);
  t.equal(jwtExpiry('opaque-token'), undefined);
  t.equal(jwtExpiry('a.not-base64-json.c'), undefined);
});

t.test("a certificate's notAfter", async (t) => {
  const ca = await createCertificateAuthority('expiry-test');
  const end = certificateExpiry(Buffer.from(ca.certPem));
  t.ok(end !== undefined && end > Date.now() + 300 * 86_400_000, 'about a year ahead');
  t.equal(certificateExpiry(Buffer.from('not a certificate')), undefined);
});

t.test('earliest and human-readable remaining time', async (t) => {
  t.equal(earliest(undefined, 5, 3), 3);
  t.equal(earliest(undefined), undefined);
  t.equal(describeRemaining(90_000, 0), 'in 1m30s');
  t.equal(describeRemaining(7_260_000, 0), 'in 2h1m');
  t.equal(describeRemaining(0, 5_000), '5s ago');
});
