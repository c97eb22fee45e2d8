// Merges several kubeconfigs with client-go's rules: the first file to define a name wins the whole entry.

import { EMPTY_KUBECONFIG, type Kubeconfig } from './types.js';

function mergeMaps<T>(maps: readonly ReadonlyMap<string, T>[]): Map<string, T> {
  const merged = new Map<string, T>();
  for (const map of maps) {
    for (const [name, entry] of map) if (!merged.has(name)) merged.set(name, entry);
  }
  return merged;
}

/** Entries are never merged field by field; the first non-empty current-context wins (loader.go Load). */
export function mergeKubeconfigs(configs: readonly Kubeconfig[]): Kubeconfig {
  if (configs.length === 0) return EMPTY_KUBECONFIG;
  return {
    clusters: mergeMaps(configs.map((config) => config.clusters)),
    users: mergeMaps(configs.map((config) => config.users)),
    contexts: mergeMaps(configs.map((config) => config.contexts)),
    currentContext: configs.find((config) => config.currentContext !== '')?.currentContext ?? '',
  };
}
