import t from 'tap';
import { createLiveEcho, PARTIAL_LINE_MS, redactPluginOutput } from '../../src/auth/plugin-output.js';

// The live copy of a plugin's stderr: what the person at kubegate's terminal reads.

/** An echo that records what it wrote. */
function recordingEcho(): { echo: ReturnType<typeof createLiveEcho>; text: () => string } {
  const written: string[] = [];
  return { echo: createLiveEcho((text) => written.push(text)), text: () => written.join('') };
}

t.test('real login prompts stay readable: device codes and URLs are not credential-shaped', async (t) => {
  const prompts = [
    'To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD-1234 to authenticate.',
    'Then enter the code:\n\nWDJB-MJHT\n\nAlternatively, you may visit the following URL which will autofill the code upon loading:\nhttps://device.sso.us-east-1.amazonaws.com/?user_code=WDJB-MJHT',
    'Please visit the following URL in your browser: https://login.example.com/auth?client_id=kubernetes&redirect_uri=http%3A%2F%2Flocalhost%3A8000&state=xyz&code_challenge=abc',
    'Please enter the following code when asked in your browser: GKS8VLMWW',
    'Sign in for a token: https://microsoft.com/devicelogin',
    'Enter MFA code: ',
  ];
  for (const prompt of prompts) t.equal(redactPluginOutput(prompt), prompt);
});

t.test('credential-shaped strings are still redacted', async (t) => {
  t.equal(redactPluginOutput('cached refresh_token=rt-123 for later'), 'cached refresh_token=[REDACTED] for later');
  t.equal(redactPluginOutput('open https://x.example/cb?access_token=at-9&state=1'), 'open https://x.example/cb?access_token=[REDACTED]&state=1');
  t.equal(redactPluginOutput('sent Authorization: Bearer abc.def'), 'sent Authorization: Bearer [REDACTED]');
  t.equal(redactPluginOutput('password: hunter2'), 'password: [REDACTED]');
});

t.test('whole lines are redacted even when a secret arrives in pieces', async (t) => {
  const { echo, text } = recordingEcho();
  echo.push('first line\nrefresh_tok');
  echo.push('en=rt-SPLIT-');
  echo.push('SECRET done\r\nlast');
  echo.end();
  t.equal(text(), 'first line\nrefresh_token=[REDACTED] done\nlast\n');
});

t.test('control characters are made visible; CRLF is a line end', async (t) => {
  const { echo, text } = recordingEcho();
  echo.push('\u001b[2Jcleared\r\nspinner\rdone\u202e\n');
  echo.end();
  t.equal(text(), 'U+001B[2Jcleared\nspinnerU+000DdoneU+202E\n');
});

t.test('a prompt without a newline is shown after a short pause, the rest of its line later', async (t) => {
  const { echo, text } = recordingEcho();
  echo.push('Password: ');
  t.equal(text(), '', 'held while more of the line may come');
  for (let i = 0; i < 100 && text() === ''; i++) await new Promise((resolve) => setTimeout(resolve, PARTIAL_LINE_MS / 2));
  t.equal(text(), 'Password: ', 'shown although the line is not finished');
  echo.push('(typed)\nnext\n');
  echo.end();
  t.equal(text(), 'Password: (typed)\nnext\n');
});

t.test('a line that never ends is shown in bounded pieces', async (t) => {
  const { echo, text } = recordingEcho();
  echo.push('x'.repeat(10_000));
  t.equal(text().length, 8192, 'two full pieces shown, the rest held');
  echo.end();
  t.equal(text(), `${'x'.repeat(10_000)}\n`);
});
