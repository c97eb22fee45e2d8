import t, { type Test } from 'tap';
import { once } from 'node:events';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Teardown } from '../fixtures/teardown.js';
import { repoRoot } from '../fixtures/paths.js';
import { runCommand, startCommand, waitUntil, type CommandResult } from '../fixtures/processes.js';

// The install paths the README offers, each from a clean directory: a clone of what is committed (uncommitted
// work is not in a clone, as in CI), `npm ci && npm pack` there, and `npm install -g` of the tarball into a
// prefix of its own; and the git-URL path, `npm pack git+file://<clone>` then the same install. These need
// the npm registry (npm ci, and npm's own install of a git package's devDependencies): without it they fail.

// npm ci, a build and a git package's preparation take minutes on a busy 2-core machine.
t.setTimeout(900_000);

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const NPM_TIMEOUT_MS = 400_000;
/** The installed commands run with nothing from this checkout or from tap: no NODE_OPTIONS, no NODE_PATH. */
const CLEAN_ENV = { NODE_OPTIONS: undefined, NODE_PATH: undefined, KUBECONFIG: undefined, INIT_CWD: undefined };

function scratchDir(t: Teardown, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kubegate-${name}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs a command that must succeed; a failure shows its whole output. */
async function mustRun(command: string, args: readonly string[], cwd: string): Promise<CommandResult> {
  const result = await runCommand(command, args, { cwd, timeoutMs: NPM_TIMEOUT_MS, env: { npm_config_update_notifier: 'false' } });
  if (result.status !== 0) {
    throw new Error(`\`${command} ${args.join(' ')}\` in ${cwd} exited with ${result.status}:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** A clone of HEAD as committed, on a branch of its own (CI's checkout may be a detached HEAD). */
async function cloneHead(t: Teardown): Promise<string> {
  const clone = join(scratchDir(t, 'clone'), 'kubegate');
  await mustRun('git', ['init', '--quiet', clone], repoRoot);
  await mustRun('git', ['fetch', '--quiet', repoRoot, 'HEAD'], clone);
  await mustRun('git', ['checkout', '--quiet', '-B', 'under-test', 'FETCH_HEAD'], clone);
  return clone;
}

/** `npm pack <what>` in `dir`: the tarball's path (npm prints its file name last). */
async function pack(dir: string, what: readonly string[]): Promise<string> {
  const packed = await mustRun('npm', ['pack', '--no-audit', '--no-fund', ...what], dir);
  const name = packed.stdout.trim().split('\n').at(-1) ?? '';
  return join(dir, name);
}

/** `npm install -g` of a tarball into a prefix of its own, with no registry: the package has no dependency to fetch. */
async function installGlobally(t: Teardown, tarball: string): Promise<string> {
  const prefix = scratchDir(t, 'prefix');
  await mustRun('npm', ['install', '--global', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, tarball], prefix);
  return prefix;
}

async function checkTarballContents(t: Test, tarball: string): Promise<void> {
  const listed = await mustRun('tar', ['-tzf', tarball], tmpdir());
  const files = listed.stdout.trim().split('\n');
  t.ok(files.includes('package/dist/bundle/kubegate.js'), 'the program is in the tarball');
  t.ok(files.includes('package/LICENSE'), 'and the licence');
  const unexpected = files.filter((file) => !/^package\/(package\.json|README\.md|LICENSE|dist\/bundle\/.+\.js)$/.test(file));
  t.same(unexpected, [], `the bundle, package.json, README and LICENSE only: no src/, no test/ (${files.length} files)`);
}

async function checkInstalledCommands(t: Test, prefix: string): Promise<void> {
  const installed = join(prefix, 'lib', 'node_modules', 'kubegate');
  t.notOk(existsSync(join(installed, 'node_modules')), 'no dependency was installed beside it: the bundle carries them');
  t.notOk(existsSync(join(installed, 'src')) || existsSync(join(installed, 'test')), 'no src/ or test/ installed');
  const cwd = scratchDir(t, 'cwd');
  const versionOut = await runCommand(join(prefix, 'bin', 'kubegate'), ['--version'], { cwd, env: CLEAN_ENV });
  t.equal(versionOut.status, 0, `kubegate --version exits 0 ${versionOut.stderr}`);
  t.equal(versionOut.stdout.trim(), `kubegate v${version}`, 'kubegate --version runs as a command (shebang, executable)');
  const help = await runCommand(join(prefix, 'bin', 'kubectl-gate'), ['--help'], { cwd, env: CLEAN_ENV });
  t.equal(help.status, 0, `kubectl-gate --help exits 0 ${help.stderr}`);
  t.match(help.stdout, /A drop-in replacement for `kubectl proxy`/, 'kubectl-gate --help prints the usage');
}

/** The installed `kubegate --demo` serves, and a pod list comes through it. */
async function checkInstalledDemo(t: Test, prefix: string): Promise<void> {
  const demo = startCommand(t, join(prefix, 'bin', 'kubegate'), ['--demo', '--port=0'], { cwd: scratchDir(t, 'cwd'), env: CLEAN_ENV });
  const serving = /Starting to serve on 127\.0\.0\.1:(\d+)/;
  await waitUntil(() => serving.test(demo.output()) || demo.child.exitCode !== null, 'the installed demo to serve', 30_000);
  const port = serving.exec(demo.output())?.[1];
  t.ok(port, port ? 'the installed demo serves' : `it did not serve:\n${demo.output()}`);
  const list = await runCommand('curl', ['-sS', `http://127.0.0.1:${port ?? '0'}/api/v1/namespaces/default/pods`]);
  t.equal(list.status, 0, `curl gets an answer ${list.stderr}`);
  const pods = JSON.parse(list.stdout) as { kind: string; items: { metadata: { name: string } }[] };
  t.equal(pods.kind, 'PodList', 'a PodList');
  t.match(pods.items.map((pod) => pod.metadata.name), [/^nginx-/], 'the demo cluster\'s nginx pod, through the installed proxy');
  const exited = once(demo.child, 'exit');
  demo.child.kill('SIGTERM');
  t.same(await exited, [0, null], 'SIGTERM: a clean exit 0');
}

// The redaction suite re-runs every e2e file at -v=9 to search kubegate's logs for credentials. These installs
// handle no credential and take minutes, so that re-run leaves them out.
const inRedactionRerun = process.env.KUBEGATE_E2E_LOG_DIR !== undefined;

t.test('a clean clone: npm ci && npm pack builds a tarball; npm install -g of it gives kubegate and kubectl-gate', { timeout: 900_000, skip: inRedactionRerun && 'not re-run at -v=9' }, async (t) => {
  const clone = await cloneHead(t);
  t.notOk(existsSync(join(clone, 'dist')), 'the clone has no build');
  await mustRun('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], clone);
  const tarball = await pack(clone, []);
  t.equal(tarball, join(clone, `kubegate-${version}.tgz`), 'npm pack names the tarball');
  await checkTarballContents(t, tarball);
  const prefix = await installGlobally(t, tarball);
  await checkInstalledCommands(t, prefix);
  await checkInstalledDemo(t, prefix);
});

t.test('the git URL: npm pack git+file://<clone> prepares it (devDependencies, build); npm install -g of that tarball works', { timeout: 900_000, skip: inRedactionRerun && 'not re-run at -v=9' }, async (t) => {
  const clone = await cloneHead(t);
  const tarball = await pack(scratchDir(t, 'from-git'), [`git+file://${clone}`]);
  await checkTarballContents(t, tarball);
  const prefix = await installGlobally(t, tarball);
  await checkInstalledCommands(t, prefix);
  await checkInstalledDemo(t, prefix);
});

// npm 12 fixed the git path under -g (npm 10 and 11 prepare the clone without its devDependencies and then
// link the global install to a temporary directory: npm/cli#8440). npm 12 fetches git packages only when told
// to (--allow-git). The npm the machine has is not touched: npx runs npm 12 for this one command.
t.test('the git URL with npm 12: npm install -g --allow-git=all git+file://<clone> gives working commands', { timeout: 900_000, skip: inRedactionRerun && 'not re-run at -v=9' }, async (t) => {
  const clone = await cloneHead(t);
  const prefix = scratchDir(t, 'prefix-npm12');
  await mustRun('npx', ['--yes', 'npm@12', 'install', '--global', '--allow-git=all', '--no-audit', '--no-fund', '--prefix', prefix, `git+file://${clone}`], prefix);
  const installed = join(prefix, 'lib', 'node_modules', 'kubegate');
  t.notOk(lstatSync(installed).isSymbolicLink(), 'a copy of its own in the prefix, not a link into npm\'s temporary clone');
  await checkInstalledCommands(t, prefix);
  await checkInstalledDemo(t, prefix);
});
