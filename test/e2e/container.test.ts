import t from 'tap';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { FLAG_TABLE as FLAG_SPECS, flagsToOptions } from '../../src/options/flag-table.js';
import { acceptRequest, compileFilter } from '../../src/server/filter.js';
import { parseFlags } from '../../src/cli/parse-flags.js';
import { completeOptions } from '../../src/options/complete.js';
import { seedDemoCluster } from '../../src/demo-cluster/seed.js';
import { startTestCluster, SECRETS } from '../fixtures/cluster.js';
import { bundleFiles, packageOf } from '../fixtures/bundle-meta.js';
import { repoRoot } from '../fixtures/paths.js';
import { freePort, requireKubectl, runCommand, startKubegate } from '../fixtures/processes.js';

// No container engine runs on CI machines: these tests replay the Dockerfile's runtime stage in a clean directory
// and check the Kubernetes manifests in config/ with kubegate's own flag parser and `kubectl apply --dry-run=client`.

interface Stage {
  readonly name: string;
  readonly from: string;
  readonly lines: readonly string[];
}

function dockerfileStages(): Stage[] {
  const stages: { name: string; from: string; lines: string[] }[] = [];
  for (const line of readFileSync(join(repoRoot, 'Dockerfile'), 'utf8').split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(trimmed);
    if (from) stages.push({ from: from[1] as string, name: from[2] ?? `stage-${stages.length}`, lines: [] });
    else stages.at(-1)?.lines.push(trimmed);
  }
  return stages;
}

t.test('the Dockerfile: multi-stage, the bundled build only, non-root, sidecar defaults', async (t) => {
  const stages = dockerfileStages();
  t.ok(stages.length >= 2, 'a build stage and a runtime stage');
  const build = stages[0] as Stage;
  t.ok(build.lines.includes('RUN npm run build'), "the build stage runs the project's own build (tsc, then the bundle)");
  const runtime = stages.at(-1) as Stage;
  t.match(runtime.from, /distroless\/nodejs20/, 'a distroless Node 20 runtime (no shell, no package manager)');
  t.ok(runtime.lines.some((line) => /^USER\s+65532/.test(line)), 'runs as a non-root user');
  t.notOk(runtime.lines.some((line) => /^RUN\b/.test(line)), 'the runtime stage runs nothing at build time');
  t.same(
    runtime.lines.filter((line) => line.startsWith('COPY')),
    ['COPY --from=build /app/package.json ./package.json', 'COPY --from=build /app/dist/bundle ./dist/bundle'],
    'only the bundle and package.json reach the image: no node_modules, so no dev dependency either',
  );
  const entrypoint = JSON.parse((runtime.lines.find((line) => line.startsWith('ENTRYPOINT')) ?? '').slice('ENTRYPOINT'.length)) as string[];
  t.same(entrypoint, ['/nodejs/bin/node', '--max-semi-space-size=2', '/app/dist/bundle/kubegate.js'], 'node with a small young generation (a sidecar), then the bundle');
  const cmd = JSON.parse((runtime.lines.find((line) => line.startsWith('CMD')) ?? '').slice('CMD'.length)) as string[];
  const options = completeOptions(flagsToOptions(parseFlags(cmd, FLAG_SPECS).values).proxy, {}, '/app');
  t.same(options.listen, { kind: 'tcp', host: '127.0.0.1', port: 8001 }, 'the API port is loopback-only by default');
  t.equal(options.logFormat, 'json');
  t.same(options.adminAddress, { kind: 'tcp', host: '0.0.0.0', port: 9101 }, 'probes reach the admin listener');
});

interface LockedPackage {
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

/** Node's lookup of `name` from the package at lock path `from`: its own node_modules, then each one above. */
function resolveLocked(packages: Record<string, LockedPackage>, from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
    const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (dir === '') return undefined;
  }
}

/**
 * The packages src/ imports and everything they depend on, from package-lock.json. Every package is a
 * devDependency (the bundle carries them, so the installed package has none), so npm's dev/production
 * split cannot tell runtime code from build and test tools: what src/ reaches can.
 */
function runtimePackages(): Set<string> {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockedPackage> };
  const sources = readdirSync(join(repoRoot, 'src'), { recursive: true }).map(String).filter((file) => file.endsWith('.ts'));
  const imported = sources.flatMap((file) =>
    [...readFileSync(join(repoRoot, 'src', file), 'utf8').matchAll(/(?:from|import)\s*\(?\s*'((?:@[^/']+\/)?[^/.'][^/']*)/g)].map((match) => match[1] as string),
  );
  const queue = [...new Set(imported.filter((name) => !name.startsWith('node:')))].map((name) => resolveLocked(lock.packages, '', name));
  const seen = new Set<string>();
  while (queue.length > 0) {
    const path = queue.pop();
    if (path === undefined || seen.has(path)) continue;
    seen.add(path);
    const entry = lock.packages[path] ?? {};
    const names = Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies });
    queue.push(...names.map((name) => resolveLocked(lock.packages, path, name)));
  }
  return new Set([...seen].map((path) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)));
}

t.test('the bundle holds runtime code only: every package it was built from is one src/ imports or one they need', async (t) => {
  const runtime = runtimePackages();
  t.ok(runtime.has('fastify') && runtime.has('undici') && runtime.has('thread-stream'), `${runtime.size} runtime packages`);
  // esbuild's metafile names every source file it put in each bundle file.
  const bundled = new Set(bundleFiles().flatMap((file) => file.inputs.map(packageOf).filter((name): name is string => name !== undefined)));
  t.ok(bundled.has('fastify') && bundled.has('undici') && bundled.has('pino'), `${bundled.size} packages in the bundle`);
  t.same([...bundled].filter((name) => !runtime.has(name)), [], 'none of them is a build or test tool');
  for (const dev of ['typescript', 'tap', 'esbuild', 'fast-check', 'autocannon']) {
    t.notOk(bundled.has(dev), `${dev} is not in the bundle`);
    t.notOk(runtime.has(dev), `${dev} is not reached from src/`);
  }
});

t.test("replaying the runtime stage: the bundle alone, with no node_modules anywhere, starts and proxies", async (t) => {
  const runtime = dockerfileStages().at(-1) as Stage;
  const app = mkdtempSync(join(tmpdir(), 'kubegate-image-'));
  t.teardown(() => rmSync(app, { recursive: true, force: true }));
  t.notOk(existsSync(join(tmpdir(), 'node_modules')) || existsSync('/node_modules'), 'no node_modules above the image directory');
  // COPY --from=build /app/<from> ./<to>, with npm test's own build as the build stage's output.
  for (const line of runtime.lines.filter((entry) => entry.startsWith('COPY --from=build /app/'))) {
    const [from = '', to = ''] = line.slice('COPY --from=build /app/'.length).split(/\s+/);
    cpSync(join(repoRoot, from), join(app, to), { recursive: true });
  }
  t.notOk(existsSync(join(app, 'node_modules')), 'the image has no node_modules');
  const filesBefore = readdirSync(app, { recursive: true }).length;

  const cluster = await startTestCluster(t);
  seedDemoCluster(cluster.api.store);
  const sa = join(cluster.dir, 'serviceaccount');
  mkdirSync(sa);
  writeFileSync(join(sa, 'token'), SECRETS.userToken);
  writeFileSync(join(sa, 'ca.crt'), cluster.api.caPem);
  const entrypoint = JSON.parse((runtime.lines.find((line) => line.startsWith('ENTRYPOINT')) ?? '').slice('ENTRYPOINT'.length)) as string[];
  const cmd = JSON.parse((runtime.lines.find((line) => line.startsWith('CMD')) ?? '').slice('CMD'.length)) as string[];
  // The image's own arguments, with free loopback ports instead of 8001/9101 (these machines allow loopback only).
  const adminPort = await freePort();
  const imageArgs = cmd.map((arg) => (arg === '--port=8001' ? '--port=0' : arg.startsWith('--admin-address=') ? `--admin-address=127.0.0.1:${adminPort}` : arg));
  const proxy = await startKubegate(t, imageArgs, {
    cwd: app,
    env: {
      NODE_ENV: 'production',
      HOME: '/nonexistent',
      KUBECONFIG: undefined,
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: String(cluster.api.port),
      KUBEGATE_SERVICE_ACCOUNT_DIR: sa,
    },
    binary: join(app, (entrypoint.at(-1) ?? '').replace(/^\/app\//, '')),
    nodeArgs: entrypoint.slice(1, -1),
  });
  const answer = await fetch(`${proxy.url}/api/v1/namespaces/default/pods`);
  t.equal(answer.status, 200);
  t.match(await answer.text(), /nginx-7c5ddbdf54-x8k2p/);
  t.equal(cluster.api.requests.last()?.user?.name, 'alice', 'authenticated with the service-account token');
  const ready = await fetch(`http://127.0.0.1:${adminPort}/readyz`);
  t.equal(ready.status, 200, 'the readiness probe passes');
  const metrics = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
  t.match(await metrics.text(), /kubegate_requests_total/, 'the metrics chunk loads from the bundle');
  t.equal(readdirSync(app, { recursive: true }).length, filesBefore, 'nothing was written into the image (read-only root filesystem)');
  const firstLogLine = proxy.stderr().split('\n').find((line) => line.trim() !== '');
  if (firstLogLine) t.doesNotThrow(() => JSON.parse(firstLogLine), 'logs are JSON');
  t.equal(await proxy.stop('SIGTERM'), 0, 'SIGTERM: a clean exit 0, as pod termination needs');
});

/** Every document of every manifest under config/ (the example kubeconfig is not a manifest). */
function manifests(): { file: string; doc: Record<string, unknown> }[] {
  const found: { file: string; doc: Record<string, unknown> }[] = [];
  for (const file of readdirSync(join(repoRoot, 'config')).filter((name) => name.endsWith('.yaml'))) {
    for (const document of parseAllDocuments(readFileSync(join(repoRoot, 'config', file), 'utf8'))) {
      const doc = document.toJS() as Record<string, unknown> | null;
      if (doc && doc.kind !== 'Config') found.push({ file, doc });
    }
  }
  return found;
}

interface Container {
  name: string;
  image: string;
  args?: string[];
  securityContext?: Record<string, unknown>;
}

function containersOf(doc: Record<string, unknown>): Container[] {
  const spec = doc.spec as { containers?: Container[]; template?: { spec?: { containers?: Container[] } } } | undefined;
  return spec?.containers ?? spec?.template?.spec?.containers ?? [];
}

t.test('manifests: kubegate containers are locked down and their args are valid kubegate flags', async (t) => {
  const all = manifests();
  t.ok(all.length >= 10, `${all.length} manifests parsed`);
  const kubegates = all.flatMap(({ file, doc }) => containersOf(doc).filter((c) => c.name === 'kubegate').map((container) => ({ file, container, doc })));
  t.ok(kubegates.length >= 2, 'a sidecar and a Deployment');
  for (const { file, container } of kubegates) {
    t.match(container.securityContext, { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }, `${file}: locked down`);
    const options = completeOptions(flagsToOptions(parseFlags(container.args ?? [], FLAG_SPECS).values).proxy, {}, '/app');
    t.ok(options.filter, `${file}: the filter is on`);
    if (options.listen.kind === 'tcp' && options.listen.host !== '127.0.0.1' && options.filter) {
      // Served to other pods: the accept-hosts list must take the Service names and nothing else.
      const filter = compileFilter(options.filter);
      for (const host of ['kubegate', 'kubegate.default.svc', 'kubegate.default.svc.cluster.local']) {
        t.equal(acceptRequest(filter, 'GET', '/api/v1/namespaces/default/pods', host).accepted, true, `${file}: accepts Host ${host}`);
      }
      for (const host of ['evil.example', 'kubegate.evil.example', '10.0.0.7', 'localhost']) {
        t.equal(acceptRequest(filter, 'GET', '/api/v1/namespaces/default/pods', host).accepted, false, `${file}: rejects Host ${host}`);
      }
    }
  }
  const sidecar = all.filter(({ file }) => file === 'sidecar-pod.yaml');
  t.ok(sidecar.some(({ doc }) => doc.kind === 'ServiceAccount' && (doc.metadata as { name: string }).name === 'demo-sa'));
  t.ok(sidecar.some(({ doc }) => doc.kind === 'Role' && JSON.stringify(doc.rules).includes('"list"')), 'a Role that can list pods');
});

t.test('manifests: kubectl apply --dry-run=client accepts every file', async (t) => {
  const kubectl = requireKubectl();
  const cluster = await startTestCluster(t);
  const env = { HOME: cluster.dir, KUBECONFIG: undefined };
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0'], { env });
  const files = [...new Set(manifests().map(({ file }) => file))];
  for (const file of files) {
    const result = await runCommand(kubectl, ['-s', proxy.url, 'apply', '--dry-run=client', '-f', join(repoRoot, 'config', file)], { env });
    t.equal(result.status, 0, `${file}: ${result.stderr}`);
    t.match(result.stdout, /\(dry run\)/, `${file}: ${result.stdout.trim().split('\n').length} objects`);
  }
});
