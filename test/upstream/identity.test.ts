import t from 'tap';
import { decideIdentity, escapeExtraKey, type HeaderMap, type IdentityHeaders } from '../../src/upstream/identity.js';
import type { ImpersonationConfig } from '../../src/kubeconfig/rest-config.js';

/** The identity lines kubegate sends for a client that sent `headers` (single-valued names, lists for repeats). */
function identityFor(headers: HeaderMap, authorization: string | undefined, impersonation: ImpersonationConfig | undefined): IdentityHeaders {
  const raw = Object.entries(headers).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).flatMap((one) => [name, one]));
  return decideIdentity(raw, { impersonate: impersonation, userAgent: 'kubegate/test', dropConnectionListed: false }).headers(authorization);
}

const impersonate = { user: 'bob', uid: 'u-1', groups: ['g1', 'g2'], extra: { scopes: ['view'] } };

t.test('adds Authorization when the client sent none', async (t) => {
  t.same(identityFor({}, 'Bearer cfg', undefined).authorization, ['Bearer cfg']);
});

t.test("a client's own Authorization wins, as in kubectl", async (t) => {
  t.same(identityFor({ authorization: 'Bearer mine' }, 'Bearer cfg', undefined).authorization, ['Bearer mine']);
});

t.test('impersonation sets user and uid and adds groups after the client ones', async (t) => {
  const headers = identityFor({ 'impersonate-group': 'x' }, undefined, impersonate);
  t.same(headers['impersonate-user'], ['bob']);
  t.same(headers['impersonate-uid'], ['u-1']);
  t.same(headers['impersonate-group'], ['x', 'g1', 'g2']);
  t.same(headers['impersonate-extra-scopes'], ['view']);
});

t.test("a client's own Impersonate-User disables injected impersonation", async (t) => {
  const headers = identityFor({ 'impersonate-user': 'carol' }, 'Bearer cfg', impersonate);
  t.same(headers['impersonate-user'], ['carol']);
  t.equal(headers['impersonate-group'], undefined);
  t.same(headers.authorization, ['Bearer cfg'], 'Authorization is still added');
});

t.test('extra keys are escaped for header names', async (t) => {
  t.equal(escapeExtraKey('scopes'), 'scopes');
  t.equal(escapeExtraKey('example.com/key'), 'example.com%2Fkey');
  t.equal(escapeExtraKey('a b%'), 'a%20b%25');
});

interface IdentityCase {
  readonly name: string;
  /** The client's header lines, in order. */
  readonly client: readonly (readonly [string, string])[];
  readonly authorization?: string;
  readonly impersonate?: ImpersonationConfig;
  readonly expected: Record<string, string[]>;
  readonly clientAuthorization?: boolean;
}

const alice: ImpersonationConfig = { user: 'alice', groups: [], extra: {} };

// client-go's round-trippers test `len(req.Header.Get(name)) != 0`; Get returns the first line.
const identityCases: readonly IdentityCase[] = [
  { name: 'no identity headers: the credential and the default User-Agent', client: [], authorization: 'Bearer cfg', expected: { authorization: ['Bearer cfg'], 'user-agent': ['kubegate/test'] } },
  { name: 'an empty Authorization is absent: the credential is used', client: [['Authorization', '']], authorization: 'Bearer cfg', expected: { authorization: ['Bearer cfg'], 'user-agent': ['kubegate/test'] } },
  { name: 'a whitespace-only Authorization is absent (Go trims spaces and tabs)', client: [['Authorization', ' \t ']], authorization: 'Bearer cfg', expected: { authorization: ['Bearer cfg'], 'user-agent': ['kubegate/test'] } },
  { name: 'an empty Authorization with no credential (http://) is dropped', client: [['Authorization', '']], expected: { 'user-agent': ['kubegate/test'] } },
  {
    name: 'an empty first Authorization line makes the header absent, the second line too',
    client: [['Authorization', ''], ['Authorization', 'Bearer second']],
    authorization: 'Bearer cfg',
    expected: { authorization: ['Bearer cfg'], 'user-agent': ['kubegate/test'] },
  },
  {
    name: "a client's non-empty Authorization wins and no credential is wanted",
    client: [['Authorization', 'Bearer mine']],
    authorization: 'Bearer cfg',
    expected: { authorization: ['Bearer mine'], 'user-agent': ['kubegate/test'] },
    clientAuthorization: true,
  },
  { name: 'an empty User-Agent gets the default', client: [['User-Agent', '']], expected: { 'user-agent': ['kubegate/test'] } },
  { name: "a client's User-Agent is kept", client: [['User-Agent', 'kubectl/v1.32']], expected: { 'user-agent': ['kubectl/v1.32'] } },
  { name: 'an empty Impersonate-User does not cancel the kubeconfig `as:`', client: [['Impersonate-User', '']], impersonate: alice, expected: { 'user-agent': ['kubegate/test'], 'impersonate-user': ['alice'] } },
  {
    name: 'an empty first Impersonate-User line is absent even with a second one: `as:` is set over both',
    client: [['Impersonate-User', ''], ['Impersonate-User', 'bob']],
    impersonate: alice,
    expected: { 'user-agent': ['kubegate/test'], 'impersonate-user': ['alice'] },
  },
  {
    name: "a client's Impersonate-User wins, with its own groups as separate lines",
    client: [['Impersonate-User', 'carol'], ['Impersonate-Group', 'a'], ['Impersonate-Group', 'b']],
    impersonate,
    expected: { 'user-agent': ['kubegate/test'], 'impersonate-user': ['carol'], 'impersonate-group': ['a', 'b'] },
  },
  {
    name: 'empty Impersonate-Group and -Extra lines name nothing and are dropped',
    client: [['Impersonate-Group', ''], ['Impersonate-Group', 'x'], ['Impersonate-Extra-Scopes', '']],
    impersonate,
    expected: { 'user-agent': ['kubegate/test'], 'impersonate-group': ['x', 'g1', 'g2'], 'impersonate-user': ['bob'], 'impersonate-uid': ['u-1'], 'impersonate-extra-scopes': ['view'] },
  },
  { name: 'an empty Impersonate-Uid is absent', client: [['Impersonate-Uid', '']], impersonate: alice, expected: { 'user-agent': ['kubegate/test'], 'impersonate-user': ['alice'] } },
  {
    name: "the client's Impersonate-Uid stays when the kubeconfig sets none (client-go Sets the uid only when configured)",
    client: [['Impersonate-Uid', 'u-9']],
    impersonate: alice,
    expected: { 'user-agent': ['kubegate/test'], 'impersonate-uid': ['u-9'], 'impersonate-user': ['alice'] },
  },
  {
    name: 'extras are added after the client lines of the same key, whatever its case',
    client: [['Impersonate-Extra-Scopes', 'edit']],
    impersonate,
    expected: { 'user-agent': ['kubegate/test'], 'impersonate-extra-scopes': ['edit', 'view'], 'impersonate-user': ['bob'], 'impersonate-uid': ['u-1'], 'impersonate-group': ['g1', 'g2'] },
  },
];

for (const row of identityCases) {
  t.test(`decideIdentity: ${row.name}`, async (t) => {
    const raw = row.client.flatMap(([name, value]) => [name, value]);
    const decision = decideIdentity(raw, { impersonate: row.impersonate, userAgent: 'kubegate/test', dropConnectionListed: true });
    t.same(decision.headers(row.authorization), row.expected);
    t.equal(decision.clientAuthorization, row.clientAuthorization ?? false);
  });
}

t.test('decideIdentity: identity headers named in Connection are hop-by-hop on the forward path, kept in tunnels', async (t) => {
  const raw = ['Connection', 'close, Impersonate-User', 'Impersonate-User', 'mallory'];
  const forwarded = decideIdentity(raw, { impersonate: alice, userAgent: 'ua', dropConnectionListed: true }).headers(undefined);
  t.same(forwarded['impersonate-user'], ['alice'], 'the listed client header is dropped, then kubegate impersonates');
  const tunnelled = decideIdentity(raw, { impersonate: alice, userAgent: 'ua', dropConnectionListed: false }).headers(undefined);
  t.same(tunnelled['impersonate-user'], ['mallory'], 'upgrade heads are forwarded verbatim, as kubectl does (spec 3.6)');
});

t.test('an empty Impersonate-User in a tunnel head does not cancel `as:`', async (t) => {
  const headers = identityFor({ 'impersonate-user': '', authorization: '' }, 'Bearer cfg', alice);
  t.same(headers['impersonate-user'], ['alice']);
  t.same(headers.authorization, ['Bearer cfg']);
});
