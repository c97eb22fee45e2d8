import t from 'tap';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '../fixtures/paths.js';
import { KUBEGATE_BIN, freePort, requireKubectl, runCommand, startKubegate } from '../fixtures/processes.js';

// The README's shell examples marked `<!-- runnable: expect "TEXT" -->` run against the demo, as a
// reader would paste them, so the README cannot drift from what kubegate does.

interface Example {
  readonly line: number;
  readonly expect: string;
  readonly script: string;
}

const MARKER = /^<!-- runnable: expect "([^"]+)" -->$/;

function runnableExamples(markdown: string): Example[] {
  const lines = markdown.split('\n');
  const examples: Example[] = [];
  lines.forEach((text, index) => {
    const marker = MARKER.exec(text);
    if (!marker) {
      if (text.includes('runnable')) throw new Error(`README.md:${index + 1}: malformed runnable marker: ${text}`);
      return;
    }
    if (lines[index + 1] !== '```sh') throw new Error(`README.md:${index + 1}: a runnable marker must be followed by a \`\`\`sh block`);
    const end = lines.indexOf('```', index + 2);
    if (end < 0) throw new Error(`README.md:${index + 1}: the sh block never closes`);
    examples.push({ line: index + 2, expect: marker[1] ?? '', script: lines.slice(index + 2, end).join('\n') });
  });
  return examples;
}

t.test('every runnable README example works against the demo, as written', async (t) => {
  const examples = runnableExamples(readFileSync(join(repoRoot, 'README.md'), 'utf8'));
  t.ok(examples.length >= 7, `found ${examples.length} runnable examples`);

  const proxy = await startKubegate(t, ['--demo', '--port=0']);
  // `kubegate` and `kubectl` on PATH, as after `npm install -g kubegate`.
  const root = t.testdir({ bin: {} });
  const bin = join(root, 'bin');
  writeFileSync(join(bin, 'kubegate'), `#!/bin/sh\nexec "${process.execPath}" "${KUBEGATE_BIN}" "$@"\n`);
  chmodSync(join(bin, 'kubegate'), 0o755);
  const env = { PATH: `${bin}:${dirname(requireKubectl())}:${process.env.PATH ?? ''}`, KUBECONFIG: '/dev/null' };

  for (const example of examples) {
    // The reader's kubegate listens on 8001, and port-forward examples use local port 8080: here both are free ports.
    const forwardPort = await freePort();
    const script = example.script.replace(/(localhost|127\.0\.0\.1):8001/g, `$1:${proxy.port}`).replace(/\b8080\b/g, String(forwardPort));
    const cwd = mkdtempSync(join(root, 'example-'));
    const result = await runCommand('bash', ['-e', '-o', 'pipefail', '-c', script], { env, cwd, timeoutMs: 30_000 });
    t.equal(result.status, 0, `README.md:${example.line} exits 0\n${result.stderr}`);
    t.ok(result.stdout.includes(example.expect), `README.md:${example.line} prints "${example.expect}"\n${result.stdout}`);
  }
});
