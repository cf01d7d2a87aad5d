import { describe, expect, it } from 'vitest';
import { quietUntil } from './quiet-hours.ts';

const at = (iso: string) => Date.parse(iso);

describe('quiet hours (Asia/Shanghai)', () => {
  it('holds a notice written at night until the morning, and lets a daytime one go at once', () => {
    expect(new Date(quietUntil(at('2026-11-23T23:10:00+08:00'), '22-7')).toISOString()).toBe(
      '2026-11-23T23:00:00.000Z',
    );
    expect(new Date(quietUntil(at('2026-11-24T06:59:00+08:00'), '22-7')).toISOString()).toBe(
      '2026-11-23T23:00:00.000Z',
    );
    expect(quietUntil(at('2026-11-24T07:00:00+08:00'), '22-7')).toBe(at('2026-11-24T07:00:00+08:00'));
    expect(quietUntil(at('2026-11-24T13:00:00+08:00'), '12-14')).toBe(at('2026-11-24T14:00:00+08:00'));
  });

  it('holds nothing when there are none', () => {
    const t = at('2026-11-23T23:10:00+08:00');
    expect(quietUntil(t, '')).toBe(t);
    expect(quietUntil(t, '0-0')).toBe(t);
  });
});
