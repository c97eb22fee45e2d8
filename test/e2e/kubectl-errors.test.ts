import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedDemoCluster } from '../../src/demo-cluster/seed.js';
import { startTestCluster, type TestCluster } from '../fixtures/cluster.js';
import { writeTestPlugin } from '../fixtures/exec-plugins.js';
import { freePort, requireKubectl, runCommand, startKubectlProxy, startKubegate, type RunningProxy } from '../fixtures/processes.js';
import type { Teardown } from '../fixtures/teardown.js';

// Issue 16 item 1: every error kubegate makes reaches a kubectl user as clearly as a curl user. Real
// kubectl is the client, through kubegate and through the real kubectl proxy started the same way;
// kubegate's output must name the cause kubectl proxy names (and may say more), and never fall back
// to client-go's `unknown` or its generic 503 text.
const kubectl = requireKubectl();

/** What client-go prints when it could not read the error body: the words that hid kubegate's message. */
const CLIENT_GO_FALLBACK = /\("unknown"\)|: unknown$|the server is currently unable to handle the request|did not return more information/m;

interface Case {
  readonly name: string;
  readonly kubeconfig: (t: Teardown, cluster: TestCluster) => Promise<string> | string;
  readonly flags?: readonly string[];
  /** kubectl's arguments; `pod` is the seeded pod's name. */
  readonly args: (cluster: TestCluster, pod: string) => readonly string[];
  /** The cause, in words both proxies' outputs contain. */
  readonly shared: readonly RegExp[];
  /** What only kubegate says (the rule, the server, the advice). */
  readonly ours?: readonly RegExp[];
}

async function kubectlThrough(proxy: RunningProxy, cluster: TestCluster, args: readonly string[]): Promise<string> {
  const result = await runCommand(kubectl, ['-s', proxy.url, ...args], { env: { HOME: cluster.dir, KUBECONFIG: undefined }, timeoutMs: 60_000 });
  if (result.status === 0) throw new Error(`kubectl ${args.join(' ')} succeeded through ${proxy.url}:\n${result.stdout}`);
  return result.stderr;
}

/** Drops client-go's repeated discovery log lines (the last line says the same), to quote the outputs. */
const quoted = (stderr: string): string => stderr.split('\n').filter((line) => !/memcache\.go/.test(line)).join('\n').trim();

function compare(c: Case): void {
  t.test(c.name, async (t) => {
    const cluster = await startTestCluster(t);
    const { podName } = seedDemoCluster(cluster.api.store);
    const kubeconfig = await c.kubeconfig(t, cluster);
    const env = { HOME: cluster.dir, KUBECONFIG: undefined };
    const args = ['--kubeconfig', kubeconfig, '--port=0', ...(c.flags ?? [])];
    const [kubegate, proxy] = await Promise.all([startKubegate(t, args, { env }), startKubectlProxy(t, args, { env })]);
    const kubectlArgs = c.args(cluster, podName);
    const ours = await kubectlThrough(kubegate, cluster, kubectlArgs);
    const theirs = await kubectlThrough(proxy, cluster, kubectlArgs);
    t.comment(`kubectl ${kubectlArgs.join(' ')}\n  through kubegate:      ${quoted(ours)}\n  through kubectl proxy: ${quoted(theirs)}`);
    for (const cause of c.shared) {
      t.match(theirs, cause, `kubectl proxy's output names the cause (${cause.source})`);
      t.match(ours, cause, `kubegate's output names it too (${cause.source})`);
    }
    for (const more of c.ours ?? []) t.match(ours, more, `kubegate says more: ${more.source}`);
    t.notMatch(ours, CLIENT_GO_FALLBACK, 'never the text client-go prints when it cannot read the answer');
  });
}

const exec = (command: string, installHint = ''): Record<string, unknown> => ({
  exec: { apiVersion: 'client.authentication.k8s.io/v1', command, interactiveMode: 'Never', installHint },
});

compare({
  name: 'API server down: kubectl get pods names the refused address',
  kubeconfig: async (_t, cluster) => cluster.kubeconfig('token', { server: `https://127.0.0.1:${await freePort()}`, name: 'down' }),
  args: () => ['get', 'pods'],
  shared: [/connection refused/, /127\.0\.0\.1:\d+/],
  ours: [/cannot reach the API server at https:\/\/127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\)/, /Is the cluster running/],
});

compare({
  name: 'API server down: kubectl apply (which reads /openapi first) names it too',
  kubeconfig: async (_t, cluster) => cluster.kubeconfig('token', { server: `https://127.0.0.1:${await freePort()}`, name: 'down-apply' }),
  args: (cluster) => {
    const manifest = join(cluster.dir, 'cm.yaml');
    writeFileSync(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: default\n');
    return ['apply', '-f', manifest];
  },
  shared: [/connection refused/],
  ours: [/cannot reach the API server at https:\/\/127\.0\.0\.1:\d+/],
});

compare({
  name: "wrong CA: kubectl get pods says the certificate's authority is unknown",
  kubeconfig: async (t, cluster) => {
    const other = await startTestCluster(t);
    const path = cluster.kubeconfig('token', { name: 'wrong-ca' });
    writeFileSync(path, readFileSync(path, 'utf8').replace(cluster.caFile, other.caFile));
    return path;
  },
  args: () => ['get', 'pods'],
  shared: [/certificate signed by unknown authority/],
  ours: [/TLS with the API server at https:\/\/127\.0\.0\.1:\d+ failed/, /certificate-authority/],
});

compare({
  name: 'exec plugin missing: kubectl get pods shows the installHint',
  kubeconfig: (_t, cluster) => cluster.kubeconfig('none', { name: 'missing-plugin', extraUser: exec('kubegate-test-no-such-plugin', 'Install it: see https://example.com/login-plugin') }),
  args: () => ['get', 'pods'],
  shared: [/kubegate-test-no-such-plugin not found/, /Install it: see https:\/\/example\.com\/login-plugin/],
});

compare({
  name: 'credential plugin failing: kubectl get pods names the plugin and its exit code',
  kubeconfig: (t, cluster) => {
    const plugin = writeTestPlugin(t, { exitCode: 3, stderr: 'error: you are not logged in\n' });
    return cluster.kubeconfig('none', { name: 'failing-plugin', extraUser: exec(plugin.command) });
  },
  args: () => ['get', 'pods'],
  shared: [/plugin\.mjs/, /code 3/],
  ours: [/stderr is in kubegate's log/],
});

compare({
  name: '--accept-paths rejection of discovery: kubectl get pods names the flag and the path',
  flags: ['--accept-paths=^/api/v1/namespaces/default/configmaps'],
  kubeconfig: (_t, cluster) => cluster.kubeconfig('cert'),
  args: () => ['get', 'pods'],
  shared: [/Forbidden/],
  ours: [/Error from server \(Forbidden\): request rejected by kubegate's filter: path "\/api" matches no --accept-paths rule \(\^\/api\/v1\/namespaces\/default\/configmaps\)/],
});

compare({
  name: '--reject-methods rejection: kubectl delete names the flag',
  flags: ['--reject-methods=DELETE'],
  kubeconfig: (_t, cluster) => cluster.kubeconfig('cert'),
  args: () => ['delete', 'configmap', 'kube-root-ca.crt'],
  shared: [/Forbidden/],
  ours: [/Error from server \(Forbidden\): request rejected by kubegate's filter: method DELETE matches --reject-methods rule "DELETE"/],
});

compare({
  name: 'default --reject-paths: kubectl exec names the rule',
  kubeconfig: (_t, cluster) => cluster.kubeconfig('cert'),
  args: (_cluster, pod) => ['exec', pod, '--', 'ls'],
  shared: [/Forbidden/],
  ours: [/--reject-paths rule/, /exec/],
});

compare({
  name: '--reject-paths on logs and port-forward: kubectl logs names the rule',
  flags: ['--reject-paths=/log$,/portforward$'],
  kubeconfig: (_t, cluster) => cluster.kubeconfig('cert'),
  args: (_cluster, pod) => ['logs', pod],
  shared: [/Forbidden/],
  ours: [/Error from server \(Forbidden\): request rejected by kubegate's filter: path ".*\/log" matches --reject-paths rule/],
});

compare({
  name: '--reject-paths on logs and port-forward: kubectl port-forward names the rule',
  flags: ['--reject-paths=/log$,/portforward$'],
  kubeconfig: (_t, cluster) => cluster.kubeconfig('cert'),
  args: (_cluster, pod) => ['port-forward', pod, '0:80'],
  // kubectl proxy: `error upgrading connection: unable to upgrade connection: Forbidden`
  shared: [/error upgrading connection: /],
  ours: [/request rejected by kubegate's filter: path ".*\/portforward" matches --reject-paths rule "\/portforward\$"/],
});
