import t from 'tap';
import { formatProxyKubeconfig } from '../../src/kubeconfig/proxy-kubeconfig.js';
import { parseKubeconfig } from '../../src/kubeconfig/parse.js';

t.test('one cluster and context per served context, pointing at kubegate, one user without a secret', async (t) => {
  const text = formatProxyKubeconfig(
    [
      { name: 'dev', server: 'http://127.0.0.1:8001/clusters/dev', namespace: 'team-a' },
      { name: 'arn:aws:eks:x:1:cluster/prod "quoted" é', server: 'http://127.0.0.1:8001/clusters/arn:aws:eks:x:1:cluster%252Fprod%20%22quoted%22%20%C3%A9' },
    ],
    'http://127.0.0.1:8001',
  );
  const parsed = parseKubeconfig(text, '/tmp/printed.yaml');
  t.equal(parsed.currentContext, 'dev');
  t.same([...parsed.contexts.keys()], ['dev', 'arn:aws:eks:x:1:cluster/prod "quoted" é'], 'names survive YAML quoting exactly');
  t.equal(parsed.clusters.get('dev')?.server, 'http://127.0.0.1:8001/clusters/dev');
  t.equal(parsed.clusters.get('arn:aws:eks:x:1:cluster/prod "quoted" é')?.server, 'http://127.0.0.1:8001/clusters/arn:aws:eks:x:1:cluster%252Fprod%20%22quoted%22%20%C3%A9');
  t.equal(parsed.contexts.get('dev')?.namespace, 'team-a', 'the namespace is kept');
  t.equal(parsed.contexts.get('dev')?.user, 'kubegate');
  const user = parsed.users.get('kubegate');
  t.ok(user, 'the shared user exists');
  t.same([user?.token, user?.tokenFile, user?.clientCertificate, user?.clientKeyData, user?.password, user?.exec, user?.authProvider], [undefined, undefined, undefined, undefined, undefined, undefined, undefined], 'no credential of any kind');
  t.notMatch(text, /token|password|client-key|certificate/i);
});
