import t from 'tap';
import { createMetrics } from '../../src/observe/metrics.js';
import { resourceLabel } from '../../src/observe/observer.js';

t.test('resourceLabel names the API resource, never names or namespaces', async (t) => {
  const rows: [string, string][] = [
    ['/api/v1/namespaces/default/pods', 'pods'],
    ['/api/v1/namespaces/default/pods/nginx-1', 'pods'],
    ['/api/v1/namespaces/default/pods/nginx-1/log', 'pods/log'],
    ['/api/v1/pods', 'pods'],
    ['/api/v1/namespaces', 'namespaces'],
    ['/api/v1/namespaces/default', 'namespaces'],
    ['/api/v1/watch/namespaces/default/pods', 'pods'],
    ['/apis/apps/v1/namespaces/default/deployments/web/scale', 'apps/deployments/scale'],
    ['/apis/apps/v1/deployments', 'apps/deployments'],
    ['/api/v1/namespaces/default/services/nginx/proxy/index.html', 'services/proxy'],
    ['/api', 'discovery'],
    ['/apis/apps/v1', 'discovery'],
    ['/version', 'nonresource'],
    ['/healthz', 'nonresource'],
    ['/api/v1/namespaces/d/Pods%20X', 'other'],
    ['/api/v1/namespaces/kube-system/status', 'namespaces/status'],
    ['/api/v1/namespaces/default/serviceaccounts/default/token', 'serviceaccounts/token'],
    ['/apis/batch/v1/namespaces/default/cronjobs', 'batch/cronjobs'],
    ['/apis/rbac.authorization.k8s.io/v1/clusterroles/admin', 'rbac.authorization.k8s.io/clusterroles'],
    ['/apis/networking.k8s.io/v1/namespaces/default/ingresses/web/status', 'networking.k8s.io/ingresses/status'],
    ['/apis/example.com/v1/namespaces/default/widgets', 'other'],
    ['/api/v1/namespaces/default/configmaps/x/exec', 'other'],
    ['/api/v1/widgets', 'other'],
  ];
  for (const [path, expected] of rows) t.equal(resourceLabel(path), expected, path);
});

t.test('counts requests by method, resource and code, and tracks in-flight', async (t) => {
  const metrics = createMetrics({ defaultMetrics: false });
  metrics.requestStarted();
  metrics.requestStarted();
  metrics.requestFinished('GET', 'pods', 200, 0.01, 0, 123);
  metrics.requestFinished('FROB', 'pods', 404, 0.02, 0, 7);
  metrics.filterRejected('--reject-paths');
  metrics.upstreamError('unreachable');
  metrics.policyDenied('--deny-secrets');
  metrics.policyDenied('--deny-secrets');
  const text = await metrics.registry.metrics();
  t.match(text, /kubegate_requests_total\{method="GET",resource="pods",code="200"\} 1/);
  t.match(text, /kubegate_requests_total\{method="OTHER",resource="pods",code="404"\} 1/, 'unknown methods collapse to OTHER');
  t.match(text, /kubegate_requests_in_flight 0/);
  t.match(text, /kubegate_response_bytes_total 130/);
  t.match(text, /kubegate_filter_rejections_total\{flag="--reject-paths"\} 1/);
  t.match(text, /kubegate_upstream_errors_total\{kind="unreachable"\} 1/);
  t.match(text, /kubegate_policy_denied_total\{rule="--deny-secrets"\} 2/);
  t.match(text, /kubegate_request_duration_seconds_count\{method="GET",resource="pods"\} 1/);
});

t.test('1000 junk paths all count as "other"; built-in resources keep their labels', async (t) => {
  const metrics = createMetrics({ defaultMetrics: false });
  const count = (path: string): void => {
    metrics.requestStarted();
    metrics.requestFinished('GET', resourceLabel(path), 404, 0, 0, 0);
  };
  // The junk comes first: under first-come label slots it would have taken them all.
  for (let i = 0; i < 1000; i++) count(`/api/v1/junk-${i}`);
  for (let i = 0; i < 1000; i++) count(`/apis/junk${i}.example/v1/things`);
  count('/api/v1/namespaces/default/pods');
  count('/apis/apps/v1/namespaces/default/deployments');
  count('/api/v1/namespaces/default/secrets/db');
  const text = await metrics.registry.metrics();
  const labels = new Set([...text.matchAll(/kubegate_requests_total\{[^}]*resource="([^"]+)"/g)].map((m) => m[1]));
  t.same([...labels].sort(), ['apps/deployments', 'other', 'pods', 'secrets']);
  t.match(text, /kubegate_requests_total\{method="GET",resource="other",code="404"\} 2000/);
});

t.test('metrics drops a label that is not a built-in resource, whoever passes it', async (t) => {
  const metrics = createMetrics({ defaultMetrics: false });
  metrics.requestStarted();
  metrics.requestFinished('GET', 'made-up', 200, 0, 0, 0);
  t.match(await metrics.registry.metrics(), /kubegate_requests_total\{method="GET",resource="other",code="200"\} 1/);
});

t.test('internal errors are counted', async (t) => {
  const metrics = createMetrics({ defaultMetrics: false });
  metrics.internalError();
  t.match(await metrics.registry.metrics(), /kubegate_internal_errors_total 1/);
});

t.test('forContext: the same series with a context label; without it no context label anywhere', async (t) => {
  const metrics = createMetrics({ defaultMetrics: false });
  metrics.requestStarted();
  metrics.requestFinished('GET', 'pods', 200, 0.01, 0, 5);
  const dev = metrics.forContext('dev');
  dev.requestStarted();
  dev.requestFinished('GET', 'pods', 200, 0.01, 3, 7);
  dev.watchOpened();
  dev.credentialRefresh('exec', 'success');
  dev.upstreamError('unreachable');
  const text = await metrics.registry.metrics();
  t.match(text, /kubegate_requests_total\{method="GET",resource="pods",code="200"\} 1/);
  t.match(text, /kubegate_requests_total\{method="GET",resource="pods",code="200",context="dev"\} 1/);
  t.match(text, /kubegate_response_bytes_total\{context="dev"\} 7/);
  t.match(text, /kubegate_open_watches\{context="dev"\} 1/);
  t.match(text, /kubegate_requests_in_flight\{context="dev"\} 0/);
  t.match(text, /kubegate_credential_refreshes_total\{source="exec",outcome="success",context="dev"\} 1/);
  t.match(text, /kubegate_upstream_errors_total\{kind="unreachable",context="dev"\} 1/);
  const single = createMetrics({ defaultMetrics: false });
  single.requestStarted();
  single.requestFinished('GET', 'pods', 200, 0.01, 1, 1);
  t.notMatch(await single.registry.metrics(), /context=/, 'a single-context kubegate exports no context label');
});
