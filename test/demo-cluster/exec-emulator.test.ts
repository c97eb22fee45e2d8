import t from 'tap';
import { startCommand, NOT_FOUND_EXIT_CODE } from '../../src/demo-cluster/exec-emulator.js';

function run(argv: string[], stdin: string[] = []): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const command = startCommand(argv, {
      stdout: (data) => (stdout += data.toString()),
      stderr: (data) => (stderr += data.toString()),
      exit: (code) => resolve({ stdout, stderr, code }),
    });
    for (const chunk of stdin) command.stdin(Buffer.from(chunk));
    command.stdinEnd();
  });
}

t.test('echo, true and false', async (t) => {
  t.same(await run(['echo', 'hello', 'world']), { stdout: 'hello world\n', stderr: '', code: 0 });
  t.same(await run(['echo', '-n', 'x']), { stdout: 'x', stderr: '', code: 0 });
  t.equal((await run(['true'])).code, 0);
  t.equal((await run(['false'])).code, 1);
});

t.test('cat echoes stdin until it closes', async (t) => {
  t.same(await run(['cat'], ['a', 'b\n']), { stdout: 'ab\n', stderr: '', code: 0 });
});

t.test('sh -c runs echo (to stdout or stderr) and exit', async (t) => {
  t.same(await run(['sh', '-c', "echo out; echo 'to err' >&2; exit 3"]), { stdout: 'out\n', stderr: 'to err\n', code: 3 });
  t.equal((await run(['sh', '-c', 'frobnicate'])).code, NOT_FOUND_EXIT_CODE);
});

t.test('an unknown executable fails like a container runtime', async (t) => {
  const result = await run(['ls', '/']);
  t.equal(result.code, NOT_FOUND_EXIT_CODE);
  t.match(result.stderr, /exec: "ls": executable file not found in \$PATH/);
});
