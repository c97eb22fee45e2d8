// The built-in demo cluster: PKI, the fake API server seeded with the learning scenario, and the nginx service's page.

import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { startApiServer, type RunningApiServer } from './api-server.js';
import type { UserInfo } from './authn.js';
import { createPki } from './pki.js';
import { seedDemoCluster } from './seed.js';

export interface DemoCluster {
  readonly apiServer: RunningApiServer;
  /** The identity kubegate presents, and the bearer token the demo server knows it by. */
  readonly user: UserInfo;
  readonly token: string;
  readonly podName: string;
  close(): Promise<void>;
}

export const DEMO_ADMIN = 'kubernetes-admin';

/**
 * The identity for `--demo-user NAME`: `admin` (or kubernetes-admin) is in system:masters; a service
 * account name (`system:serviceaccount:NS:NAME`, or just `default` / `demo-sa`) gets its groups as
 * kube-apiserver gives them; any other name is a plain authenticated user with no rights of its own.
 */
export function demoIdentity(name: string): UserInfo {
  if (name === 'admin' || name === DEMO_ADMIN) return { name: DEMO_ADMIN, groups: ['system:masters', 'system:authenticated'] };
  const short = name === 'default' || name === 'demo-sa' ? `system:serviceaccount:default:${name}` : name;
  const serviceAccount = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(short);
  if (serviceAccount) {
    return { name: short, groups: ['system:serviceaccounts', `system:serviceaccounts:${serviceAccount[1] ?? ''}`, 'system:authenticated'] };
  }
  return { name: short, groups: ['system:authenticated'] };
}

const PAGE = `<!doctype html>
<html><head><title>Welcome to nginx (kubegate demo)</title></head>
<body><h1>Welcome to nginx!</h1>
<p>You reached the demo's nginx through kubegate (the API server's service proxy, or kubectl port-forward to its pod).</p>
</body></html>
`;

export async function startDemoCluster(userName: string = DEMO_ADMIN): Promise<DemoCluster> {
  const backend = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(PAGE) });
    response.end(PAGE);
  });
  backend.listen(0, '127.0.0.1');
  await once(backend, 'listening');
  const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  const pki = await createPki();
  const user = demoIdentity(userName);
  // A fresh random token per run: the demo has no fixed secret anyone could reuse.
  const token = `demo-${randomBytes(24).toString('base64url')}`;
  const apiServer = await startApiServer({ pki, proxyBackends: { 'default/nginx': backendUrl }, tokens: { [token]: user }, rbac: true, requestLogLimit: 1_000 });
  const { podName } = seedDemoCluster(apiServer.store);
  return {
    apiServer,
    user,
    token,
    podName,
    async close() {
      backend.closeAllConnections();
      backend.close();
      await apiServer.close();
    },
  };
}
