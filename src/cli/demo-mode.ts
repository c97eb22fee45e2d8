// `kubegate --demo`: starts the built-in demo API server and a RestConfig that reaches it as an admin.

import { startDemoCluster } from '../demo-cluster/demo-cluster.js';
import type { RestConfig } from '../kubeconfig/rest-config.js';
import type { Logger } from '../log.js';

export interface RunningDemo {
  readonly restConfig: RestConfig;
  /** The identity kubegate presents to the demo server. */
  readonly userName: string;
  close(): Promise<void>;
}

export async function startDemo(logger: Logger, userName: string | undefined): Promise<RunningDemo> {
  const cluster = await startDemoCluster(userName);
  const server = cluster.apiServer.url;
  logger.warn(`DEMO MODE: proxying to the built-in, in-memory demo API server at ${server} (not a real cluster), as user "${cluster.user.name}"`);
  const restConfig: RestConfig = {
    server,
    serverUrl: new URL(server),
    tls: {
      ca: { kind: 'data', data: Buffer.from(cluster.apiServer.caPem), origin: 'the demo cluster' },
      insecureSkipTlsVerify: false,
    },
    auth: { kind: 'token', token: cluster.token },
    disableCompression: false,
    names: { context: 'demo', cluster: 'demo', user: cluster.user.name },
    loadedFrom: [],
    inCluster: false,
    warnings: [],
  };
  return { restConfig, userName: cluster.user.name, close: () => cluster.close() };
}

/** What to try once the demo listens: printed after the `Starting to serve on` line. */
export function demoInstructions(display: string, userName: string): string {
  const unix = !/^(\[[^\]]+\]|[^:]+):\d+$/.test(display);
  const base = unix ? 'http://localhost' : `http://${display.replace(/^\[::\]/, '127.0.0.1').replace(/^0\.0\.0\.0/, '127.0.0.1')}`;
  const curl = unix ? `curl --unix-socket ${display} ` : 'curl ';
  return [
    '',
    `DEMO: an in-memory Kubernetes API (not a real cluster); kubegate presents the user "${userName}". Try:`,
    `  ${curl}${base}/api/v1/namespaces/default/pods`,
    `  ${curl}${base}/api/v1/namespaces/default/services/nginx/proxy/`,
    `  ${curl}${base}/apis/apps/v1/namespaces/default/deployments/nginx`,
    ...(unix ? [] : [`  kubectl -s ${base} get pods`, `  kubectl -s ${base} port-forward svc/nginx 8080:80    # then: curl http://127.0.0.1:8080/`]),
    '  Run again with --demo-user default (no rights) or --demo-user demo-sa (may list pods) to watch RBAC answer',
    '  differently (through npm: npm run demo -- --demo-user default).',
    '  Or hand out less: add --policy config/policy-read-pods.yaml (an RBAC Role), then a kubectl delete is Forbidden.',
    '',
  ].join('\n');
}
