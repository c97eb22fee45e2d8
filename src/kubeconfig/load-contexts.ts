// --contexts / --all-contexts: one RestConfig per named context, each resolved exactly as `--context NAME` would resolve it.

import { isKubegateError, kubeconfigError, type KubegateError } from '../errors.js';
import { loadMergedKubeconfig, withProxyRoute } from './load-rest-config.js';
import type { KubeconfigEnvironment, KubeconfigFlags, RestConfig } from './rest-config.js';
import { resolveRestConfig } from './resolve.js';

/** Which contexts to serve: the names given, or every context the kubeconfig defines (in its order). */
export type ContextSelection = { readonly kind: 'named'; readonly names: readonly string[] } | { readonly kind: 'all' };

/** One served context: its configuration, or why its kubeconfig entry cannot be used. */
export type ContextConfig =
  | { readonly name: string; readonly namespace?: string; readonly restConfig: RestConfig }
  | { readonly name: string; readonly namespace?: string; readonly error: KubegateError };

/**
 * The kubeconfig files are read once; each context is then resolved as a single-context kubegate
 * started with `--context NAME` resolves it. A context the kubeconfig does not define stops start-up
 * (a typo); one whose entry is invalid (a missing cluster, unreadable PEM) is returned with its error,
 * so that it answers its own requests with it while the others serve.
 */
export function loadContextConfigs(
  selection: ContextSelection,
  flags: KubeconfigFlags,
  environment: KubeconfigEnvironment,
  options: { readonly appendServerPath: boolean },
): ContextConfig[] {
  const { files, searched, merged } = loadMergedKubeconfig(flags, environment);
  const where = files.length > 0 ? files.map((file) => file.path).join(', ') : `no kubeconfig file (looked in ${searched.join(', ')})`;
  const defined = [...merged.contexts.keys()];
  if (defined.length === 0) throw kubeconfigError(`--contexts and --all-contexts serve kubeconfig contexts, and ${where} defines none`);
  const names = selection.kind === 'all' ? defined : selection.names;
  for (const name of names) {
    if (!merged.contexts.has(name)) {
      throw kubeconfigError(`context ${JSON.stringify(name)} does not exist (in ${where}); it defines: ${defined.map((one) => JSON.stringify(one)).join(', ')}`);
    }
  }
  return names.map((name) => {
    const namespace = merged.contexts.get(name)?.namespace;
    const base = { name, ...(namespace ? { namespace } : {}) };
    try {
      const config = resolveRestConfig(merged, { ...flags, context: name }, environment, { appendServerPath: options.appendServerPath, loadedFrom: files.map((file) => file.path) });
      return { ...base, restConfig: withProxyRoute(config, environment) };
    } catch (error) {
      if (!isKubegateError(error)) throw error;
      return { ...base, error };
    }
  });
}
