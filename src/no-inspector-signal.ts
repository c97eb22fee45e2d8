// Keeps SIGUSR1 from opening Node's inspector: imported first by bin.ts, before anything else loads.

/**
 * Node opens an unauthenticated inspector on 127.0.0.1:9229 when it gets SIGUSR1, and any local
 * process of the same user (or root) can then read kubegate's credentials out of its memory
 * (kubegate issue 13). A JavaScript listener replaces Node's own SIGUSR1 handler, so the signal does
 * nothing at all; Node 20 has no --disable-sigusr1 (added in 22.14/23.7), and the bundle is started as
 * `node kubegate.js` by the shebang and the container alike, so no flag could be relied on anyway.
 */
export function ignoreInspectorSignal(): void {
  process.on('SIGUSR1', () => {});
}

ignoreInspectorSignal();
