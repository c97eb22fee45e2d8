import t from 'tap';
import { contextPath, contextSegment, matchContextPath, unservableName } from '../../src/server/context-path.js';

/** What client-go does to a server URL's path before each request: decode, then Go's EscapedPath (no RawPath kept). */
function throughClientGo(segment: string): string {
  const decoded = Buffer.from(segment.replace(/%([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))), 'latin1');
  let out = '';
  for (const byte of decoded) {
    const kept = /[A-Za-z0-9\-._~$&+,/:;=@]/.test(String.fromCharCode(byte));
    out += kept ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

t.test('the URL form: plain names unchanged, Go-escaped bytes as %XX, / and % escaped twice', async (t) => {
  const rows: [string, string][] = [
    ['dev', 'dev'],
    ['kind-kind', 'kind-kind'],
    ['gke_project_europe-west1_main', 'gke_project_europe-west1_main'],
    ['arn:aws:eks:eu-west-1:123456789012:cluster/prod', 'arn:aws:eks:eu-west-1:123456789012:cluster%252Fprod'],
    ['alice@prod', 'alice@prod'],
    ['a b', 'a%20b'],
    ['50%', '50%2525'],
    ['a%2Fb', 'a%25252Fb'],
    ['a/b', 'a%252Fb'],
    ['x?y#z', 'x%3Fy%23z'],
    ['(paren)', '%28paren%29'],
    ['é', '%C3%A9'],
    ['..', '..'],
  ];
  for (const [name, segment] of rows) {
    t.equal(contextSegment(name), segment, name);
    t.equal(throughClientGo(segment), segment, `${name}: client-go sends the form unchanged`);
  }
  t.equal(contextPath('a/b'), '/clusters/a%252Fb');
});

t.test('the URL form is one-to-one: no two names share it', async (t) => {
  const names = ['a/b', 'a%2Fb', 'a%252Fb', 'a%b', 'a%25b', 'a b', 'a%20b', 'a+b', 'A/B', 'a/b/'];
  const forms = names.map(contextSegment);
  t.equal(new Set(forms).size, names.length, forms.join(' '));
});

t.test('matching is byte for byte on the raw path', async (t) => {
  const served = new Set(['dev', 'a%252Fb']);
  t.same(matchContextPath('/clusters/', served), { kind: 'listing' });
  t.same(matchContextPath('/clusters', served), { kind: 'listing-redirect' });
  t.same(matchContextPath('/api/v1/pods', served), { kind: 'outside' });
  t.same(matchContextPath('/clustersx/dev/api', served), { kind: 'outside' });
  t.same(matchContextPath('/clusters/dev/api/v1/pods', served), { kind: 'context', segment: 'dev', rest: '/api/v1/pods' });
  t.same(matchContextPath('/clusters/dev/', served), { kind: 'context', segment: 'dev', rest: '/' });
  t.same(matchContextPath('/clusters/dev', served), { kind: 'context-redirect', segment: 'dev' });
  t.same(matchContextPath('/clusters/a%252Fb/api', served), { kind: 'context', segment: 'a%252Fb', rest: '/api' });
  t.same(matchContextPath('/clusters/dev/clusters/a%252Fb/api', served), { kind: 'context', segment: 'dev', rest: '/clusters/a%252Fb/api' }, 'a nested prefix stays in the first context');
  for (const other of ['d%65v', 'DEV', 'dev%20', 'a%2Fb', 'a%252fb', 'a', 'a/b']) {
    t.equal(matchContextPath(`/clusters/${other}/api`, served).kind, 'unknown', `${other} is not a served form`);
  }
});

t.test('a name of dots cannot be served: every client cleans it away', async (t) => {
  t.match(unservableName('..'), /cannot be served under \/clusters\/.*rename the context/);
  t.match(unservableName('.'), /cannot be served/);
  for (const name of ['...', '.a', 'a..', 'dev']) t.equal(unservableName(name), undefined, name);
});
