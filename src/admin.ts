// The opt-in admin listener (--admin-address): /healthz, /readyz and /metrics, never on the API port.

import { fastify, type FastifyInstance } from 'fastify';
import type { Dispatcher } from 'undici';
import type { Credentials } from './auth/credentials.js';
import { describeRemaining } from './auth/expiry.js';
import type { Metrics } from './metrics.js';
import type { UpstreamTarget } from './proxy/upstream.js';

/** How long a successful API server check counts as "answered recently". */
const FRESH_MS = 10_000;
const CHECK_TIMEOUT_MS = 3_000;

export interface ReadinessDependencies {
  readonly agent: Dispatcher;
  readonly target: UpstreamTarget;
  readonly credentials: Credentials;
  /** Milliseconds since the epoch; tests pass their own. */
  readonly now?: () => number;
}

export interface Readiness {
  readonly ready: boolean;
  readonly reasons: readonly string[];
  /** Facts worth showing either way (time to credential expiry). */
  readonly details: readonly string[];
}

/**
 * Ready means: a credential can be produced now, and the API server answered `/readyz` (any HTTP
 * answer counts: 401/403 still prove it is reachable) within the last few seconds. A fresh check
 * runs when the last one is stale; concurrent probes share it.
 */
export function createReadinessCheck(dependencies: ReadinessDependencies): () => Promise<Readiness> {
  const now = dependencies.now ?? Date.now;
  let lastAnswer = 0;
  let lastFailure = 'the API server has not been checked yet';
  let inFlight: Promise<void> | undefined;

  const checkUpstream = async (authorization: string | undefined): Promise<void> => {
    const headers: Record<string, string> = { host: dependencies.target.host };
    if (authorization) headers.authorization = authorization;
    try {
      const answer = await dependencies.agent.request({
        origin: dependencies.target.origin,
        path: `${dependencies.target.basePath}/readyz`,
        method: 'GET',
        headers,
        headersTimeout: CHECK_TIMEOUT_MS,
        bodyTimeout: CHECK_TIMEOUT_MS,
      });
      await answer.body.dump();
      lastAnswer = now();
    } catch (error) {
      lastFailure = `the API server at ${dependencies.target.origin} did not answer: ${(error as Error).message}`;
    }
  };

  return async () => {
    const reasons: string[] = [];
    let authorization: string | undefined;
    try {
      const value = dependencies.target.tls ? await dependencies.credentials.authorization() : undefined;
      authorization = value;
    } catch (error) {
      reasons.push(`credentials are not usable: ${(error as Error).message}`);
    }
    if (now() - lastAnswer > FRESH_MS) {
      inFlight ??= checkUpstream(authorization).finally(() => {
        inFlight = undefined;
      });
      await inFlight;
    }
    if (now() - lastAnswer > FRESH_MS) reasons.push(lastFailure);
    const details: string[] = [];
    const expiresAt = dependencies.credentials.expiresAt();
    if (expiresAt !== undefined) {
      const when = `${describeRemaining(expiresAt, now())} (${new Date(expiresAt).toISOString()})`;
      if (expiresAt <= now()) reasons.push(`the credential expired ${when}`);
      else details.push(`credential expires ${when}`);
    }
    return { ready: reasons.length === 0, reasons, details };
  };
}

export interface AdminOptions {
  readonly metrics: Metrics;
  readonly readiness: () => Promise<Readiness>;
}

export function buildAdminServer(options: AdminOptions): FastifyInstance {
  const app = fastify({ logger: false });
  app.get('/healthz', async (_request, reply) => reply.type('text/plain').send('ok\n'));
  app.get('/livez', async (_request, reply) => reply.type('text/plain').send('ok\n'));
  app.get('/readyz', async (_request, reply) => {
    const readiness = await options.readiness();
    const details = readiness.details.map((detail) => `${detail}\n`).join('');
    if (readiness.ready) return reply.type('text/plain').send(`ok\n${details}`);
    return reply
      .code(503)
      .type('text/plain')
      .send(`not ready:\n${readiness.reasons.map((reason) => `- ${reason}`).join('\n')}\n${details}`);
  });
  app.get('/metrics', async (_request, reply) => {
    const body = await options.metrics.registry.metrics();
    return reply.type(options.metrics.registry.contentType).send(body);
  });
  return app;
}
