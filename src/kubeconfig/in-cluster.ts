// A pod's service-account configuration (client-go rest.InClusterConfig), used when there is no kubeconfig.

import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { kubeconfigError } from '../errors.js';
import { resolveImpersonation } from './impersonation.js';
import type { KubeconfigEnvironment, KubeconfigFlags, RestConfig } from './rest-config.js';

/** client-go's Possible(): both service variables set and a token file (not a directory) present. */
export function inClusterPossible(environment: KubeconfigEnvironment): boolean {
  const { KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: port } = environment.env;
  if (!host || !port) return false;
  try {
    return !statSync(join(environment.serviceAccountDir, 'token')).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The token is read from its file by the credential source (and re-read when the kubelet rotates
 * it). --server, --token and --certificate-authority replace the pod's values (client-go's
 * inClusterClientConfig); --as, --as-group and --as-uid apply too, as kubectl has done since
 * kubernetes/kubernetes#122532 (client configuration flags with in-cluster configuration).
 */
export function inClusterRestConfig(environment: KubeconfigEnvironment, flags: KubeconfigFlags): RestConfig {
  const host = environment.env.KUBERNETES_SERVICE_HOST as string;
  const port = environment.env.KUBERNETES_SERVICE_PORT as string;
  const server = flags.server || `https://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const warnings: string[] = [];
  const caPath = flags.certificateAuthority || join(environment.serviceAccountDir, 'ca.crt');
  let caUsable = false;
  try {
    createSecureContext({ ca: readFileSync(caPath) });
    caUsable = true;
  } catch (error) {
    warnings.push(`Expected to load root CA config from ${caPath}, but got err: ${(error as Error).message}; using the system roots`);
  }
  const { impersonate, error } = resolveImpersonation(flags, 'the in-cluster service account');
  if (error !== undefined) throw kubeconfigError(error);
  return {
    server,
    serverUrl: new URL(server),
    tls: { ...(caUsable ? { ca: { kind: 'file' as const, path: caPath } } : {}), insecureSkipTlsVerify: false },
    auth: flags.token ? { kind: 'token', token: flags.token } : { kind: 'token-file', path: join(environment.serviceAccountDir, 'token') },
    ...(impersonate ? { impersonate } : {}),
    disableCompression: false,
    names: { context: '', cluster: 'in-cluster', user: 'service-account' },
    loadedFrom: [],
    inCluster: true,
    warnings,
  };
}
