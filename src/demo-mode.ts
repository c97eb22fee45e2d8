// `kubegate --demo`: starts the built-in demo API server and a RestConfig that reaches it as an admin.

import { startDemoCluster } from './demo/demo-cluster.js';
import type { RestConfig } from './kubeconfig/rest-config.js';
import type { Logger } from './log.js';

export interface RunningDemo {
  readonly restConfig: RestConfig;
  close(): Promise<void>;
}

export async function startDemo(logger: Logger): Promise<RunningDemo> {
  const cluster = await startDemoCluster();
  const server = cluster.apiServer.url;
  logger.warn(`DEMO MODE: proxying to the built-in, in-memory demo API server at ${server} (not a real cluster)`);
  const restConfig: RestConfig = {
    server,
    serverUrl: new URL(server),
    tls: {
      ca: { kind: 'data', data: Buffer.from(cluster.apiServer.caPem), origin: 'the demo cluster' },
      insecureSkipTlsVerify: false,
      clientCertificate: {
        cert: { kind: 'data', data: Buffer.from(cluster.adminCertificate.certPem), origin: 'the demo admin' },
        key: { kind: 'data', data: Buffer.from(cluster.adminCertificate.keyPem), origin: 'the demo admin' },
      },
    },
    auth: { kind: 'none' },
    disableCompression: false,
    names: { context: 'demo', cluster: 'demo', user: 'demo-admin' },
    loadedFrom: [],
    inCluster: false,
    warnings: [],
  };
  return { restConfig, close: () => cluster.close() };
}
