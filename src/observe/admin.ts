// The opt-in admin listener (--admin-address): /healthz, /readyz and /metrics, never on the API port.

import { isIP } from 'node:net';
import { fastify, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Dispatcher } from 'undici';
import type { Credentials } from '../auth/credentials.js';
import { describeRemaining } from '../auth/expiry.js';
import { visibleText } from '../auth/plugin-output.js';
import { hostForFilter, type CompiledRule } from '../server/filter.js';
import type { Metrics } from './metrics.js';
import type { UpstreamTarget } from '../upstream/target.js';
import { absoluteTargetHost, requestFacts } from '../server/decide.js';
import { NO_SCHEMA_COMPILERS } from '../server/http-app.js';

/** How long a successful API server check counts as "answered recently". */
const FRESH_MS = 10_000;
const CHECK_TIMEOUT_MS = 3_000;
/**
 * How long a probe waits for a credential: a plugin may run for --exec-plugin-timeout (a minute by
 * default), far beyond any probe's timeout; the probe answers "not ready" instead and the run goes on.
 */
const CREDENTIAL_WAIT_MS = 3_000;

type CredentialCheck = { readonly authorization: string | undefined } | { readonly problem: string };

/** The Authorization value for the upstream check, or why there is none; never rejects, never waits long. */
async function checkCredentials(credentials: Credentials, waitMs: number): Promise<CredentialCheck> {
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<CredentialCheck>((resolve) => {
    timer = setTimeout(() => resolve({ problem: `no credential yet: it is still being fetched after ${waitMs / 1000}s (is an exec plugin waiting for a login?)` }), waitMs);
  });
  const fetched = (async (): Promise<CredentialCheck> => {
    try {
      return { authorization: await credentials.authorization() };
    } catch (error) {
      return { problem: `credentials are not usable: ${(error as Error).message}` };
    }
  })();
  try {
    return await Promise.race([fetched, slow]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ReadinessDependencies {
  readonly agent: Dispatcher;
  readonly target: UpstreamTarget;
  readonly credentials: Credentials;
  /** Milliseconds since the epoch; tests pass their own. */
  readonly now?: () => number;
  /** How long a probe waits for a credential being fetched (tests shorten it). */
  readonly credentialWaitMs?: number;
  /**
   * Credential files on disk that cannot be used right now (garbage, a mismatched key), while the last
   * good material keeps serving: shown on /readyz, not failing it, since requests still succeed.
   */
  readonly problems?: () => readonly string[];
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
    if (dependencies.target.tls) {
      const credential = await checkCredentials(dependencies.credentials, dependencies.credentialWaitMs ?? CREDENTIAL_WAIT_MS);
      if ('problem' in credential) reasons.push(credential.problem);
      else authorization = credential.authorization;
    }
    if (now() - lastAnswer > FRESH_MS) {
      inFlight ??= checkUpstream(authorization).finally(() => {
        inFlight = undefined;
      });
      await inFlight;
    }
    if (now() - lastAnswer > FRESH_MS) reasons.push(lastFailure);
    const details: string[] = (dependencies.problems?.() ?? []).map((problem) => `warning: ${problem}`);
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
  /** With --contexts: one context's readiness, by its URL form (`/readyz/NAME`); undefined for a name not served. */
  readonly readinessOf?: ((segment: string) => (() => Promise<Readiness>) | undefined) | undefined;
  /** The compiled --accept-hosts rules; undefined with --disable-filter (no Host check). */
  readonly acceptHosts: readonly CompiledRule[] | undefined;
  /** The --accept-hosts value, for the rejection message. */
  readonly acceptHostsFlag?: string;
}

/** An IP literal (`10.1.2.3`, `[fd00::1]`): what kubelet probes and Prometheus scrapes send as Host. */
function isIpLiteral(host: string): boolean {
  if (host.startsWith('[') && host.endsWith(']')) return isIP(host.slice(1, -1)) === 6;
  return isIP(host) === 4;
}

/**
 * The API port's Host rule (--accept-hosts), plus any IP literal. DNS rebinding needs a name the
 * attacker controls, so an IP-literal Host cannot be one; and kubelet's probes send `Host: <podIP>:9101`,
 * which no fixed pattern could list.
 */
export function adminHostAccepted(rules: readonly CompiledRule[], host: string): boolean {
  return isIpLiteral(host) || rules.some((rule) => rule.test(host));
}

function rejectHost(options: AdminOptions, request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  if (!options.acceptHosts) return undefined;
  const facts = requestFacts(request.raw);
  if ((facts.hostCount ?? 0) > 1) return reply.code(400).header('connection', 'close').type('text/plain').send('400 Bad Request');
  const host = hostForFilter(facts.host, absoluteTargetHost(request.raw.url ?? '/'));
  if (adminHostAccepted(options.acceptHosts, host)) return undefined;
  return reply
    .code(403)
    .type('text/plain')
    .send(
      `Host ${JSON.stringify(visibleText(host))} is not accepted on kubegate's admin listener: it is not an IP address and matches no --accept-hosts rule` +
        `${options.acceptHostsFlag !== undefined ? ` (${options.acceptHostsFlag || 'empty'})` : ''}; use the IP address, localhost, or widen --accept-hosts\n`,
    );
}

function sendReadiness(reply: FastifyReply, readiness: Readiness): FastifyReply {
  const details = readiness.details.map((detail) => `${detail}\n`).join('');
  if (readiness.ready) return reply.type('text/plain').send(`ok\n${details}`);
  return reply
    .code(503)
    .type('text/plain')
    .send(`not ready:\n${readiness.reasons.map((reason) => `- ${reason}`).join('\n')}\n${details}`);
}

export function buildAdminServer(options: AdminOptions): FastifyInstance {
  const app = fastify({ logger: false, schemaController: NO_SCHEMA_COMPILERS });
  // Before routing, so an unknown path with a foreign Host learns nothing either.
  app.addHook('onRequest', async (request, reply) => rejectHost(options, request, reply));
  app.get('/healthz', async (_request, reply) => reply.type('text/plain').send('ok\n'));
  app.get('/livez', async (_request, reply) => reply.type('text/plain').send('ok\n'));
  app.get('/readyz', async (_request, reply) => sendReadiness(reply, await options.readiness()));
  if (options.readinessOf) {
    const readinessOf = options.readinessOf;
    // The raw URL, matched byte for byte like /clusters/NAME/ (fastify would decode the parameter).
    app.get('/readyz/*', async (request, reply) => {
      const check = readinessOf((request.raw.url ?? '').split('?', 1)[0]?.slice('/readyz/'.length) ?? '');
      if (!check) return reply.code(404).type('text/plain').send('no such context is served; GET /readyz lists them all\n');
      return sendReadiness(reply, await check());
    });
  }
  app.get('/metrics', async (_request, reply) => {
    const body = await options.metrics.registry.metrics();
    return reply.type(options.metrics.registry.contentType).send(body);
  });
  return app;
}
