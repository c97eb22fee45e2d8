// What a plain start evaluates of the bundle: the files kubegate.js imports statically (the chunks
// behind a dynamic import() load only when their feature is used). Pins the start-up work of issue 17
// without timing anything: which packages a start loads, and that V8 can keep their source in one
// byte a character.

import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bundleFiles, type BundleFile } from '../fixtures/bundle-meta.js';
import { repoRoot } from '../fixtures/paths.js';
import { KUBEGATE_BIN } from '../fixtures/processes.js';
import { sourceFiles } from '../fixtures/source-tree.js';

/** kubegate.js and every bundle file it reaches through static imports (not `import("...")`). */
function staticallyLoaded(files: readonly BundleFile[]): BundleFile[] {
  const byName = new Map(files.map((file) => [file.name, file]));
  const loaded = new Map<string, BundleFile>();
  const pending = ['kubegate.js'];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    const file = byName.get(name);
    if (file === undefined || loaded.has(name)) continue;
    loaded.set(name, file);
    pending.push(...file.staticImports);
  }
  return [...loaded.values()];
}

const loaded = staticallyLoaded(bundleFiles());
const modules = loaded.flatMap((file) => file.inputs);

t.test('a plain start loads the proxy, not the features a plain start does not use', async (t) => {
  t.ok(modules.includes('node_modules/undici/lib/dispatcher/agent.js'), `${loaded.length} files, ${modules.length} modules`);
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
    ['node_modules/@fastify/send/', '@fastify/send and its MIME table (--www only)'],
    ['node_modules/mime/', "the MIME table (--www only)"],
  ];
  for (const [prefix, what] of lazy) {
    t.same(modules.filter((path) => path.startsWith(prefix)), [], `not loaded at start: ${what}`);
  }
});

t.test("every file a plain start loads is Latin-1: V8 holds a source with any other character in two bytes a character", async (t) => {
  for (const file of loaded) {
    const text = readFileSync(join(dirname(KUBEGATE_BIN), file.name), 'utf8');
    const offending = [...text].find((character) => (character.codePointAt(0) ?? 0) > 0xff);
    t.equal(offending, undefined, `${file.name}: ${text.length} characters`);
  }
});

t.test('fastify\'s schema compilers and inject() are not bundled: src/ never uses them (a start would fail to find them)', async (t) => {
  const everything = bundleFiles().flatMap((file) => file.inputs);
  for (const left of ['node_modules/@fastify/ajv-compiler/', 'node_modules/@fastify/fast-json-stringify-compiler/', 'node_modules/light-my-request/', 'node_modules/ajv/']) {
    t.same(everything.filter((path) => path.startsWith(left)), [], `${left} is not in the bundle`);
  }
  const fastifyUsers = sourceFiles().filter((file) => /from 'fastify'/.test(file.text));
  t.ok(fastifyUsers.length >= 2, `${fastifyUsers.length} files of src/ import fastify`);
  t.same(fastifyUsers.filter((file) => /\.inject\(/.test(file.text)).map((file) => file.path), [], "none calls fastify's inject()");
  t.same(fastifyUsers.filter((file) => /\bschema:/.test(file.text)).map((file) => file.path), [], 'none declares a route schema');
  t.match(readFileSync(join(repoRoot, 'src', 'server', 'http-app.ts'), 'utf8'), /schemaController: NO_SCHEMA_COMPILERS/, 'the API app is built without compilers');
  t.match(readFileSync(join(repoRoot, 'src', 'observe', 'admin.ts'), 'utf8'), /schemaController: NO_SCHEMA_COMPILERS/, 'the admin app too');
});
