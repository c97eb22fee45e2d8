import t from 'tap';
import { readRequestInfo } from '../../src/server/request-info.js';
import { curlCommand, kubectlCommand, shellQuote } from '../../src/ui/commands.js';

const BASE = 'http://127.0.0.1:8001';
const info = (method: string, url: string) => {
  const question = url.indexOf('?');
  return readRequestInfo(method, question === -1 ? url : url.slice(0, question), new URLSearchParams(question === -1 ? '' : url.slice(question + 1)));
};
const kubectl = (method: string, url: string) => kubectlCommand(BASE, method, url, info(method, url));

t.test('shell quoting survives quotes, dollars and spaces', async (t) => {
  t.equal(shellQuote('/api/v1/pods'), '/api/v1/pods');
  t.equal(shellQuote("it's $HOME"), `'it'\\''s $HOME'`);
  t.equal(shellQuote('a b'), "'a b'");
  t.equal(shellQuote('x&y'), "'x&y'");
});

t.test('curl: the method, the headers that matter, never a credential', async (t) => {
  t.equal(curlCommand(BASE, 'GET', '/api/v1/namespaces/default/pods', { host: 'localhost:8001', 'user-agent': 'curl/8', accept: '*/*' }), `curl ${BASE}/api/v1/namespaces/default/pods`);
  const withSecrets = curlCommand(BASE, 'GET', '/api/v1/pods?limit=5', {
    authorization: '[REDACTED]',
    cookie: '[REDACTED]',
    'proxy-authorization': 'Basic Zm9vOmJhcg==',
    accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    'impersonate-user': 'jane',
    'audit-id': 'abc',
  });
  t.equal(withSecrets, `curl -H 'accept: application/json;as=Table;v=v1;g=meta.k8s.io' -H 'impersonate-user: jane' '${BASE}/api/v1/pods?limit=5'`);
  t.notMatch(withSecrets, /authorization|cookie|Zm9v/i, 'credential headers are left out, even unredacted ones');
  t.equal(curlCommand(BASE, 'DELETE', '/api/v1/namespaces/default/pods/x', {}), `curl -X DELETE ${BASE}/api/v1/namespaces/default/pods/x`);
  t.equal(curlCommand(BASE, 'HEAD', '/version', {}), `curl -I ${BASE}/version`);
  t.equal(curlCommand(BASE, 'POST', '/api/v1/namespaces/default/configmaps', { 'content-type': 'application/json' }), `curl -X POST -H 'content-type: application/json' --data-binary @body ${BASE}/api/v1/namespaces/default/configmaps`);
  t.equal(curlCommand(BASE, 'GET', '/api/v1/pods?watch=true', {}), `curl -N '${BASE}/api/v1/pods?watch=true'`, 'a watch is not buffered');
  t.equal(curlCommand(BASE, 'GET', "/api/v1/namespaces/x'y/pods", {}), `curl '${BASE}/api/v1/namespaces/x'\\''y/pods'`);
});

t.test('kubectl: reads, deletes, logs, exec and port-forward', async (t) => {
  t.equal(kubectl('GET', '/api/v1/namespaces/default/pods?limit=500'), `kubectl -s ${BASE} get pods -n default`);
  t.equal(kubectl('GET', '/api/v1/namespaces/default/pods/nginx'), `kubectl -s ${BASE} get pods nginx -n default`);
  t.equal(kubectl('GET', '/api/v1/pods'), `kubectl -s ${BASE} get pods -A`, 'across namespaces');
  t.equal(kubectl('GET', '/api/v1/nodes'), `kubectl -s ${BASE} get nodes`, 'a cluster-scoped list needs no -A');
  t.equal(kubectl('GET', '/apis/apps/v1/namespaces/prod/deployments?labelSelector=app%3Dweb'), `kubectl -s ${BASE} get deployments.apps -n prod -l app=web`);
  t.equal(kubectl('GET', '/api/v1/namespaces/default/pods?watch=true'), `kubectl -s ${BASE} get pods -n default --watch-only`);
  t.equal(kubectl('DELETE', '/api/v1/namespaces/default/configmaps/c'), `kubectl -s ${BASE} delete configmaps c -n default`);
  t.equal(kubectl('GET', '/api/v1/namespaces/default/pods/p/log?container=web&follow=true'), `kubectl -s ${BASE} logs p -n default -c web -f`);
  t.equal(kubectl('POST', '/api/v1/namespaces/default/pods/p/exec?command=ls&command=-l&stdin=true&tty=true'), `kubectl -s ${BASE} exec -i -t p -n default -- ls -l`);
  t.equal(kubectl('POST', '/api/v1/namespaces/default/pods/p/portforward?ports=8080'), `kubectl -s ${BASE} port-forward pod/p -n default 8080`);
  t.equal(kubectl('GET', '/api/v1/namespaces/default/pods/p/status'), `kubectl -s ${BASE} get pods p -n default --subresource=status`);
});

t.test('kubectl: a raw GET where no command reads it, nothing for writes', async (t) => {
  t.equal(kubectl('GET', '/version?timeout=5s'), `kubectl -s ${BASE} get --raw '/version?timeout=5s'`);
  t.equal(kubectl('GET', '/api/v1/namespaces/default/services/nginx/proxy/'), `kubectl -s ${BASE} get --raw /api/v1/namespaces/default/services/nginx/proxy/`);
  t.equal(kubectl('POST', '/api/v1/namespaces/default/configmaps'), null, 'a create needs its body: no command sends exactly it');
  t.equal(kubectl('PATCH', '/api/v1/namespaces/default/configmaps/c'), null);
  t.equal(kubectl('GET', '/api/v1/namespaces/default/services/nginx/proxy/?watch=true'), null, 'a stream through a proxy has no raw form');
});
