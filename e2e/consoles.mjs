// The consoles' acceptance test in a real browser: the analyst's whole workflow across Tandem's two
// consoles, run against `tandem demo` exactly as a user starts it.
//
// 1. start `tandem demo` (the built binary) on free ports in a temp data dir;
// 2. sign in to the SIEM console and find the multi-stage incident in the queue;
// 3. open it: alerts from all four products, and its entities;
// 4. close it as a true positive with a comment;
// 5. follow the incident's link into the XDR console and see it resolved there, with that
//    classification and comment, within 10 seconds;
// 6. sign in as the read-only app: every page shows, no action form does, and a forged POST is refused.
//
// Each step saves a screenshot under test-artifacts/consoles/. The browser is the system's Chromium,
// driven with playwright-core (which downloads no browser of its own).
//
// Environment: TANDEM_BIN (the tandem binary; required), TANDEM_CHROMIUM (default /usr/bin/chromium),
// TANDEM_ARTIFACTS (default <workspace>/test-artifacts/consoles). Exits 0 when every step passed.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

import { chromium } from 'playwright-core';

const workspace = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const binary = process.env.TANDEM_BIN;
const chromiumPath = process.env.TANDEM_CHROMIUM || '/usr/bin/chromium';
const artifacts = process.env.TANDEM_ARTIFACTS || path.join(workspace, 'test-artifacts', 'consoles');

/// How long the demo may take to show the multi-stage incident in the SIEM's queue.
const QUEUE_DEADLINE_MS = 30_000;
/// How long a change made in the SIEM may take to show in the XDR.
const SYNC_DEADLINE_MS = 10_000;
/// The comment the analyst closes the incident with; unique per run.
const CLOSING_COMMENT = `Phishing led to Qakbot and a OneDrive mass download; contained (${Date.now()}).`;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/// Fails the run with a message saying what was expected.
class StepFailed extends Error {}

function check(condition, message) {
  if (!condition) throw new StepFailed(message);
}

function log(message) {
  console.log(`consoles: ${message}`);
}

/// `KEY=VALUE` lines of a credentials.env, with shell quoting undone.
function parseEnv(text) {
  const pairs = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const at = line.indexOf('=');
    if (at < 0) continue;
    let value = line.slice(at + 1);
    if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) {
      value = value.slice(1, -1).replaceAll("'\\''", "'");
    }
    pairs[line.slice(0, at).replace(/^export /, '')] = value;
  }
  return pairs;
}

/// `tandem demo` as a child process in its own data dir, its output kept in the artifacts.
class Demo {
  constructor() {
    this.dataDir = mkdtempSync(path.join(tmpdir(), 'tandem-e2e-demo-'));
    const output = createWriteStream(path.join(artifacts, 'demo.log'));
    this.child = spawn(
      binary,
      ['demo', '--data-dir', this.dataDir, '--xdr-listen', '127.0.0.1:0', '--siem-listen', '127.0.0.1:0', '--sync-listen', '127.0.0.1:0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout.pipe(output);
    this.child.stderr.pipe(output);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
    this.startedAt = Date.now();
  }

  /// Waits until both servers answer /healthz; returns the demo's credentials.env.
  async ready() {
    const deadline = Date.now() + 60_000;
    for (;;) {
      check(this.child.exitCode === null, `tandem demo exited early (${this.child.exitCode}); see demo.log`);
      const credentials = this.credentials();
      if (credentials.TANDEM_XDR_URL && credentials.TANDEM_SIEM_URL) {
        const healthy = await Promise.all(
          [credentials.TANDEM_XDR_URL, credentials.TANDEM_SIEM_URL].map((url) =>
            fetch(`${url}/healthz`).then((r) => r.ok, () => false),
          ),
        );
        if (healthy.every(Boolean)) return credentials;
      }
      check(Date.now() < deadline, 'tandem demo did not answer /healthz on both servers within 60 s');
      await sleep(100);
    }
  }

  credentials() {
    try {
      return parseEnv(readFileSync(path.join(this.dataDir, 'credentials.env'), 'utf8'));
    } catch {
      return {};
    }
  }

  /// Stops the demo as Ctrl-C would and checks that it stopped cleanly.
  async stop() {
    if (this.child.exitCode !== null) return;
    this.child.kill('SIGINT');
    const stopped = await Promise.race([this.exited, sleep(30_000, null, { ref: false })]);
    if (stopped === null) {
      this.child.kill('SIGKILL');
      throw new StepFailed('tandem demo did not stop within 30 s of SIGINT');
    }
    check(stopped.code === 0, `tandem demo stopped with ${JSON.stringify(stopped)}; see demo.log`);
  }

  cleanUp() {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/// A fresh headless Chromium profile.
async function openBrowser() {
  const profile = mkdtempSync(path.join(tmpdir(), 'tandem-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 1000 },
  });
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

async function screenshot(page, name) {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
  log(`screenshot ${name}.png`);
}

/// Signs in on a console's sign-in page, whichever page asked for it.
async function signIn(page, clientId, clientSecret) {
  await page.locator('#client-id').fill(clientId);
  await page.locator('#client-secret').fill(clientSecret);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/sign-in')), page.locator('#sign-in-submit').click()]);
}

/// Reloads until `locator` shows or the deadline passes.
async function reloadUntilVisible(page, locator, deadline, what) {
  for (;;) {
    if ((await locator.count()) > 0) return;
    if (Date.now() >= deadline) {
      await screenshot(page, `failed-${what.replace(/\W+/g, "-")}`);
      throw new StepFailed(`${what} did not show in time (${page.url()})`);
    }
    await sleep(500);
    await page.reload();
  }
}

/// The multi-stage incident in the SIEM's queue: signs in, searches the queue, waits for the row.
async function findIncidentInSiemQueue(page, siemUrl, credentials, startedAt) {
  await page.goto(`${siemUrl}/`);
  check(new URL(page.url()).pathname === '/sign-in', `an anonymous visit to the SIEM console should land on /sign-in, not ${page.url()}`);
  await screenshot(page, '01-siem-sign-in');
  await signIn(page, credentials.TANDEM_CLIENT_ID, credentials.TANDEM_CLIENT_SECRET);
  await page.locator('#filter-q').fill('Multi-stage');
  await Promise.all([page.waitForURL(/[?&]q=Multi-stage/), page.locator('#filter-apply').click()]);
  const row = page.locator('[data-testid=incident-row]', { hasText: /Multi-stage incident/ });
  await reloadUntilVisible(page, row, startedAt + QUEUE_DEADLINE_MS, 'the multi-stage incident in the SIEM queue');
  log(`the multi-stage incident reached the SIEM queue ${Date.now() - startedAt} ms after the demo started`);
  await screenshot(page, '02-siem-queue');
  return row.first();
}

/// On an incident page: the four products' alerts and the attack's entities.
async function checkAlertsAndEntities(page) {
  const alerts = page.locator('[data-testid=alert-row]');
  await alerts.first().waitFor();
  const products = new Set((await page.locator('[data-testid=alert-product]').allTextContents()).map((t) => t.trim()));
  check(products.size === 4, `expected alerts from 4 products, found ${products.size}: ${[...products].join(', ')}`);
  for (const kind of ['user', 'device', 'ip']) {
    const count = await page.locator(`[data-testid=entity][data-kind=${kind}]`).count();
    check(count > 0, `the incident page lists no ${kind} entity`);
  }
  const names = await page.locator('[data-testid=entity-name]').allTextContents();
  check(names.some((n) => /kai\.carter|Kai Carter/i.test(n)), `the victim is not among the entities: ${names.join(', ')}`);
}

/// The value of the option of `select` whose label matches `label`, else its first real option.
async function optionValue(page, select, label) {
  const options = page.locator(`${select} option`);
  const wanted = options.filter({ hasText: label });
  const chosen = (await wanted.count()) > 0 ? wanted.first() : options.filter({ hasNotText: /Choose/ }).first();
  return chosen.getAttribute('value');
}

/// Closes the open incident as a true positive with the closing comment, which the connector carries
/// to the XDR as an incident comment.
async function closeAsTruePositive(page) {
  const classification = await optionValue(page, '#close-classification', /^True positive$/i);
  check(classification, 'the close form offers no true-positive classification');
  await page.locator('#close-classification').selectOption(classification);
  if ((await page.locator('#close-determination').count()) > 0) {
    const determination = await optionValue(page, '#close-determination', /multi-?stag|suspicious|malware|phish/i);
    await page.locator('#close-determination').selectOption(determination);
  }
  await page.locator('#close-comment').fill(CLOSING_COMMENT);
  await page.locator('#close-submit').click();
  await page.locator('[data-testid=incident-status]', { hasText: /closed|resolved/i }).waitFor();
  await page.locator('[data-testid=incident-classification]', { hasText: /true positive/i }).waitFor();
}

/// In the XDR console: the incident turns resolved, true positive, with the comment.
async function checkResolvedInXdr(page, credentials, closedAt) {
  if (new URL(page.url()).pathname === '/sign-in') {
    await screenshot(page, '05-xdr-sign-in');
    await signIn(page, credentials.TANDEM_CLIENT_ID, credentials.TANDEM_CLIENT_SECRET);
  }
  check(/\/incidents\//.test(page.url()), `the twin link should lead to an XDR incident page, not ${page.url()}`);
  const resolved = page
    .locator('[data-testid=incident]')
    .filter({ has: page.locator('[data-testid=incident-status]', { hasText: /resolved/i }) })
    .filter({ has: page.locator('[data-testid=incident-classification]', { hasText: /true positive/i }) })
    .filter({ has: page.locator('[data-testid=comment-text]', { hasText: CLOSING_COMMENT }) });
  await reloadUntilVisible(page, resolved, closedAt + SYNC_DEADLINE_MS, 'the resolution in the XDR console');
  log(`the XDR showed the resolution ${Date.now() - closedAt} ms after the SIEM closed it`);
  await screenshot(page, '05-xdr-incident-resolved');
}

/// The analyst's workflow, steps 2 to 5.
async function analystWorkflow(demo, credentials) {
  const browser = await openBrowser();
  try {
    const { page } = browser;
    const siemUrl = credentials.TANDEM_SIEM_URL;
    const row = await findIncidentInSiemQueue(page, siemUrl, credentials, demo.startedAt);
    await Promise.all([page.waitForURL(/\/incidents\//), row.locator('[data-testid=incident-link]').click()]);
    await checkAlertsAndEntities(page);
    await screenshot(page, '03-siem-incident');
    const incidentUrl = page.url();
    await closeAsTruePositive(page);
    const closedAt = Date.now();
    await screenshot(page, '04-siem-incident-closed');
    const twin = page.locator('[data-testid=twin-link]');
    const twinUrl = await twin.getAttribute('href');
    check(twinUrl && twinUrl.startsWith(credentials.TANDEM_XDR_URL), `the twin link ${twinUrl} does not point into the XDR console`);
    await Promise.all([page.waitForURL((url) => url.href.startsWith(credentials.TANDEM_XDR_URL)), twin.click()]);
    await checkResolvedInXdr(page, credentials, closedAt);
    return { siemIncident: incidentUrl, xdrIncident: page.url() };
  } finally {
    await browser.close();
  }
}

/// A reader sees every page of a console but no action form, and a forged POST is refused with 403.
async function readerSeesButCannotChange(page, consoleUrl, incidentUrl, credentials, name) {
  await page.goto(`${consoleUrl}/`);
  await signIn(page, credentials.TANDEM_READER_CLIENT_ID, credentials.TANDEM_READER_CLIENT_SECRET);
  await page.locator('[data-testid=incident-row]').first().waitFor();
  await screenshot(page, `06-${name}-reader-queue`);
  await page.goto(incidentUrl);
  await page.locator('#incident-title').waitFor();
  for (const form of ['#actions', '#close-form', '#comment-form', '#assign-form', '#status-form', '#tag-form']) {
    check((await page.locator(form).count()) === 0, `${name}: the reader is shown ${form}`);
  }
  await screenshot(page, `06-${name}-reader-incident`);
  const sync = await page.goto(`${consoleUrl}/sync`);
  check(sync.status() === 200 || sync.status() === 404, `${name}: /sync answered ${sync.status()} to a reader`);
  if (sync.status() === 200) await screenshot(page, `06-${name}-reader-sync-health`);
  const forged = await page.context().request.post(`${incidentUrl}/comment`, {
    form: { text: 'a reader should not be able to write this' },
    headers: { Origin: consoleUrl },
    maxRedirects: 0,
  });
  check(forged.status() === 403, `${name}: a reader's forged POST answered ${forged.status()}, not 403`);
  await page.reload();
  const written = await page.locator('[data-testid=comment-text]', { hasText: 'a reader should not' }).count();
  check(written === 0, `${name}: the reader's forged comment was written`);
}

async function readerWorkflow(credentials, incidents) {
  const consoles = [
    ['siem', credentials.TANDEM_SIEM_URL, incidents.siemIncident],
    ['xdr', credentials.TANDEM_XDR_URL, incidents.xdrIncident],
  ];
  for (const [name, url, incident] of consoles) {
    const browser = await openBrowser();
    try {
      await readerSeesButCannotChange(browser.page, url, incident, credentials, name);
    } finally {
      await browser.close();
    }
  }
}

async function main() {
  check(binary, 'TANDEM_BIN must name the tandem binary');
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  const demo = new Demo();
  try {
    const credentials = await demo.ready();
    log(`demo up: SIEM ${credentials.TANDEM_SIEM_URL}, XDR ${credentials.TANDEM_XDR_URL}`);
    const incidents = await analystWorkflow(demo, credentials);
    await readerWorkflow(credentials, incidents);
    await demo.stop();
  } finally {
    demo.cleanUp();
  }
  log('every step passed');
}

main().catch((error) => {
  console.error(`consoles: FAILED: ${error instanceof StepFailed ? error.message : error.stack}`);
  process.exit(1);
});
