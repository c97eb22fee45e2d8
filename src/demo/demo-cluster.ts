// The built-in demo cluster: PKI, the fake API server seeded with the learning scenario, and the nginx service's page.

import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startApiServer, type RunningApiServer } from './api-server.js';
import { createPki, type KeyPairPem } from './pki.js';
import { seedDemoCluster } from './seed.js';

export interface DemoCluster {
  readonly apiServer: RunningApiServer;
  /** A client certificate in group system:masters. */
  readonly adminCertificate: KeyPairPem;
  readonly podName: string;
  close(): Promise<void>;
}

const PAGE = `<!doctype html>
<html><head><title>Welcome to nginx (kubegate demo)</title></head>
<body><h1>Welcome to nginx!</h1>
<p>You reached the demo Service <code>default/nginx</code> through kubegate and the API server's service proxy.</p>
</body></html>
`;

export async function startDemoCluster(): Promise<DemoCluster> {
  const backend = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(PAGE) });
    response.end(PAGE);
  });
  backend.listen(0, '127.0.0.1');
  await once(backend, 'listening');
  const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  const pki = await createPki();
  const adminCertificate = await pki.ca.issueClientCertificate('kubernetes-admin', ['system:masters']);
  const apiServer = await startApiServer({ pki, proxyBackends: { 'default/nginx': backendUrl } });
  const { podName } = seedDemoCluster(apiServer.store);
  return {
    apiServer,
    adminCertificate,
    podName,
    async close() {
      backend.closeAllConnections();
      backend.close();
      await apiServer.close();
    },
  };
}
