// --contexts / --all-contexts: several kubeconfig contexts (or demo clusters) served under /clusters/NAME/ on one listener.

import { writeFileSync } from 'node:fs';
import { createCredentials } from '../auth/create-credentials.js';
import type { Credentials } from '../auth/credentials.js';
import { fileError, usageError } from '../errors.js';
import { loadContextConfigs, type ContextConfig } from '../kubeconfig/load-contexts.js';
import { formatProxyKubeconfig } from '../kubeconfig/proxy-kubeconfig.js';
import type { Logger } from '../log.js';
import type { createReadinessCheck } from '../observe/admin.js';
import { combineReadiness, unusableReadiness } from '../observe/context-readiness.js';
import type { ResolvedOptions } from '../options/complete.js';
import { proxyNotice, startupWarnings, type BoundAddresses } from '../options/startup-warnings.js';
import { buildContextServer, type ContextServer, type ContextSource, type LiveContext } from '../server/build-context-server.js';
import { CLUSTERS_PATH, contextPath, contextSegment, unservableName } from '../server/context-path.js';
import type { Listening } from '../server/listen.js';
import { credentialOptions, warnAboutPolicyNames, type PrepareContext, type Serving } from './serving.js';

/** Loads every context, builds one upstream per usable one, and says how to serve them. */
export async function prepareContexts(options: ResolvedOptions, context: PrepareContext): Promise<Serving> {
  const { logger, metrics, userAgent } = context;
  const configs = options.demo ? await startDemos(options, context) : loadConfigs(options, context);
  for (const config of configs) {
    const why = unservableName(config.name);
    if (why !== undefined) throw usageError(why);
  }
  const sources = configs.map((config) => contextSource(options, context, config));
  const roles = options.server.decision.policy?.roles;
  const server = buildContextServer(options.server, {
    contexts: sources,
    logger,
    userAgent,
    ...(context.recorder ? { recorder: context.recorder } : {}),
    ...(metrics ? { metrics, metricsFor: (name: string) => metrics.forContext(name) } : {}),
    // --policy: each context's discovery is checked for the file's names on its first use, in the background.
    ...(roles
      ? {
          onFirstUse: (live: LiveContext) => {
            if ('error' in live.source || live.upstream === undefined) return;
            warnAboutPolicyNames(roles, live.upstream, live.source.credentials, options.verbosity, logger.child({ context: live.name }), userAgent);
          },
        }
      : {}),
  });
  return {
    server,
    readiness: (create) => contextReadiness(server, create),
    warnings: (bound) => contextWarnings(options, configs, bound),
    readyFields: { contexts: configs.map((config) => config.name) },
    afterListening: (display) => servedLines(display, configs, options.demo),
    ...(options.multi.printKubeconfig !== undefined ? { onListening: (listening: Listening) => printKubeconfig(options.multi.printKubeconfig as string, listening, configs, logger) } : {}),
  };
}

function loadConfigs(options: ResolvedOptions, context: PrepareContext): ContextConfig[] {
  const { io } = context;
  const environment = { env: io.env, homedir: io.homedir, cwd: io.cwd, serviceAccountDir: options.serviceAccountDir };
  return loadContextConfigs(options.multi.contexts ?? { kind: 'all' }, options.kubeconfig, environment, { appendServerPath: options.appendServerPath });
}

/** `--demo --contexts=a,b`: one in-memory demo cluster per name, each with its own CA and token. */
async function startDemos(options: ResolvedOptions, context: PrepareContext): Promise<ContextConfig[]> {
  const { startDemo } = await import('./demo-mode.js');
  const names = options.multi.contexts?.kind === 'named' ? options.multi.contexts.names : [];
  const configs: ContextConfig[] = [];
  for (const name of names) {
    const demo = await startDemo(context.logger.child({ context: name }), options.demoUser);
    context.cleanups.push(() => demo.close());
    configs.push({ name, restConfig: { ...demo.restConfig, names: { ...demo.restConfig.names, context: name } } });
  }
  return configs;
}

/** A usable context gets its own credential source (exec plugins run on its first request); an unusable one keeps its error. */
function contextSource(options: ResolvedOptions, context: PrepareContext, config: ContextConfig): ContextSource {
  const log = context.logger.child({ context: config.name });
  if ('error' in config) {
    log.warn(`context ${JSON.stringify(config.name)} cannot be served; its requests are answered with this error, the other contexts serve: ${config.error.message}`);
    return { name: config.name, error: config.error };
  }
  const viaProxy = proxyNotice(config.restConfig);
  if (viaProxy !== undefined) log.info(`context ${JSON.stringify(config.name)}: ${viaProxy}`);
  const metrics = context.metrics?.forContext(config.name);
  return { name: config.name, restConfig: config.restConfig, credentials: createCredentials(config.restConfig, credentialOptions(options, context, log, metrics)) };
}

/**
 * Per context, the single-context check; an exec plugin or OIDC login is not started by a probe
 * before the context's first request (the API server is then checked without a credential).
 */
function contextReadiness(server: ContextServer, create: typeof createReadinessCheck): ReturnType<Serving['readiness']> {
  const checks = server.contexts.map((live) => ({ name: live.name, check: checkFor(live, create) }));
  const bySegment = new Map(checks.map((check) => [contextSegment(check.name), check.check] as const));
  return { readiness: combineReadiness(checks), readinessOf: (segment) => bySegment.get(segment) };
}

function checkFor(live: LiveContext, create: typeof createReadinessCheck): ReturnType<typeof createReadinessCheck> {
  const source = live.source;
  if ('error' in source || live.upstream === undefined) return unusableReadiness('error' in source ? source.error.message : 'no upstream');
  const credentials = source.credentials;
  const lazy: Credentials = {
    authorization: () => (live.used() || credentials.inHand() ? credentials.authorization() : undefined),
    clientCertificate: () => credentials.clientCertificate(),
    certificateAuthority: () => credentials.certificateAuthority(),
    expiresAt: () => credentials.expiresAt(),
    invalidate: () => credentials.invalidate(),
    certificateRejected: () => credentials.certificateRejected(),
    recheck: () => credentials.recheck(),
    close: () => credentials.close(),
  };
  return create({ agent: live.upstream.agent, target: live.upstream.target, credentials: lazy, problems: () => credentials.problems() });
}

/** A warning every context shares is printed once; one that only some have names them. */
function contextWarnings(options: ResolvedOptions, configs: readonly ContextConfig[], bound: BoundAddresses): string[] {
  const usable = configs.flatMap((config) => ('restConfig' in config ? [config] : []));
  const lists = usable.map((config) => ({ name: config.name, warnings: startupWarnings(options, config.restConfig, bound) }));
  const shared = lists[0]?.warnings.filter((warning) => lists.every((list) => list.warnings.includes(warning))) ?? [];
  const own = lists.flatMap((list) => list.warnings.filter((warning) => !shared.includes(warning)).map((warning) => `context ${JSON.stringify(list.name)}: ${warning}`));
  return [...shared, ...own];
}

/** kubegate's base URL for kubectl: a wildcard address is reached on loopback. */
function baseUrl(display: string): string {
  const host = display.replace(/^\[::\]/, '[::1]').replace(/^0\.0\.0\.0/, '127.0.0.1');
  return `http://${host}`;
}

/** Printed after `Starting to serve on`: where each context lives. */
function servedLines(display: string, configs: readonly ContextConfig[], demo: boolean): string {
  const tcp = /^(\[[^\]]+\]|[^:]+):\d+$/.test(display);
  // On a unix socket the paths alone (curl --unix-socket SOCKET http://localhost/clusters/NAME/...).
  const base = tcp ? baseUrl(display) : '';
  const lines = configs.map((config) => `  ${JSON.stringify(config.name)}: ${base}${contextPath(config.name)}/${'error' in config ? '  (cannot be served: see the warning above)' : ''}`);
  const example = configs[0] && tcp ? [`Try: curl ${base}${CLUSTERS_PATH}  or  kubectl -s ${base}${contextPath(configs[0].name)} get pods`] : [];
  return [`${demo ? 'DEMO: in-memory demo clusters (not real clusters), ' : ''}serving ${configs.length} contexts:`, ...lines, ...example, ''].join('\n');
}

/** --print-kubeconfig: written once the port is known, before the start-up lines (so a script reading them finds the file). */
async function printKubeconfig(path: string, listening: Listening, configs: readonly ContextConfig[], logger: Logger): Promise<void> {
  const origin = baseUrl(listening.display);
  const text = formatProxyKubeconfig(
    configs.map((config) => ({ name: config.name, server: `${origin}${contextPath(config.name)}`, ...(config.namespace ? { namespace: config.namespace } : {}) })),
    origin,
  );
  try {
    writeFileSync(path, text);
  } catch (error) {
    throw fileError(`cannot write --print-kubeconfig ${path}: ${(error as Error).message}`, error);
  }
  logger.info({ path }, `wrote a kubeconfig for the ${configs.length} served contexts to ${path}`);
}
