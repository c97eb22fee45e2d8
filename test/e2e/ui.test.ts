// --ui in a real browser (Debian's headless Chromium through playwright-core): the live list shows
// curl's and kubectl's requests with their verb, status and redacted headers; a Secret's value never
// reaches the page; the explorer lists pods and opens a schema; a screenshot is kept.
//
// KUBEGATE_UI_SCREENSHOT=1 also writes the screenshot to docs/ui.png (the one the README shows).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Page } from 'playwright-core';
import { seedDemoCluster } from '../../src/demo-cluster/seed.js';
import { launchChromium, requireChromium } from '../fixtures/browser.js';
import { SECRETS, startTestCluster } from '../fixtures/cluster.js';
import { repoRoot } from '../fixtures/paths.js';
import { requireKubectl, runCommand, startCommand, startKubegate } from '../fixtures/processes.js';

t.setTimeout(240_000);
requireChromium();
const kubectl = requireKubectl();

const SECRET_VALUE = 'hunter2-ui-secret-value';
const SECRET_BASE64 = Buffer.from(SECRET_VALUE).toString('base64');
const COOKIE_VALUE = 'session-cookie-ui-9f8e7d';

function rowFor(page: Page, url: string, nth = 0) {
  return page.locator(`#requests tbody tr:has(td[title="${url}"])`).nth(nth);
}

/** Opens the request to `url` (the newest first) and reads its detail. */
async function openRow(page: Page, url: string, nth = 0): Promise<string> {
  const row = rowFor(page, url, nth);
  await row.waitFor({ timeout: 15_000 });
  await row.click();
  await page.locator('#detail h2', { hasText: url }).waitFor({ timeout: 10_000 });
  return page.locator('#detail').innerText();
}

async function pageHtml(page: Page): Promise<string> {
  return page.content();
}

t.test('the live list, the explorer and the redaction, in Chromium', async (t) => {
  const cluster = await startTestCluster(t);
  seedDemoCluster(cluster.api.store);
  const env = { HOME: cluster.dir, KUBECONFIG: undefined };
  // A token kubeconfig: the upstream credential is known here, so the page can be searched for it.
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('token'), '--port=0', '--ui'], { env });
  const uiUrl = /Serving the request inspector and API explorer at (\S+)/.exec(proxy.stdout())?.[1];
  t.equal(uiUrl, `${proxy.url}/-/ui/`, 'the start-up output prints the page URL');

  const browser = await launchChromium(t);
  const page = await browser.newPage();
  const outside: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(proxy.url)) outside.push(request.url());
  });
  await page.goto(uiUrl ?? '');
  await page.locator('#connection.live').waitFor({ timeout: 15_000 });

  const curl = await runCommand('curl', ['-s', '-H', `Cookie: session=${COOKIE_VALUE}`, `${proxy.url}/api/v1/namespaces/default/pods`]);
  t.equal(curl.status, 0, curl.stderr);
  const pods = await runCommand(kubectl, ['-s', proxy.url, 'get', 'pods'], { env });
  t.equal(pods.status, 0, pods.stderr);

  const curlRow = rowFor(page, '/api/v1/namespaces/default/pods');
  await curlRow.waitFor({ timeout: 15_000 });
  t.equal(await curlRow.locator('[data-col=verb]').innerText(), 'list', "curl's GET of pods reads as a list");
  t.equal(await curlRow.locator('[data-col=status]').innerText(), '200');
  const curlDetail = await openRow(page, '/api/v1/namespaces/default/pods');
  t.match(curlDetail, /user-agent\s+curl\//, "the detail shows the client's own headers");
  t.match(curlDetail, /cookie\s+\[REDACTED\]/, 'a cookie is redacted, as -v=8 redacts it');
  t.notMatch(curlDetail, COOKIE_VALUE);
  t.match(curlDetail, /nginx-7c5ddbdf54-x8k2p/, 'the first part of the response body is shown');
  t.match(curlDetail, `curl ${proxy.url}/api/v1/namespaces/default/pods\n`, 'the same request as curl (the cookie left out)');
  t.match(curlDetail, `kubectl -s ${proxy.url} get pods -n default`, 'and as kubectl');

  const kubectlUrl = '/api/v1/namespaces/default/pods?limit=500';
  const kubectlRow = rowFor(page, kubectlUrl);
  await kubectlRow.waitFor({ timeout: 15_000 });
  t.equal(await kubectlRow.locator('[data-col=verb]').innerText(), 'list', "kubectl get pods reads as a list");
  t.equal(await kubectlRow.locator('[data-col=status]').innerText(), '200');
  const kubectlDetail = await openRow(page, kubectlUrl);
  t.match(kubectlDetail, /user-agent\s+kubectl\//);
  t.match(kubectlDetail, /nginx-7c5ddbdf54-x8k2p/, "kubectl's gzip answer is shown inflated");

  await t.test('a Secret never reaches the page', async (t) => {
    const secret = JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'ui-secret' }, data: { password: SECRET_BASE64 }, stringData: { plain: SECRET_VALUE } });
    const created = await runCommand('curl', ['-s', '-X', 'POST', '-H', 'Content-Type: application/json', '--data-binary', secret, `${proxy.url}/api/v1/namespaces/default/secrets`]);
    t.match(created.stdout, SECRET_BASE64, 'the API server stored and returned it');
    const read = await runCommand('curl', ['-s', `${proxy.url}/api/v1/namespaces/default/secrets/ui-secret`]);
    t.match(read.stdout, SECRET_BASE64);
    const viaKubectl = await runCommand(kubectl, ['-s', proxy.url, 'get', 'secret', 'ui-secret', '-o', 'yaml'], { env });
    t.match(viaKubectl.stdout, SECRET_BASE64);

    const secretUrl = '/api/v1/namespaces/default/secrets/ui-secret';
    await rowFor(page, secretUrl, 1).waitFor({ timeout: 15_000 });
    const kubectlGet = await openRow(page, secretUrl, 0);
    t.match(kubectlGet, /user-agent\s+kubectl\//, "kubectl's GET of the Secret (gzip, inflated for the page)");
    t.match(kubectlGet, /"password":\s*"\[REDACTED\]"/, 'the value is replaced, the key kept');
    const curlGet = await openRow(page, secretUrl, 1);
    t.match(curlGet, /"data":\s*\{\s*"password":\s*"\[REDACTED\]"/, "curl's GET: the value is replaced, the key kept");
    for (const value of [SECRET_BASE64, SECRET_VALUE]) t.notMatch(await pageHtml(page), value, `with the GET open, ${value} is nowhere in the DOM`);
    const post = await openRow(page, '/api/v1/namespaces/default/secrets');
    t.match(post, /request body[\s\S]*"password":\s*"\[REDACTED\]"/i, "the POST's request body is redacted too");
    const html = await pageHtml(page);
    for (const value of [SECRET_BASE64, SECRET_VALUE, SECRETS.userToken, COOKIE_VALUE]) t.notMatch(html, value, `${value} is nowhere in the DOM`);
  });

  await t.test('the explorer lists pods, opens a schema and watches', async (t) => {
    await page.click('#tab-explorer');
    await page.locator('button[data-resource="/pods"]').click({ timeout: 15_000 });
    await page.click('#run-get');
    await page.locator('#run-result h2', { hasText: 'GET /api/v1/namespaces/default/pods' }).waitFor({ timeout: 15_000 });
    t.equal(await page.locator('#run-result [data-fact=verb]').innerText(), 'list');
    t.equal(await page.locator('#run-result [data-fact=status]').innerText(), '200');
    t.match(await page.locator('#run-result').innerText(), /nginx-7c5ddbdf54-x8k2p/);
    const discovery = await page.locator('#requests tbody tr:has(td[title="/apis"])').count();
    t.ok(discovery > 0, "the explorer's discovery requests are in the live list");

    await page.click('#show-schema');
    await page.locator('#schema details[data-field="spec"]').waitFor({ timeout: 15_000 });
    await page.locator('#schema details[data-field="metadata"] summary').click();
    await page.locator('#schema details[data-field="metadata"] details[data-field="name"]').waitFor();
    t.saveFixture = true;
    writeFileSync(join(t.testdir({}), 'ui-explorer.png'), await page.screenshot());

    await page.click('#run-watch');
    const watchRow = page.locator('#requests tbody tr:has(td[title="/api/v1/namespaces/default/pods?watch=true"])').first();
    await watchRow.locator('[data-col=status]', { hasText: '200 open' }).waitFor({ state: 'attached', timeout: 15_000 });
    await page.click('#run-watch');
    await page.locator('#run-result h2', { hasText: 'watch=true' }).waitFor({ timeout: 15_000 });
    t.match(await page.locator('#run-result').innerText(), /watch events\s+[1-9]/, 'the watch ended with its events counted');
  });

  await t.test('a screenshot is kept: a refused exec, an open watch, kubectl get pods opened', async (t) => {
    await page.click('#tab-live');
    const exec = await runCommand('curl', ['-s', '-X', 'POST', `${proxy.url}/api/v1/namespaces/default/pods/nginx-7c5ddbdf54-x8k2p/exec?command=sh&stdin=true&tty=true`]);
    t.match(exec.stdout, /--reject-paths/);
    const refused = rowFor(page, '/api/v1/namespaces/default/pods/nginx-7c5ddbdf54-x8k2p/exec?command=sh&stdin=true&tty=true');
    await refused.waitFor({ timeout: 15_000 });
    t.match(await refused.innerText(), /403[\s\S]*refused: --reject-paths/, 'a refusal names its rule');
    const watch = startCommand(t, kubectl, ['-s', proxy.url, 'get', 'pods', '-w'], { env });
    const watchRow = page.locator('#requests tbody tr', { hasText: 'watch=true' }).filter({ hasText: 'open' }).first();
    await watchRow.waitFor({ timeout: 15_000 });
    t.match(await watchRow.innerText(), /200 open/, "kubectl's watch is an open stream");
    await openRow(page, kubectlUrl, 0);
    const image = await page.screenshot({ fullPage: false });
    // Kept after the run (.tap/fixtures/...), as the test's artifact.
    t.saveFixture = true;
    const dir = t.testdir({});
    writeFileSync(join(dir, 'ui.png'), image);
    if (process.env.KUBEGATE_UI_SCREENSHOT === '1') {
      mkdirSync(join(repoRoot, 'docs'), { recursive: true });
      writeFileSync(join(repoRoot, 'docs', 'ui.png'), image);
    }
    t.ok(image.length > 10_000, `a screenshot in ${dir}`);
    watch.stop();
  });

  await t.test('filter by verb, resource and status; pause; clear', async (t) => {
    const rows = page.locator('#requests tbody tr');
    await page.selectOption('#filter-verb', 'create');
    t.same(new Set(await rows.locator('[data-col=verb]').allInnerTexts()), new Set(['create']), 'only creates');
    await page.selectOption('#filter-verb', '');
    await page.selectOption('#filter-status', '4xx');
    t.ok((await rows.locator('[data-col=status]').allInnerTexts()).every((status) => status.startsWith('4')), 'only 4xx');
    await page.selectOption('#filter-status', 'refused');
    t.match(await rows.locator('[data-col=note]').allInnerTexts(), [/refused: --reject-paths/]);
    await page.selectOption('#filter-status', '');
    await page.fill('#filter-resource', 'secrets');
    t.ok((await rows.count()) >= 3 && (await rows.allInnerTexts()).every((row) => row.includes('secrets')), 'only secrets');
    await page.fill('#filter-resource', '');

    await page.click('#pause');
    await runCommand('curl', ['-s', `${proxy.url}/api/v1/namespaces/default/configmaps?paused=1`]);
    await page.locator('#count', { hasText: '1 waiting' }).waitFor({ timeout: 15_000 });
    t.equal(await rowFor(page, '/api/v1/namespaces/default/configmaps?paused=1').count(), 0, 'paused: the new request waits');
    await page.click('#pause');
    await rowFor(page, '/api/v1/namespaces/default/configmaps?paused=1').waitFor({ timeout: 15_000 });
    t.pass('resumed: it appears');

    await page.click('#clear');
    t.equal(await rows.count(), 0, 'cleared');
    await runCommand('curl', ['-s', `${proxy.url}/api/v1/namespaces/default/configmaps?after=clear`]);
    await rowFor(page, '/api/v1/namespaces/default/configmaps?after=clear').waitFor({ timeout: 15_000 });
    t.equal(await rows.count(), 1, 'only what came after the clear');
  });

  t.same(outside, [], 'the page fetched nothing from outside the listener');
  const html = await pageHtml(page);
  t.notMatch(html, SECRETS.userToken, "the upstream token kubegate adds never reaches the page");
});
