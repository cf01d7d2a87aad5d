import { type Context, type ContextManager, context, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { createLogger } from './create-logger.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const destination = {
    write(line: string) {
      raw.push(line);
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
  return { lines, raw, destination };
}

describe('createLogger', () => {
  it('writes JSON lines with the service, an ISO time and the level name', () => {
    const { lines, destination } = capture();
    createLogger({ service: 'intake', destination }).info({ caseId: 'c-1' }, 'case accepted');
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({ service: 'intake', level: 'info', caseId: 'c-1', msg: 'case accepted' });
    expect(line?.pid).toBe(process.pid);
    expect(typeof line?.hostname).toBe('string');
    expect(new Date(String(line?.time)).toISOString()).toBe(line?.time);
  });

  it('keeps the service on child loggers', () => {
    const { lines, destination } = capture();
    createLogger({ service: 'routing', destination }).child({ component: 'consumer' }).warn('lagging');
    expect(lines[0]).toMatchObject({ service: 'routing', component: 'consumer', level: 'warn', msg: 'lagging' });
  });

  it('takes the level from the argument, else LOG_LEVEL, else info', () => {
    const levelOf = (options: { level?: string; env?: Record<string, string | undefined> }) => {
      const { lines, destination } = capture();
      const logger = createLogger({ service: 's', destination, env: {}, ...options });
      logger.debug('d');
      logger.info('i');
      logger.warn('w');
      return { level: logger.level, written: lines.map((line) => line.msg) };
    };
    expect(levelOf({})).toEqual({ level: 'info', written: ['i', 'w'] });
    expect(levelOf({ env: { LOG_LEVEL: 'debug' } })).toEqual({ level: 'debug', written: ['d', 'i', 'w'] });
    expect(levelOf({ env: { LOG_LEVEL: '' } }).level).toBe('info');
    expect(levelOf({ level: 'warn', env: { LOG_LEVEL: 'debug' } })).toEqual({ level: 'warn', written: ['w'] });
    expect(levelOf({ level: 'silent' }).written).toEqual([]);
  });

  it('names the source of an unknown level', () => {
    expect(() => createLogger({ service: 's', env: { LOG_LEVEL: 'verbose' } })).toThrow(
      'LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, silent, got "verbose"',
    );
    expect(() => createLogger({ service: 's', level: 'loud' })).toThrow(/^level: expected one of/);
  });

  it('serialises errors under err, with cause and extra properties', () => {
    const { lines, destination } = capture();
    const err = Object.assign(new Error('broker down', { cause: new Error('ECONNREFUSED') }), { code: 'BUS_DOWN' });
    createLogger({ service: 's', destination }).error({ err }, 'publish failed');
    expect(lines[0]?.err).toMatchObject({
      type: 'Error',
      code: 'BUS_DOWN',
      message: 'broker down: ECONNREFUSED',
      stack: expect.stringContaining('broker down'),
    });
  });

  describe('personal data', () => {
    const petitioner = { name: '张三', idNumber: '110101199003074514', phone: '13800138000', address: '北京市东城区' };
    const personal = [petitioner.name, petitioner.idNumber, petitioner.phone, petitioner.address, 's3cret', 'tkn-1'];

    it('never reaches a log line from logged objects', () => {
      const { raw, lines, destination } = capture();
      const logger = createLogger({ service: 's', destination });
      logger.info({ petitioner, caseId: 'c-1' }, 'case accepted');
      logger.info({ event: { payload: { petitioner } } }, 'event');
      logger.info({ batch: [{ petitioner }] }, 'batch');
      logger.info({ req: { headers: { authorization: 'Bearer tkn-1' } }, user: { password: 's3cret' } }, 'request');
      logger.info({ idNumber: petitioner.idNumber, phone: petitioner.phone, address: petitioner.address }, 'flat');
      for (const secret of personal) expect(raw.join('')).not.toContain(secret);
      expect(lines[0]).toMatchObject({
        caseId: 'c-1',
        petitioner: { name: '[Redacted]', idNumber: '[Redacted]', phone: '[Redacted]', address: '[Redacted]' },
      });
      expect(lines[3]).toMatchObject({ req: { headers: { authorization: '[Redacted]' } } });
    });

    it('never reaches a log line from child bindings', () => {
      const { raw, destination } = capture();
      const logger = createLogger({ service: 's', destination });
      const child = logger.child({ petitioner, token: 'tkn-1' });
      child.info('bound');
      child.child({ req: { headers: { authorization: 'Bearer tkn-1' } } }).info('grandchild');
      child.setBindings({ user: { password: 's3cret' } });
      child.info('rebound');
      expect(raw).toHaveLength(3);
      for (const secret of personal) expect(raw.join('')).not.toContain(secret);
    });

    it('never reaches a log line from error properties', () => {
      const { raw, lines, destination } = capture();
      const err = Object.assign(new Error('lookup failed'), {
        petitioner,
        config: { headers: { Authorization: 'Bearer tkn-1' } },
      });
      createLogger({ service: 's', destination }).error({ err }, 'failed');
      for (const secret of personal) expect(raw.join('')).not.toContain(secret);
      expect(lines[0]?.err).toMatchObject({ message: 'lookup failed', petitioner: { phone: '[Redacted]' } });
    });

    it('does not change the objects that were logged', () => {
      const { destination } = capture();
      const logged = { petitioner: { ...petitioner } };
      createLogger({ service: 's', destination }).info(logged, 'x');
      expect(logged.petitioner).toEqual(petitioner);
    });
  });
});

describe('trace ids in log lines', () => {
  it('writes the active span’s trace and span ids, and none outside a span', () => {
    // A context manager of the simplest kind (synchronous): enough for a line written inside `with`.
    let active: Context = ROOT_CONTEXT;
    const manager: ContextManager = {
      active: () => active,
      with(ctx, fn, thisArg, ...args) {
        const before = active;
        active = ctx;
        try {
          return fn.call(thisArg, ...args);
        } finally {
          active = before;
        }
      },
      bind: (_ctx, target) => target,
      enable() {
        return this;
      },
      disable() {
        return this;
      },
    };
    context.setGlobalContextManager(manager);
    try {
      const { lines, destination } = capture();
      const logger = createLogger({ service: 'routing', destination });
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const spanId = '00f067aa0ba902b7';
      const inSpan = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED });
      context.with(inSpan, () => logger.child({ component: 'consumer' }).info({ caseId: 'c-1' }, 'handled'));
      logger.info('outside');
      expect(lines[0]).toMatchObject({ traceId, spanId, caseId: 'c-1', msg: 'handled' });
      expect(lines[1]).not.toHaveProperty('traceId');
      expect(lines[1]).not.toHaveProperty('spanId');
    } finally {
      context.disable();
    }
  });
});
