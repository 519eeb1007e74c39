import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '../../src/generated/prisma/client.js';
import type { PrismaService } from '../../src/prisma/prisma.service.js';
import { openPrisma, unique } from '../support/prisma.js';

let prisma: PrismaService;
let poolKey: string;
const inAnHour = () => new Date(Date.now() + 3_600_000);

beforeAll(async () => {
  prisma = await openPrisma();
  poolKey = unique('FC');
  await prisma.pool.create({ data: { key: poolKey } });
});
afterAll(async () => {
  await prisma.onModuleDestroy();
});

function uniqueViolation(error: unknown): string | undefined {
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
    return JSON.stringify(error.meta);
  }
  return undefined;
}

async function expectUniqueViolation(promise: Promise<unknown>, index: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(uniqueViolation(error), `expected P2002 on ${index}, got ${String(error)}`).toBeDefined();
}

describe('schema.prisma and the migrated database agree', () => {
  it('writes and reads back every model with every field', async () => {
    const pool = await prisma.pool.create({ data: { key: unique('FC'), cityStrict: true } });
    expect(await prisma.pool.findUniqueOrThrow({ where: { key: pool.key } })).toEqual(pool);

    const number = await prisma.secretNumber.create({
      data: {
        poolKey: pool.key,
        number: unique('171'),
        spec: 1,
        city: '杭州',
        health: 'abnormal',
        healthAt: new Date(),
      },
    });
    const released = await prisma.secretNumber.update({
      where: { id: number.id },
      data: { state: 'released', releasedAt: new Date() },
    });
    expect(await prisma.secretNumber.findUniqueOrThrow({ where: { id: number.id } })).toEqual(
      released,
    );

    const binding = await prisma.binding.create({
      data: {
        poolKey: pool.key,
        outId: unique('order-'),
        phoneA: '13800000001',
        phoneB: '057188880000',
        phoneX: '17100000001',
        subsId: unique('subs'),
        city: '杭州',
        cityStrict: true,
        record: true,
        state: 'active',
        expiresAt: inAnHour(),
        endedAt: null,
        owner: 'order-service',
      },
    });
    const event = await prisma.bindingEvent.create({
      data: {
        bindingId: binding.id,
        kind: 'created',
        actor: 'test',
        details: { nested: { a: [1, 2] } },
      },
    });
    const read = await prisma.binding.findUniqueOrThrow({
      where: { id: binding.id },
      include: { events: true },
    });
    expect(read).toEqual({ ...binding, events: [event] });

    const hint = await prisma.xLoadHint.create({
      data: { number: number.number, pairs: 3, countedAt: new Date() },
    });
    expect(await prisma.xLoadHint.findUniqueOrThrow({ where: { number: hint.number } })).toEqual(
      hint,
    );
    expect(read.events[0]!.details).toEqual({ nested: { a: [1, 2] } });
  });

  it('writes and reads back the call-control, trip and safety models with every field', async () => {
    const pool = await prisma.pool.create({ data: { key: unique('FC') } });
    const number = await prisma.secretNumber.create({
      data: {
        poolKey: pool.key,
        number: unique('172'),
        spec: 2,
        city: '杭州',
        lockedAt: new Date(),
        lockedBy: 'safety-team',
      },
    });
    expect(await prisma.secretNumber.findUniqueOrThrow({ where: { id: number.id } })).toEqual(
      number,
    );
    const binding = await prisma.binding.create({
      data: {
        poolKey: pool.key,
        outId: unique('order-'),
        phoneA: '13800000021',
        phoneB: '13800000022',
        phoneX: number.number,
        subsId: unique('subs'),
        state: 'active',
        expiresAt: inAnHour(),
        record: true,
        outOrderId: 'ORD-1',
        callRestrict: 'CONTROL_BX_DISABLE',
        callDisplayType: 1,
        callTimeout: 12,
        ringConfig: { AXBRing_A: '100000001' },
        dtmfConfig: { step1File: 'a.wav', validKey: '1' },
        asrStatus: true,
        asrModelId: 'm1',
        tripEndedAt: new Date(),
        contactUntil: inAnHour(),
        contactWindow: {
          create: { closesAt: inAnHour(), actor: 'order-service', requestId: 'r1' },
        },
      },
      include: { contactWindow: true },
    });
    expect(
      await prisma.binding.findUniqueOrThrow({
        where: { id: binding.id },
        include: { contactWindow: true },
      }),
    ).toEqual(binding);

    const transcript = await prisma.callTranscript.create({
      data: {
        callId: unique('call-'),
        poolKey: pool.key,
        secretNo: number.number,
        statusCode: '21050000',
        bizDurationMs: 1200,
        sentences: [{ text: '你好', beginTimeMs: 0 }],
        source: 'message',
        receivedAt: new Date(),
      },
    });
    expect(
      await prisma.callTranscript.findUniqueOrThrow({ where: { callId: transcript.callId } }),
    ).toEqual(transcript);
    const recording = await prisma.callRecording.create({
      data: {
        callId: transcript.callId,
        downloadUrl: 'https://b.oss-cn-shanghai.aliyuncs.com/x.wav?Expires=1',
        downloadUrlExpiresAt: inAnHour(),
      },
    });
    expect(
      await prisma.callRecording.findUniqueOrThrow({ where: { callId: recording.callId } }),
    ).toEqual(recording);

    const now = new Date();
    const entry = await prisma.poolBlacklistEntry.create({
      data: {
        poolKey: pool.key,
        blackType: 'POINT_TO_POINT_BLACK',
        phone: '13800000021',
        peerPhone: '13800000022',
        wayControl: 'PHONEA_REJECT',
        direction: 'incoming',
        remark: 'r',
        createdBy: 'safety-team',
        createdAt: now,
        updatedAt: now,
      },
    });
    expect(await prisma.poolBlacklistEntry.findUniqueOrThrow({ where: { id: entry.id } })).toEqual(
      entry,
    );
    await expectUniqueViolation(
      prisma.poolBlacklistEntry.create({ data: { ...entry, id: undefined, remark: 'again' } }),
      'pool_blacklist_entry_key',
    );
  });

  it('writes and reads back the provider message models with every field', async () => {
    const pool = await prisma.pool.create({ data: { key: unique('FC') } });
    const binding = await prisma.binding.create({
      data: {
        poolKey: pool.key,
        outId: unique('order-'),
        phoneA: '13800000011',
        phoneB: '13800000012',
        phoneX: '13000000011',
        expiresAt: inAnHour(),
      },
    });
    const at = (s: number) => new Date(Date.UTC(2026, 10, 22, 12, 0, s));
    const callId = `${unique('c')}${'x'.repeat(60)}`.slice(0, 100);
    const record = await prisma.callRecord.create({
      data: {
        callId,
        bindingId: binding.id,
        subId: '1000000000000001',
        outId: 'o',
        poolKey: pool.key,
        phoneNo: '13800000011',
        peerNo: '13800000012',
        secretNo: '17100000001',
        callType: 4,
        callTime: at(1),
        startTime: at(9),
        releaseTime: at(9),
        releaseDir: 0,
        releaseCause: 21,
        recordUrl: 'https://r/1.mp3',
        raw: { call_id: callId, city: '杭州' },
        reportId: '1014568510001',
        partnerKey: pool.key,
        calledDisplayNo: '17100000001',
        city: '杭州',
        callOutTime: at(2),
        ringTime: at(3),
        freeRingTime: at(4),
        unconnectedCause: 1,
        smsNumber: 0,
        controlType: 'REJECT',
        controlMsg: '拦截',
        ringRecordUrl: 'https://r/1-ring.mp3',
        recordingReadyAt: at(20),
      },
    });
    expect(await prisma.callRecord.findUniqueOrThrow({ where: { id: record.id } })).toEqual(record);

    const recording = await prisma.callRecording.create({
      data: { callId, subId: '1', poolKey: pool.key, outId: 'o', callTime: at(1) },
    });
    expect(await prisma.callRecording.findUniqueOrThrow({ where: { callId } })).toEqual(recording);

    const progress = await prisma.callProgress.create({
      data: { callId, stage: 'ringing', bindingId: binding.id, subId: '1', at: at(3) },
    });
    expect(
      await prisma.binding.findUniqueOrThrow({
        where: { id: binding.id },
        include: { progress: true },
      }),
    ).toMatchObject({ progress: [progress] });
    await expectUniqueViolation(
      prisma.callProgress.create({ data: { callId, stage: 'ringing', bindingId: binding.id } }),
      'call_progress_call_id_stage_key',
    );

    const letter = await prisma.deadLetter.create({
      data: {
        source: 'queue',
        messageType: 'SecretReport',
        messageId: unique('m'),
        reason: 'call_id missing',
        payload: '{"peer_no":"138****0012","x":"\\u0000"}',
        attempts: 5,
      },
    });
    expect(await prisma.deadLetter.findUniqueOrThrow({ where: { id: letter.id } })).toEqual(letter);
    await expectUniqueViolation(
      prisma.deadLetter.create({
        data: { ...letter, id: undefined, receivedAt: undefined },
      }),
      'dead_letters_message_id_key',
    );
  });
});

describe('invariants enforced by the database', () => {
  const live = (
    over: Partial<Prisma.BindingUncheckedCreateInput>,
  ): Prisma.BindingUncheckedCreateInput => ({
    poolKey,
    outId: unique('order-'),
    phoneA: '13900000001',
    phoneB: '13900000002',
    phoneX: unique('170'),
    state: 'pending',
    expiresAt: inAnHour(),
    ...over,
  });

  it('rejects a second live binding for the same (pool, outId), allows it once the first ended', async () => {
    const outId = unique('order-');
    const first = await prisma.binding.create({ data: live({ outId }) });
    await expectUniqueViolation(
      prisma.binding.create({ data: live({ outId, phoneA: '13900000003' }) }),
      'bindings_live_out_id_key',
    );
    await prisma.binding.update({ where: { id: first.id }, data: { state: 'unbound' } });
    await expect(prisma.binding.create({ data: live({ outId }) })).resolves.toMatchObject({
      outId,
    });
  });

  it('rejects two live bindings on one X sharing A, or sharing B', async () => {
    const phoneX = unique('170');
    await prisma.binding.create({
      data: live({ phoneX, phoneA: '13700000001', phoneB: '13700000002' }),
    });
    await expectUniqueViolation(
      prisma.binding.create({
        data: live({ phoneX, phoneA: '13700000001', phoneB: '13700000003' }),
      }),
      'bindings_live_x_a_key',
    );
    await expectUniqueViolation(
      prisma.binding.create({
        data: live({ phoneX, phoneA: '13700000004', phoneB: '13700000002' }),
      }),
      'bindings_live_x_b_key',
    );
    // Different parties on the same X are fine (one X serves many pairs).
    await expect(
      prisma.binding.create({
        data: live({ phoneX, phoneA: '13700000005', phoneB: '13700000006' }),
      }),
    ).resolves.toBeDefined();
  });

  it('frees the (X, A) and (X, B) pairs once a binding is no longer live', async () => {
    const phoneX = unique('170');
    const first = await prisma.binding.create({ data: live({ phoneX }) });
    await prisma.binding.update({ where: { id: first.id }, data: { state: 'expired' } });
    await expect(prisma.binding.create({ data: live({ phoneX }) })).resolves.toBeDefined();
  });

  it('rejects A equal to B, and an active binding without SubsId', async () => {
    await expect(
      prisma.binding.create({ data: live({ phoneA: '13600000001', phoneB: '13600000001' }) }),
    ).rejects.toThrow(/bindings_parties_check/);
    await expect(prisma.binding.create({ data: live({ state: 'active' }) })).rejects.toThrow(
      /bindings_active_check/,
    );
  });

  it('holds one number in at most one pool at a time', async () => {
    const number = unique('171');
    await prisma.secretNumber.create({ data: { poolKey, number, spec: 1, city: '北京' } });
    await expectUniqueViolation(
      prisma.secretNumber.create({ data: { poolKey, number, spec: 1, city: '北京' } }),
      'secret_numbers_held_number_key',
    );
  });
});
