// --contexts on the admin listener: /readyz is ready when every served context is; /readyz/NAME answers for one.

import type { Readiness } from './admin.js';

export interface ContextReadiness {
  readonly name: string;
  readonly check: () => Promise<Readiness>;
}

/** Every context checked at once; each reason and detail names its context. */
export function combineReadiness(contexts: readonly ContextReadiness[]): () => Promise<Readiness> {
  return async () => {
    const results = await Promise.all(contexts.map(async (context) => ({ name: context.name, readiness: await context.check() })));
    const reasons = results.flatMap(({ name, readiness }) => readiness.reasons.map((reason) => `context ${JSON.stringify(name)}: ${reason}`));
    const details = results.flatMap(({ name, readiness }) => [
      `context ${JSON.stringify(name)}: ${readiness.ready ? 'ready' : 'not ready'}`,
      ...readiness.details.map((detail) => `context ${JSON.stringify(name)}: ${detail}`),
    ]);
    return { ready: reasons.length === 0, reasons, details };
  };
}

/** A context that cannot be served is never ready, and says why. */
export function unusableReadiness(message: string): () => Promise<Readiness> {
  return async () => ({ ready: false, reasons: [message], details: [] });
}
