import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { PASSWORD, type TestServer } from './helpers/harness.ts';
import { makeAlert, makeAsset, makeSystem, makeTicket, makeVulnerability } from './helpers/factories.ts';
import type { TestTenant } from './helpers/suite.ts';

/*
 * What the web UI tests share: a tenant's data to look at, and Debian's Chromium driven by
 * playwright-core (nothing is downloaded: the browser is the system's).
 */

export const CHROMIUM = process.env.SENTINEL_CHROMIUM ?? '/usr/bin/chromium';
export const XSS = '<img src=x onerror=alert(1)>';
/** Where the browser tests also save screenshots of what they look at, when set. */
export const SCREENSHOTS = process.env.SENTINEL_SCREENSHOTS;
export const PHONE = { width: 390, height: 844 };

export interface SeededTenant {
  systemId: string;
  alertIds: string[];
  xssAlertId: string;
  lineId: number;
  outputAreaId: number;
}

/** Systems, assets, alerts (one titled with an XSS payload), a vulnerability, a ticket and a production line. */
export async function seedTenant(server: TestServer, tenant: TestTenant, label: string): Promise<SeededTenant> {
  const system = await makeSystem(server, tenant, { name: `${label} Wazuh manager`, status: 'warning', status_summary: `2 agents disconnected (${label})` });
  await makeSystem(server, tenant, { name: `${label} Grafana`, status: 'online' });
  await makeSystem(server, tenant, { name: `${label} Palo Alto edge`, type: 'paloalto', status: 'alert', status_summary: 'Threat log: 3 critical events' });
  await makeSystem(server, tenant, { name: `${label} Prometheus`, type: 'prometheus', status: 'online' });
  await makeAsset(server, tenant.id, system.id, { name: `${label}-web-01` });
  await makeAsset(server, tenant.id, system.id, { name: `${label}-db-01`, status: 'offline' });
  const alertIds = [
    await makeAlert(server, tenant.id, { title: `${label} brute force on ssh`, severity: 'high', source: 'wazuh', system_id: system.id, asset: `${label}-web-01` }),
    await makeAlert(server, tenant.id, { title: `${label} disk almost full`, severity: 'medium', source: 'grafana' }),
  ];
  const xssAlertId = await makeAlert(server, tenant.id, { title: XSS, severity: 'critical', source: 'splunk' });
  await makeAlert(server, tenant.id, { title: `${label} port scan from 203.0.113.7`, severity: 'low', source: 'paloalto', status: 'acknowledged' });
  await makeVulnerability(server, tenant.id, { title: `${label} OpenSSL flaw`, cve: 'CVE-2024-3400' });
  await makeTicket(server, tenant.admin.token, { title: `${label} rotate the VPN keys` });
  const { structure } = server.services;
  const line = await structure.createLine(tenant.id, { line_name: `${label} Press line`, line_code: `${label.toLowerCase()}press`, downtime_threshold_seconds: 2 });
  const area = await structure.createArea(tenant.id, { line_id: line.line_id, area_name: 'Out', area_type: 'output' });
  await structure.createShift(tenant.id, { shift_name: 'Day', start_time: '00:00', end_time: '12:00', line_id: line.line_id });
  await structure.createShift(tenant.id, { shift_name: 'Night', start_time: '12:00', end_time: '00:00', line_id: line.line_id });
  // Ten minutes of output at a good pace, so that the tile has an OEE to show.
  const product = await structure.createProduct(tenant.id, { product_name: 'Bracket', product_code: `${label.toLowerCase()}-br`, ideal_cycle_seconds: 4 });
  const start = Date.now() - 10 * 60_000;
  const detections = Array.from({ length: 120 }, (_, i) => ({ detected_at: new Date(start + i * 5_000).toISOString(), area_id: area.area_id, product_id: product.product_id }));
  await server.services.production.ingest(tenant.id, line.line_id, { detections });
  return { systemId: system.id, alertIds, xssAlertId, lineId: line.line_id, outputAreaId: area.area_id };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export interface WatchedContext {
  context: BrowserContext;
  /** Requests the page tried to send anywhere but the server under test (they were aborted). */
  foreign: string[];
  /** Script errors and dialogs (an `alert()` from injected markup would land here). */
  incidents: string[];
  page: Page;
}

/** A fresh browser context that lets nothing leave the server's origin and records what tried to. */
export async function watchedContext(browser: Browser, server: TestServer, options: { viewport?: { width: number; height: number } } = {}): Promise<WatchedContext> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 860 }, locale: 'en-GB' });
  const foreign: string[] = [];
  const incidents: string[] = [];
  const origin = new URL(server.url);
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.host === origin.host || url.protocol === 'data:') return route.continue();
    foreign.push(url.toString());
    return route.abort();
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => incidents.push(`pageerror: ${error.message}`));
  page.on('dialog', (dialog) => {
    incidents.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { context, foreign, incidents, page };
}

export async function signIn(page: Page, server: TestServer, username: string, where = '/', password = PASSWORD): Promise<void> {
  await page.goto(`${server.url}${where}`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/login')), page.click('button[type=submit]')]);
}

/** A watched context (desktop, or a phone's viewport) signed in as `username` and showing `where`. */
export async function signedInContext(browser: Browser, server: TestServer, username: string, where: string, options: { phone?: boolean; password?: string } = {}): Promise<WatchedContext> {
  const watched = await watchedContext(browser, server, options.phone ? { viewport: PHONE } : {});
  await signIn(watched.page, server, username, where, options.password);
  return watched;
}

/** Runs `work` in a context of its own (a phone, another user), closed afterwards whatever happens. */
export async function inOwnContext(open: Promise<WatchedContext>, work: (watched: WatchedContext) => Promise<void>): Promise<void> {
  const watched = await open;
  try {
    await work(watched);
  } finally {
    await watched.context.close();
  }
}

export async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The axe-core violations (WCAG 2.1 A and AA) of serious or critical impact on the page. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

/** Switches the signed-in user's theme with the header's button, unless the page already shows it. */
export async function useTheme(page: Page, theme: 'dark' | 'light'): Promise<void> {
  if ((await page.locator('html.dark').count() === 1) === (theme === 'dark')) return;
  await Promise.all([page.waitForLoadState('load'), page.locator('form[action="/preferences"]:has(input[name=theme]) button').click()]);
}

/** Saves a screenshot named `name` when SENTINEL_SCREENSHOTS names a folder. */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  if (SCREENSHOTS === undefined) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), ...options });
}
