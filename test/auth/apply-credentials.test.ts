import t from 'tap';
import { applyCredentials, escapeExtraKey, type HeaderMap } from '../../src/auth/apply-credentials.js';

const impersonate = { user: 'bob', uid: 'u-1', groups: ['g1', 'g2'], extra: { scopes: ['view'] } };

t.test('adds Authorization when the client sent none', async (t) => {
  const headers: HeaderMap = {};
  applyCredentials(headers, 'Bearer cfg', undefined);
  t.equal(headers.authorization, 'Bearer cfg');
});

t.test("a client's own Authorization wins, as in kubectl", async (t) => {
  const headers: HeaderMap = { authorization: 'Bearer mine' };
  applyCredentials(headers, 'Bearer cfg', undefined);
  t.equal(headers.authorization, 'Bearer mine');
});

t.test('impersonation sets user and uid and adds groups after the client ones', async (t) => {
  const headers: HeaderMap = { 'impersonate-group': 'x' };
  applyCredentials(headers, undefined, impersonate);
  t.equal(headers['impersonate-user'], 'bob');
  t.equal(headers['impersonate-uid'], 'u-1');
  t.same(headers['impersonate-group'], ['x', 'g1', 'g2']);
  t.same(headers['impersonate-extra-scopes'], ['view']);
});

t.test("a client's own Impersonate-User disables injected impersonation", async (t) => {
  const headers: HeaderMap = { 'impersonate-user': 'carol' };
  applyCredentials(headers, 'Bearer cfg', impersonate);
  t.equal(headers['impersonate-user'], 'carol');
  t.equal(headers['impersonate-group'], undefined);
  t.equal(headers.authorization, 'Bearer cfg', 'Authorization is still added');
});

t.test('extra keys are escaped for header names', async (t) => {
  t.equal(escapeExtraKey('scopes'), 'scopes');
  t.equal(escapeExtraKey('example.com/key'), 'example.com%2Fkey');
  t.equal(escapeExtraKey('a b%'), 'a%20b%25');
});
