import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { formatProviderDate } from '../../src/protocol/provider-dates.js';
import { RoutedCountsWriter } from '../../src/routing/routed-counts.writer.js';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { startRoutingFixture, type RoutingFixture } from '../e2e/routing-fixture.js';
import { http } from '../support/test-app.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { CALLBACK_QUERY, TEST_KEYS } from '../support/test-keys.js';
import { chromiumAvailable, launchChromium, lowContrast, screenshot } from './console-driver.js';

/**
 * The admin console in Debian's Chromium against the real bootstrap(), the simulator over HTTP
 * and a real Postgres: sign in, find an order by the passenger's phone, read its timeline,
 * reveal its numbers (recorded), buy two numbers, look at operations, sign out.
 */
const POOL = 'FCBROWSER';
const PASSENGER = '13870001111';
const DRIVER = '13970002222';
const run = chromiumAvailable();

let f: RoutingFixture;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let binding: BindingView;
let recordedCall: Record<string, unknown>;

const pick = (o: Record<string, unknown>, keys: readonly string[]) =>
  Object.fromEntries(keys.map((k) => [k, o[k]]));

async function accessLog(id: string): Promise<Array<{ actor: string; route: string }>> {
  const { rows } = await f.t.app
    .get(PrismaService)
    .pgPool.query<{ actor: string; route: string }>(
      'SELECT actor, route FROM access_log WHERE $1::uuid = ANY(binding_ids) ORDER BY id',
      [id],
    );
  return rows;
}

async function heldNumbers(): Promise<number> {
  const { rows } = await f.t.app
    .get(PrismaService)
    .pgPool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM secret_numbers WHERE pool_key = $1 AND state = 'active'`,
      [POOL],
    );
  return rows[0]!.n;
}

describe.runIf(run)('admin console in Chromium', () => {
  beforeAll(async () => {
    f = await startRoutingFixture({
      pool: POOL,
      buy: 2,
      // Deliveries to a receiver on 127.0.0.1, tried at once.
      env: { WEBHOOKS_ALLOW_PRIVATE_URLS: 'true', WEBHOOKS_DISPATCH_INTERVAL_MS: '20' },
    });
    // A story to tell: a bind, a routed lookup, a recorded call, and another order of others.
    binding = await f.bind({ outId: 'trip-browser-1', phoneA: PASSENGER, phoneB: DRIVER });
    await f.bind({ outId: 'trip-browser-2' });
    expect((await f.lookup({ bindingId: binding.id, callerNo: PASSENGER })).status).toBe(200);
    await f.t.app.get(RoutedCountsWriter).flush();
    const at = (seconds: number) => formatProviderDate(new Date(Date.now() + seconds * 1000));
    const pushed = await http('POST', `${f.t.url}/v1/callbacks/call-records${CALLBACK_QUERY}`, [
      {
        call_id: 'browser-call-1',
        sub_id: binding.subsId,
        out_id: binding.outId,
        pool_key: POOL,
        phone_no: PASSENGER,
        peer_no: DRIVER,
        secret_no: binding.phoneX,
        call_type: 0,
        call_time: at(1),
        start_time: at(8),
        release_time: at(110),
        release_dir: 1,
        release_cause: 16,
      },
    ]);
    expect(pushed.status).toBe(200);
    // A recorded call the simulator placed (so it can sign its recording), its record and its
    // SecretRecording pushed as the provider would.
    const placed = await f.sim.control<{ records: Array<Record<string, unknown>> }>(
      'POST',
      '/calls',
      { subsId: binding.subsId, caller: 'A', durationSeconds: 20, record: true },
    );
    recordedCall = placed.records[0]!;
    for (const [path, body] of [
      ['call-records', [recordedCall]],
      [
        'recordings',
        [pick(recordedCall, ['call_id', 'sub_id', 'pool_key', 'out_id', 'call_time'])],
      ],
    ] as const) {
      expect(
        (await http('POST', `${f.t.url}/v1/callbacks/${path}${CALLBACK_QUERY}`, body)).status,
      ).toBe(200);
    }
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  }, 120_000);

  afterAll(async () => {
    // The browser first: its keep-alive connections would hold the server's close.
    await browser?.close();
    await f?.close();
  });

  it('refuses a wrong key', async () => {
    await page.goto(`${f.t.url}/console/`);
    await page.getByLabel('Admin API key').fill('axb_wrongkey_thisisnotavalidsecret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');
    expect(await context.cookies()).toEqual([]);
    await screenshot(page, '01-sign-in-refused');
  });

  it('signs in with an admin key into an HttpOnly, SameSite=Strict session', async () => {
    await page.getByLabel('Admin API key').fill(TEST_KEYS.admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in as').waitFor();
    expect(await page.locator('.who strong').textContent()).toBe('ops');
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'axb_session', httpOnly: true, sameSite: 'Strict' });
    // The key is nowhere in the page's reach.
    const stored = await page.evaluate(() =>
      JSON.stringify({ ...localStorage, ...sessionStorage, cookie: document.cookie }),
    );
    expect(stored).toBe('{"cookie":""}');
  });

  it('finds the order by the passenger phone, with numbers masked', async () => {
    await page.getByLabel('Phone (A or B)').fill(PASSENGER);
    await page.getByRole('button', { name: 'Search' }).click();
    // The unfiltered list shows first; the search narrows it to the one order.
    await expect.poll(() => page.evaluate(() => window.location.hash)).toContain(PASSENGER);
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    const row = page.locator('tbody tr', { hasText: 'trip-browser-1' });
    expect(await row.textContent()).toContain('138****1111');
    expect(await row.textContent()).not.toContain(PASSENGER);
    expect(await lowContrast(page)).toEqual([]);
    await screenshot(page, '02-search');
  });

  it('opens the timeline: created, bound, routed, the call with its duration and cause', async () => {
    await page.getByRole('link', { name: 'trip-browser-1' }).click();
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    const timeline = page.locator('ol.timeline > li');
    await expect.poll(() => timeline.count()).toBeGreaterThanOrEqual(4);
    const text = (await timeline.allTextContents()).join('\n');
    expect(text).toContain('Created');
    expect(text).toContain('Bound at the provider');
    expect(text).toContain('Call routed: status');
    expect(text).toContain('A called B, 1 min 42 s');
    expect(text).toContain('16 normal clearing');
    // Who did each: the order service's key (here the all-roles test key), bind, the provider.
    expect(text).toMatch(/Call routed: status 1 from \w+\s*by tester/);
    expect(text).toMatch(/A called B.*by provider/);
    expect(await page.getByTestId('phone-a').textContent()).toBe('138****1111');
    // The search by phone number is recorded (as a reveal would be: issue 27); the masked
    // timeline is not.
    expect(await accessLog(binding.id)).toEqual([{ actor: 'ops', route: 'GET /v1/bindings' }]);
    expect(await lowContrast(page)).toEqual([]);
    await screenshot(page, '03-timeline');
  });

  it('reveals the numbers after confirmation, and the read is in the access log', async () => {
    await page.getByRole('button', { name: 'Reveal numbers' }).click();
    await page.getByRole('dialog').waitFor();
    await screenshot(page, '04-reveal-confirm');
    await page.getByRole('button', { name: 'Reveal and record' }).click();
    await expect.poll(() => page.getByTestId('phone-a').textContent()).toBe(PASSENGER);
    expect(await page.getByTestId('phone-b').textContent()).toBe(DRIVER);
    expect(await accessLog(binding.id)).toEqual([
      { actor: 'ops', route: 'GET /v1/bindings' },
      { actor: 'ops', route: 'GET /v1/bindings/:id' },
    ]);
    await screenshot(page, '05-revealed');
  });

  it('plays a call’s recording in an audio element from the provider’s storage, recording the access', async () => {
    const callId = String(recordedCall.call_id);
    const entry = page.locator('ol.timeline > li', { hasText: `call id ${callId}` });
    await entry.getByRole('button', { name: 'Play recording' }).click();
    const audio = entry.getByTestId('recording');
    await audio.waitFor();
    // The link is the simulator's signed storage URL: another origin, allowed as media-src only.
    const src = await audio.getAttribute('src');
    expect(src).toMatch(new RegExp(`^${f.sim.url.replace(/\/$/, '')}/oss/`));
    // Metadata loaded: the page's CSP let the browser fetch it (a blocked source never loads).
    await expect
      .poll(() => audio.evaluate((el: HTMLAudioElement) => (el.error ? -1 : el.duration || 0)))
      .toBeGreaterThan(0);
    expect(await accessLog(binding.id)).toContainEqual({
      actor: 'ops',
      route: 'GET /v1/calls/:callId/recording',
    });
    await screenshot(page, '05b-recording');
  });

  it('buys two numbers for the pool after confirmation', async () => {
    expect(await heldNumbers()).toBe(2);
    await page.getByRole('link', { name: 'Inventory' }).click();
    await page.getByLabel('Pool').selectOption(POOL);
    await page.getByRole('heading', { name: 'Stock by city and spec' }).waitFor();
    await page.locator('table tbody tr', { hasText: '杭州' }).first().waitFor();
    await page.getByLabel('How many').fill('2');
    await page.getByRole('button', { name: 'Buy…' }).click();
    await page.getByRole('dialog').waitFor();
    await page.getByRole('button', { name: 'Buy 2' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Bought 2 of 2');
    await expect.poll(heldNumbers).toBe(4);
    await expect.poll(() => page.getByRole('button', { name: /^Release / }).count()).toBe(4);
    expect(await lowContrast(page)).toEqual([]);
    await screenshot(page, '06-inventory');
  });

  it('shows operations: job runs, reconciliation backlog, provider circuit', async () => {
    await page.getByRole('link', { name: 'Operations' }).click();
    await page.getByRole('heading', { name: 'Scheduler jobs' }).waitFor();
    expect(await page.getByTestId('awaiting').textContent()).toBe('0');
    expect(await page.locator('.tile', { hasText: 'Provider circuit' }).textContent()).toContain(
      'closed',
    );
    // A row per scheduled job, as the API lists them.
    const ops = await http<{ jobs: Array<{ job: string }> }>(
      'GET',
      `${f.t.url}/v1/admin/operations`,
    );
    const rows = page.locator('tbody tr');
    expect(await rows.count()).toBe(ops.body.jobs.length);
    for (const { job } of ops.body.jobs)
      expect(await rows.filter({ hasText: job }).count()).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Run expiry now' }).click();
    await page.getByRole('dialog').waitFor();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect
      .poll(() => page.getByRole('status').textContent())
      .toMatch(/^expiry: .* in \d+ ms\.$/);
    await expect
      .poll(() => page.locator('tbody tr', { hasText: 'expiry' }).textContent())
      .toContain('done');
    // An idle pass (the service's word, whatever its bookkeeping counts) reads "nothing to do".
    const last = (
      await http<{ jobs: Array<{ job: string; last: { idle?: boolean } | null }> }>(
        'GET',
        `${f.t.url}/v1/admin/operations`,
      )
    ).body.jobs.find((j) => j.job === 'expiry')!.last!;
    const said = await page.getByRole('status').textContent();
    if (last.idle) expect(said).toMatch(/^expiry: nothing to do in \d+ ms\.$/);
    else expect(said).toMatch(/^expiry: expired \d+/);
    await screenshot(page, '07-operations');
  });

  it('erases a number after confirmation; one with a live binding is refused, its order named', async () => {
    const ended = await f.bind({ outId: 'trip-browser-3', phoneA: '13870003333' });
    expect((await http('DELETE', `${f.t.url}/v1/bindings/${ended.id}`)).status).toBe(200);
    const erase = async (phone: string) => {
      await page.getByLabel('Phone number').fill(phone);
      await page.getByRole('button', { name: 'Erase…' }).click();
      await page.getByRole('dialog').waitFor();
      await page.getByRole('button', { name: 'Erase', exact: true }).click();
    };
    await erase(DRIVER);
    await expect
      .poll(() => page.getByRole('alert').last().textContent())
      .toContain('trip-browser-1');
    await erase('13870003333');
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'erased' }).textContent())
      .toBe('138****3333 erased: 1 binding(s), 0 call(s).');
    const { rows } = await f.t.app
      .get(PrismaService)
      .pgPool.query<{ search: Record<string, string> }>(
        `SELECT search FROM access_log WHERE route = 'POST /v1/admin/erasures'`,
      );
    expect(rows.map((r) => r.search.erasure)).toEqual(['138****3333']);
  });

  it('fits a phone-width screen and is reachable by keyboard', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${f.t.url}/console/#/bindings?phone=${PASSENGER}`);
    await page.reload(); // a fresh document: keyboard focus starts at the top
    await page.locator('tbody tr', { hasText: 'trip-browser-1' }).waitFor();
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, '08-phone-search');
    // From the top: the skip link first, then the navigation, each focused visibly.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Bindings');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Inventory' }).waitFor();
    await page.getByLabel('Pool').selectOption(POOL);
    await page.locator('table tbody tr', { hasText: '杭州' }).first().waitFor();
    const phoneOverflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    expect(phoneOverflow).toBeLessThanOrEqual(0);
    await screenshot(page, '09-phone-inventory');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('registers a webhook receiver: the secret once, a test event it verifies, rotation, disabling', async () => {
    const receiver = await new WebhookReceiver().start();
    try {
      await page.getByRole('link', { name: 'Webhooks' }).click();
      await expect
        .poll(() => page.getByRole('row').filter({ hasText: 'No endpoints yet' }).count())
        .toBe(1);
      // Each event's checkbox stays on one line with its name, wide or on a phone: the row of
      // them wraps between events, never between a box and its name.
      const events = page.getByRole('group', { name: 'Events' }).locator('label');
      expect(await events.count()).toBeGreaterThan(4);
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 800 });
        for (const label of await events.all()) {
          const box = (await label.boundingBox())!;
          const check = (await label.getByRole('checkbox').boundingBox())!;
          expect(box.height, `${await label.textContent()} at ${width} px`).toBeLessThan(
            2 * check.height + 8,
          );
        }
      }
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.getByLabel('URL').fill(receiver.url);
      await page.getByRole('checkbox', { name: 'call.completed' }).check();
      await page.getByRole('button', { name: 'Create' }).click();
      const secret = (await page.getByTestId('secret').locator('code').textContent())!;
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/);
      const row = page.getByRole('row').filter({ hasText: receiver.url });
      await expect.poll(() => row.textContent()).toContain('call.completed');

      // A test event, delivered and signed as Standard Webhooks says (verified as a receiver
      // would, with the secret the page showed), then listed with its try and the answer.
      await row.getByRole('button', { name: 'Send test' }).click();
      await expect.poll(() => receiver.delivered.length).toBe(1);
      expect(WebhookReceiver.verify(receiver.delivered[0]!, secret)).toMatchObject({
        type: 'webhook.test',
      });
      const deliveries = page.getByTestId('deliveries');
      await expect
        .poll(async () => {
          await page.getByRole('button', { name: 'Refresh' }).click();
          return deliveries.textContent();
        })
        .toMatch(/webhook\.test.*succeeded.*#1 .*: 204/s);
      await screenshot(page, '09-webhooks');

      // A new secret, shown once; the old one still signs during the overlap.
      await row.getByRole('button', { name: 'Rotate secret' }).click();
      await expect
        .poll(() => page.getByTestId('secret').locator('code').textContent())
        .not.toBe(secret);
      await expect.poll(() => row.textContent()).toContain('rotating until');

      await row.getByRole('button', { name: 'Disable' }).click();
      await expect.poll(() => row.textContent()).toContain('disabled');
      await expect.poll(() => row.getByRole('button', { name: 'Enable' }).count()).toBe(1);
      // The secret is nowhere once the page is opened again.
      await page.reload();
      await expect.poll(() => row.textContent()).toContain('disabled');
      expect(await page.content()).not.toContain(secret);
    } finally {
      await receiver.close();
    }
  });

  it('signs out: the session ends on the server and the cookie is gone', async () => {
    const [before] = await context.cookies();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin API key').waitFor();
    expect(await context.cookies()).toEqual([]);
    // The old cookie, replayed, no longer works.
    const replay = await http<{ code: string }>('GET', `${f.t.url}/v1/pools`, undefined, {
      authorization: '',
      cookie: `${before!.name}=${before!.value}`,
    });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('SESSION_EXPIRED');
    await screenshot(page, '10-signed-out');
  });
});
