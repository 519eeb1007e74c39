import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AppLogger } from '../../src/logging/app-logger.js';
import { resolveLogFormat } from '../../src/logging/log-format.js';
import { createPino, type PinoOptions } from '../../src/logging/pino-logger.js';

/** A logger over a captured destination; `terminal` stands for "stdout is a TTY". */
function capture(options: Omit<PinoOptions, 'destination'>) {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  const pino = createPino('info', { ...options, destination });
  const lines = () => text.split('\n').filter((l) => l !== '');
  return { pino, nest: new AppLogger(pino), lines };
}

const isJson = (line: string) => {
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
};

describe('LOG_FORMAT', () => {
  it('auto follows the terminal; pretty and json are taken as said', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    for (const terminal of [true, false]) {
      expect(resolveLogFormat('pretty', terminal)).toBe('pretty');
      expect(resolveLogFormat('json', terminal)).toBe('json');
    }
  });

  it('on a terminal: one readable line per event, level and context in words, phones masked', () => {
    const log = capture({ format: 'auto', terminal: true });
    log.nest.log('axb-router listening on http://127.0.0.1:3000', 'Main');
    log.nest.warn('Caller 13812345678 refused', 'Routing');
    log.pino.info(
      {
        reqId: 'req-7',
        method: 'GET',
        route: '/v1/bindings',
        url: '/v1/bindings?phoneA=13900001111',
        status: 200,
        ms: 12,
        actor: 'ops',
      },
      'request completed',
    );
    const lines = log.lines();
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(isJson(line), line).toBe(false);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[Main\] axb-router listening on /);
    expect(lines[1]).toContain('WARN: [Routing] Caller 138****5678 refused');
    expect(lines[2]).toContain('INFO: GET /v1/bindings?phoneA=139****1111 → 200 12 ms');
    // Fields the line has not said yet follow as key=value; the request id verbatim.
    expect(lines[2]).toContain('reqId=req-7 actor=ops');
    expect(lines.join('\n')).not.toMatch(/13812345678|13900001111/);
  });

  it("on a terminal: an error's stack trace follows its line", () => {
    const log = capture({ format: 'pretty', terminal: true });
    const error = new Error('provider unreachable for 13812345678');
    log.nest.error('Bind failed', error.stack, 'BindService');
    log.nest.error(error);
    const text = log.lines().join('\n');
    expect(text).toMatch(
      /ERROR: \[BindService\] Bind failed\nError: provider unreachable for 138\*{4}5678\n\s+at /,
    );
    expect(text).toMatch(/ERROR: provider unreachable for 138\*{4}5678\n(.|\n)*\s+at /);
    expect(text).not.toContain('13812345678');
  });

  it('not on a terminal, or told json: JSON lines carrying the same masked record', () => {
    for (const options of [
      { format: 'auto', terminal: false },
      { format: 'json', terminal: true },
    ] as const) {
      const log = capture(options);
      log.nest.log('Caller 13812345678 dialled', 'Routing');
      log.pino.warn({ reqId: 'req-8', phoneB: '13900001111' }, 'refused');
      const lines = log.lines();
      expect(lines).toHaveLength(2);
      const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(first).toMatchObject({
        level: 30,
        context: 'Routing',
        msg: 'Caller 138****5678 dialled',
      });
      expect(second).toMatchObject({ level: 40, reqId: 'req-8', phoneB: '139****1111' });
    }
  });

  it('pretty asked for without pino-pretty installed: JSON lines, and one warning saying so', () => {
    const log = capture({ format: 'pretty', terminal: true, loadPretty: () => undefined });
    log.nest.log('first', 'Main');
    log.nest.log('second', 'Main');
    const records = log.lines().map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(records.map((r) => r.msg)).toEqual([
      expect.stringContaining('pino-pretty is not installed'),
      'first',
      'second',
    ]);
    expect(records[0]!.level).toBe(40);
  });

  it("keeps Nest's start-up chatter (modules, routes) out of the info level", () => {
    const log = capture({ format: 'json', terminal: false });
    log.nest.log('AppModule dependencies initialized', 'InstanceLoader');
    log.nest.log('Mapped {/health/live, GET} route', 'RouterExplorer');
    log.nest.log('Nest application successfully started', 'NestApplication');
    expect(log.lines().map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual([
      'Nest application successfully started',
    ]);
  });
});
