import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { launchBrowser, OUTPUT_DIR } from './browser.ts';

/** What the global setup tells the specs about the running demo. */
export interface DemoInfo {
  id: string;
  api: string;
  /** `http://127.0.0.1:<port>/gui/` */
  dashboard: string;
  token: string;
  /** The control plane's Unix socket for dataplanes. */
  socket: string;
  backend: { address: string; port: number };
  dataplanes: Array<{ name: string; mesh: string; address: string; inboundListener: string | null; netns: string | null }>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    demo: DemoInfo | null;
  }
}

/** The running demo; null when the suite is skipped (no root outside CI). */
export function demoInfo(): DemoInfo | null {
  return inject('demo');
}

/** `describe` that is skipped, with the global setup's message, when no demo runs. */
export function describeDemo(name: string, fn: (demo: () => DemoInfo) => void): void {
  const demo = demoInfo();
  (demo ? describe : describe.skip)(name, () => fn(() => demo!));
}

export function dataplane(demo: DemoInfo, name: string): DemoInfo['dataplanes'][number] {
  const dp = demo.dataplanes.find((d) => d.name === name);
  if (!dp) throw new Error(`the demo has no dataplane ${name}`);
  return dp;
}

/** A dashboard URL: `gui('/flows')`, `gui('/meshes/default/dataplanes/backend/rules')`. */
export function gui(demo: DemoInfo, path = '/'): string {
  return new URL(path.replace(/^\//, ''), demo.dashboard).href;
}

export function dataplanePath(name: string, tab?: string, mesh = 'default'): string {
  return `/meshes/${mesh}/dataplanes/${name}${tab ? `/${tab}` : ''}`;
}

export interface Session {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/**
 * A browser tab on the dashboard, signed in the way `meshcap demo` prints it: the token in the URL
 * fragment, which the dashboard keeps for the tab and removes from the address bar.
 */
export async function openDashboard(demo: DemoInfo, opts: { withToken?: boolean } = {}): Promise<Session> {
  return openDashboardAt(demo.dashboard, opts.withToken === false ? undefined : demo.token);
}

/** `openDashboard` for any control plane's dashboard (`http://…/gui/`), signed in with `token` when given. */
export async function openDashboardAt(dashboard: string, token: string | undefined): Promise<Session> {
  const browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  await page.goto(token === undefined ? dashboard : `${dashboard}#token=${token}`);
  return {
    browser,
    context,
    page,
    close: async () => {
      await context.close().catch(() => {});
      await browser.close();
    },
  };
}

/** A dashboard tab for one suite: opened before its tests, closed after them. Call inside the describe. */
export function dashboardSession(demo: () => DemoInfo): () => Session {
  let session: Session | undefined;
  beforeAll(async () => {
    session = await openDashboard(demo());
  });
  afterAll(async () => {
    await session?.close();
  });
  return () => {
    if (!session) throw new Error('the dashboard tab is not open');
    return session;
  };
}

/** Saves a full-page screenshot as `e2e/output/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const path = join(OUTPUT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** `312 ms`, `0.42 ms`, `1.20 s` (the dashboard's formatMs) → milliseconds. */
export function parseShownMs(text: string): number {
  const m = /^\s*([\d.]+)\s*(ms|s)\s*$/.exec(text);
  if (!m) throw new Error(`not a duration as the dashboard shows one: "${text}"`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

/** JSON from the control plane API (for setting up and cross-checking what the page shows). */
export async function api<T>(demo: DemoInfo, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(new URL(path, demo.api), {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${demo.token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/** Polls `check` until it returns a value (not undefined), bounded by `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

/** `10:42:07.123`, local time, exactly as the dashboard's flow table prints a flow's start. */
export function clockOf(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** One row of the dashboard's flow table, as shown. */
export interface ShownFlow {
  time: string;
  dataplane: string;
  direction: 'inbound' | 'outbound';
  client: string;
  destination: string;
  protocol: string;
  request: string;
  verdict: string;
  durationMs: number;
}

/** The flow rows currently in the table (the virtualized table renders those in view, newest first). */
export async function shownFlows(page: Page, tableName: string): Promise<ShownFlow[]> {
  const rows = await page.getByRole('table', { name: tableName }).getByRole('row').all();
  const out: ShownFlow[] = [];
  for (const row of rows.slice(1)) {
    const c = await row.getByRole('cell').allTextContents();
    if (c.length < 9) continue;
    out.push({
      time: c[0]!.trim(),
      dataplane: c[1]!.trim(),
      direction: c[2]!.includes('in') && !c[2]!.includes('out') ? 'inbound' : 'outbound',
      client: c[3]!.trim(),
      destination: c[4]!.trim(),
      protocol: c[5]!.trim().toLowerCase(),
      request: c[6]!.trim(),
      verdict: c[7]!.trim(),
      durationMs: parseShownMs(c[8]!),
    });
  }
  return out;
}
