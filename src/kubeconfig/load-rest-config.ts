// The entry point: flags and environment in, one RestConfig out (kubeconfig files, merge, selection, in-cluster).

import { KubegateError } from '../errors.js';
import { inClusterPossible, inClusterRestConfig } from './in-cluster.js';
import { loadKubeconfigFiles, type KubeconfigFiles } from './load.js';
import { mergeKubeconfigs } from './merge.js';
import { parseKubeconfig } from './parse.js';
import { resolveProxy } from './proxy.js';
import type { KubeconfigEnvironment, KubeconfigFlags, RestConfig } from './rest-config.js';
import { resolveRestConfig } from './resolve.js';
import type { Kubeconfig } from './types.js';
import { join } from 'node:path';

export async function loadRestConfig(
  flags: KubeconfigFlags,
  environment: KubeconfigEnvironment,
  options: { readonly appendServerPath: boolean },
): Promise<RestConfig> {
  const { files, searched, merged } = loadMergedKubeconfig(flags, environment);
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

/** Every kubeconfig file client-go would read, parsed and merged (client-go's loading rules). */
export function loadMergedKubeconfig(flags: KubeconfigFlags, environment: KubeconfigEnvironment): KubeconfigFiles & { readonly merged: Kubeconfig } {
  const loaded = loadKubeconfigFiles(flags.kubeconfig, environment);
  return { ...loaded, merged: mergeKubeconfigs(loaded.files.map((file) => parseKubeconfig(file.text, file.path))) };
}

/** The proxy decision, made once from the cluster's proxy-url and the environment (client-go's rules: kubeconfig/proxy.ts). */
export function withProxyRoute(config: RestConfig, environment: KubeconfigEnvironment): RestConfig {
  return { ...config, proxy: resolveProxy(config.serverUrl, config.proxyUrl, environment.env) };
}
