import t from 'tap';
import { resolveUpstreamTarget } from '../../src/upstream/target.js';
import { restConfig } from '../fixtures/kubeconfig/env.js';

t.test('the upstream target: origin, Host as written, server path only with --append-server-path', async (t) => {
  const config = restConfig('https://api.example:6443/k8s/clusters/c-1/', { kind: 'none' });
  t.same(resolveUpstreamTarget(config, false), { origin: 'https://api.example:6443', host: 'api.example:6443', basePath: '', tls: true });
  t.equal(resolveUpstreamTarget(config, true).basePath, '/k8s/clusters/c-1');
  t.same(resolveUpstreamTarget(restConfig('http://[::1]:8080', { kind: 'none' }), false), { origin: 'http://[::1]:8080', host: '[::1]:8080', basePath: '', tls: false });
});
