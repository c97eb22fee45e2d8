// kubegate's version, read from its own package.json (wherever the build put this file).

import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  // Walk up from this file (dist/src/cli/version.js, the bundle, or a test build) to kubegate's package.json.
  let directory = new URL('.', import.meta.url);
  for (let depth = 0; depth < 6; depth++) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(new URL('package.json', directory), 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && 'name' in parsed && parsed.name === 'kubegate' && 'version' in parsed) {
        return String(parsed.version);
      }
    } catch {
      // not here; try the parent
    }
    directory = new URL('..', directory);
  }
  return 'unknown';
}
