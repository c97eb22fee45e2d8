// The entry point: flags and environment in, one RestConfig out (kubeconfig files, merge, selection, in-cluster).

import { KubegateError } from '../errors.js';
import { inClusterPossible, inClusterRestConfig } from './in-cluster.js';
import { loadKubeconfigFiles } from './load.js';
import { mergeKubeconfigs } from './merge.js';
import { parseKubeconfig } from './parse.js';
import { resolveProxy } from './proxy.js';
import type { KubeconfigEnvironment, KubeconfigFlags, RestConfig } from './rest-config.js';
import { resolveRestConfig } from './resolve.js';
import { join } from 'node:path';

export async function loadRestConfig(
  flags: KubeconfigFlags,
  environment: KubeconfigEnvironment,
  options: { readonly appendServerPath: boolean },
): Promise<RestConfig> {
  const { files, searched } = loadKubeconfigFiles(flags.kubeconfig, environment);
  const parsed = files.map((file) => parseKubeconfig(file.text, file.path));
  const merged = mergeKubeconfigs(parsed);
  const empty = merged.clusters.size === 0 && merged.users.size === 0 && merged.contexts.size === 0 && merged.currentContext === '';

  // client-go falls back to the pod's service account only when the kubeconfig gave nothing.
  if (empty && !flags.kubeconfig && inClusterPossible(environment)) {
    return withProxyRoute(inClusterRestConfig(environment, flags), environment);
  }
  if (empty && !flags.server) {
    throw new KubegateError(
      'KG_ERR_NO_KUBECONFIG',
      [
        'no kubeconfig found, and not running in a pod. kubegate looked in:',
        ...searched.map((place) => `  - ${place}${files.some((f) => place.startsWith(f.path)) ? ' (empty)' : ' (not found)'}`),
        `  - ${join(environment.serviceAccountDir, 'token')} with KUBERNETES_SERVICE_HOST/PORT (in-cluster service account: not found)`,
        'Point kubegate at a cluster with --kubeconfig FILE, the KUBECONFIG variable, or -s/--server https://HOST:PORT (with --token or client-certificate flags).',
      ].join('\n'),
    );
  }
  const config = resolveRestConfig(merged, flags, environment, {
    appendServerPath: options.appendServerPath,
    loadedFrom: files.map((file) => file.path),
  });
  return withProxyRoute(config, environment);
}

/** The proxy decision, made once from the cluster's proxy-url and the environment (client-go's rules: kubeconfig/proxy.ts). */
function withProxyRoute(config: RestConfig, environment: KubeconfigEnvironment): RestConfig {
  return { ...config, proxy: resolveProxy(config.serverUrl, config.proxyUrl, environment.env) };
}
