import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { SharedClock } from '../support/clocks.js';
import type { TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { TEST_KEYS } from '../support/test-keys.js';
import { until } from '../support/until.js';
import { startRoutingFixture, type RoutingFixture } from './routing-fixture.js';

/**
 * Recordings and transcripts (issue 23, requirement 4) over HTTP: links from
 * QueryRecordFileDownloadUrl reused until shortly before they expire (the service's and the
 * simulator's clocks moved together), every hand-out recorded; transcripts from SecretAsrReport
 * messages (MNS) and from GetSecretAsrDetail on demand. The first instance consumes every queue
 * but SecretAsrReport's, so its transcripts come on demand; a second consumes that queue.
 */
const POOL = 'FCRECORDINGS';
let sim: TestSimulator | undefined;
const clock = new SharedClock({
  control: (method, path, body) => sim!.control(method, path, body),
});
let f: RoutingFixture;
let sql: pg.Client;
let asrConsumer: TestApp | undefined;

beforeAll(async () => {
  f = await startRoutingFixture({
    pool: POOL,
    clock,
    mns: true,
    buy: 1,
    sim: { cities: ['杭州'] },
    env: {
      MNS_MESSAGE_TYPES:
        'SecretReport,SecretRecording,SecretStartReport,SecretRingReport,SecretPickUpReport',
    },
  });
  sim = f.sim;
  sql = new pg.Client({ connectionString: f.t.config.database.url });
  await sql.connect();
});
afterAll(async () => {
  await asrConsumer?.close();
  await sql?.end();
  await f?.close();
});

const get = <T>(path: string, key: string = TEST_KEYS.admin) =>
  http<T & { code?: string; fields?: Array<{ field: string }> }>(
    'GET',
    `${f.t.url}${path}`,
    undefined,
    { authorization: `Bearer ${key}` },
  );
type Link = { url: string; expiresAt: string };
type Transcript = { callId: string; source: string; sentences: Array<{ text: string }> };

/** A recorded call on a fresh binding with ASR on, its recording reported ready. */
async function recordedCall(binding?: BindingView): Promise<{ b: BindingView; callId: string }> {
  const b = binding ?? (await f.bind({ poolKey: POOL, record: true, asrStatus: true }));
  const placed = await f.sim.control<{ records: Array<{ call_id: string }> }>('POST', '/calls', {
    subsId: b.subsId,
    caller: 'A',
    durationSeconds: 20,
    record: true,
    transcript: ['你好，我的包落在车上了', '好的，我帮你找一下'],
  });
  const callId = placed.records[0]!.call_id;
  await until(
    () => f.detail(b.id),
    (d) => d.calls.some((c) => c.callId === callId && c.recordingReadyAt !== null),
    'the recording reported ready',
  );
  return { b, callId };
}

const accessRows = async (callId: string) =>
  (
    await sql.query<{ actor: string; route: string; binding_ids: string[] }>(
      `SELECT actor, route, binding_ids FROM access_log WHERE call_id = $1 ORDER BY id`,
      [callId],
    )
  ).rows;

describe('recordings', () => {
  it('hands out one link until shortly before it expires, then a fresh one; every read recorded', async () => {
    const { b, callId } = await recordedCall();
    const signed = await f.sim.calls('QueryRecordFileDownloadUrl');

    const first = await get<Link>(`/v1/calls/${callId}/recording`, TEST_KEYS.safety);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(first.body).sort()).toEqual(['expiresAt', 'url']);
    // Valid 2 hours.
    expect(Date.parse(first.body.expiresAt) - clock.now().getTime()).toBeGreaterThan(7_100_000);
    const audio = await fetch(first.body.url);
    expect(audio.status).toBe(200);
    expect(audio.headers.get('content-type')).toContain('audio/');

    // Reused: the same link, the provider not asked again.
    await clock.forward(60 * 60 * 1000);
    const again = await get<Link>(`/v1/calls/${callId}/recording`);
    expect(again.body.url).toBe(first.body.url);
    expect(await f.sim.calls('QueryRecordFileDownloadUrl')).toBe(signed + 1);

    // Within RECORDING_LINK_REUSE_MARGIN_SECONDS (600) of its expiry: a fresh link.
    await clock.forward(51 * 60 * 1000);
    const fresh = await get<Link>(`/v1/calls/${callId}/recording`);
    expect(fresh.body.url).not.toBe(first.body.url);
    expect(await f.sim.calls('QueryRecordFileDownloadUrl')).toBe(signed + 2);
    // Past 2 hours the old link is refused by the provider's storage; the fresh one plays.
    await clock.forward(10 * 60 * 1000);
    expect((await fetch(first.body.url)).status).toBe(403);
    expect((await fetch(fresh.body.url)).status).toBe(200);

    expect(await accessRows(callId)).toEqual([
      { actor: 'safety-team', route: 'GET /v1/calls/:callId/recording', binding_ids: [b.id] },
      { actor: 'ops', route: 'GET /v1/calls/:callId/recording', binding_ids: [b.id] },
      { actor: 'ops', route: 'GET /v1/calls/:callId/recording', binding_ids: [b.id] },
    ]);
  });

  it('answers 404 RECORDING_NOT_READY for a call without one, and refuses other roles and bad ids', async () => {
    const b = await f.bind({ poolKey: POOL });
    const placed = await f.sim.control<{ records: Array<{ call_id: string }> }>('POST', '/calls', {
      subsId: b.subsId,
      caller: 'B',
      durationSeconds: 5,
    });
    const callId = placed.records[0]!.call_id;
    await until(
      () => f.detail(b.id),
      (d) => d.calls.length === 1,
      'the call record',
    );
    const signed = await f.sim.calls('QueryRecordFileDownloadUrl');
    const none = await get(`/v1/calls/${callId}/recording`);
    expect(none.status).toBe(404);
    expect(none.body.code).toBe('RECORDING_NOT_READY');
    const unknown = await get('/v1/calls/no-such-call/recording');
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
    const bad = await get('/v1/calls/bad%20id/recording');
    expect(bad.status).toBe(400);
    expect(bad.body.fields?.map((x) => x.field)).toEqual(['callId']);
    for (const key of [TEST_KEYS.order, TEST_KEYS.routing, TEST_KEYS.provider]) {
      const refused = await get(`/v1/calls/${callId}/recording`, key);
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('FORBIDDEN_ROLE');
    }
    expect(await f.sim.calls('QueryRecordFileDownloadUrl')).toBe(signed);
    expect(await accessRows(callId)).toEqual([]);
  });
});

describe('transcripts', () => {
  it('fetches one on demand (GetSecretAsrDetail), stores it, and records each read', async () => {
    const { callId } = await recordedCall();
    const asked = await f.sim.calls('GetSecretAsrDetail');
    const first = await get<Transcript>(`/v1/calls/${callId}/transcript`, TEST_KEYS.safety);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ callId, source: 'query', statusCode: '21050000' });
    expect(first.body.sentences.map((s) => s.text)).toEqual([
      '你好，我的包落在车上了',
      '好的，我帮你找一下',
    ]);
    const second = await get<Transcript>(`/v1/calls/${callId}/transcript`);
    expect(second.body).toEqual(first.body);
    expect(await f.sim.calls('GetSecretAsrDetail')).toBe(asked + 1);
    expect((await accessRows(callId)).map((r) => r.route)).toEqual([
      'GET /v1/calls/:callId/transcript',
      'GET /v1/calls/:callId/transcript',
    ]);
  });

  it('answers 404 TRANSCRIPT_NOT_READY for a recorded call whose binding had ASR off', async () => {
    const b = await f.bind({ poolKey: POOL, record: true });
    const { callId } = await recordedCall(b);
    const res = await get(`/v1/calls/${callId}/transcript`);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('TRANSCRIPT_NOT_READY');
  });

  it('stores SecretAsrReport from its queue, and the timeline says the call has a transcript', async () => {
    asrConsumer = await startTestApp(
      { ...f.sim.env, ...f.sim.mnsEnv, MNS_MESSAGE_TYPES: 'SecretAsrReport' },
      { clock, databaseUrl: f.t.config.database.url },
    );
    const { b, callId } = await recordedCall();
    const detail = await until(
      () => f.detail(b.id),
      (d) => d.calls.some((c) => c.callId === callId && c.transcriptReady === true),
      'the transcript through the queue',
    );
    expect(detail.calls.find((c) => c.callId === callId)).toMatchObject({
      recordingReadyAt: expect.any(String),
      transcriptReady: true,
    });
    const asked = await f.sim.calls('GetSecretAsrDetail');
    const res = await get<Transcript>(`/v1/calls/${callId}/transcript`);
    expect(res.body).toMatchObject({ callId, source: 'message' });
    expect(res.body.sentences.map((s) => s.text)).toContain('好的，我帮你找一下');
    expect(await f.sim.calls('GetSecretAsrDetail')).toBe(asked);
  });
});
