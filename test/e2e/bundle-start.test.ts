// What a plain start evaluates of the bundle: the files kubegate.js imports statically (the chunks
// behind a dynamic import() load only when their feature is used). Pins the start-up work of issue 17
// without timing anything: which packages a start loads, and that V8 can keep their source in one
// byte a character.

import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KUBEGATE_BIN } from '../fixtures/processes.js';

/** kubegate.js and every chunk it reaches through static `import ... from "./chunks/x.js"` (not `import("...")`). */
function staticallyLoaded(entry: string): Map<string, string> {
  const loaded = new Map<string, string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (loaded.has(file)) continue;
    const text = readFileSync(file, 'utf8');
    loaded.set(file, text);
    for (const match of text.matchAll(/^(?:import|export)\s[^;]*?["'](\.{1,2}\/[^"']+\.js)["'];?$/gm)) {
      pending.push(join(dirname(file), match[1] as string));
    }
  }
  return loaded;
}

/** The packages (and kubegate folders) whose code a bundle file holds, from esbuild's `// node_modules/...` markers. */
function modulesIn(text: string): string[] {
  return [...text.matchAll(/^\/\/ ((?:node_modules|dist)\/\S+)$/gm)].map((match) => match[1] as string);
}

const loaded = staticallyLoaded(KUBEGATE_BIN);
const modules = [...loaded.values()].flatMap(modulesIn);

t.test('a plain start loads the proxy, not the features a plain start does not use', async (t) => {
  t.ok(modules.some((path) => path.startsWith('node_modules/undici/lib/dispatcher/agent.js')), `${loaded.size} files, ${modules.length} modules`);
  t.ok(modules.some((path) => path.startsWith('node_modules/fastify/')), 'fastify is there');
  const lazy: readonly [string, string][] = [
    ['node_modules/undici/index.js', "undici's index (all of undici: fetch, WebSocket, caches, mocks)"],
    ['node_modules/undici/lib/web/websocket/', "undici's WebSocket"],
    ['node_modules/undici/lib/mock/', "undici's mocks"],
    ['node_modules/socks/', 'socks (SOCKS proxies only)'],
    ['node_modules/prom-client/', 'prom-client (--admin-address only)'],
    ['node_modules/pino-pretty/', 'pino-pretty (--log-format=text only)'],
    ['node_modules/@peculiar/', 'the demo PKI (--demo only)'],
    ['dist/src/demo-cluster/', 'the demo cluster (--demo only)'],
  ];
  for (const [prefix, what] of lazy) {
    t.same(modules.filter((path) => path.startsWith(prefix)), [], `not loaded at start: ${what}`);
  }
});

t.test("every file a plain start loads is Latin-1: V8 holds a source with any other character in two bytes a character", async (t) => {
  for (const [file, text] of loaded) {
    const offending = [...text].find((character) => (character.codePointAt(0) ?? 0) > 0xff);
    t.equal(offending, undefined, `${file.slice(dirname(KUBEGATE_BIN).length + 1)}: ${text.length} characters`);
  }
});
