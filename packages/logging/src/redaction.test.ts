import { describe, expect, it } from 'vitest';
import { redactPersonalData } from './redaction.ts';

describe('redactPersonalData', () => {
  it('redacts personal data and credentials at any depth, whatever the case of the key', () => {
    const input = {
      idNumber: '110101199003074514',
      case: {
        petitioner: { name: '张三', phone: '13800138000', IDNumber: '110101199003074514', address: '北京市' },
        history: [[{ meta: { deep: { deeper: { token: 't-1' } } } }]],
      },
      req: { headers: { Authorization: 'Bearer abc', cookie: 'sid=1', accept: 'application/json' } },
      credentials: { password: 'hunter2' },
    };
    expect(redactPersonalData(input)).toEqual({
      idNumber: '[Redacted]',
      case: {
        petitioner: { name: '[Redacted]', phone: '[Redacted]', IDNumber: '[Redacted]', address: '[Redacted]' },
        history: [[{ meta: { deep: { deeper: { token: '[Redacted]' } } } }]],
      },
      req: { headers: { Authorization: '[Redacted]', cookie: '[Redacted]', accept: 'application/json' } },
      credentials: { password: '[Redacted]' },
    });
  });

  it('redacts a name only where it is a petitioner’s', () => {
    const input = {
      name: 'intake',
      topic: { name: 'petition.v1.case' },
      petitioners: [{ name: '李四', role: 'primary' }],
      event: { petitioner: { name: '王五', region: '110000' } },
    };
    expect(redactPersonalData(input)).toEqual({
      name: 'intake',
      topic: { name: 'petition.v1.case' },
      petitioners: [{ name: '[Redacted]', role: 'primary' }],
      event: { petitioner: { name: '[Redacted]', region: '110000' } },
    });
  });

  it('never changes its input, and returns it as is when there is nothing to redact', () => {
    const clean = { topic: 't', offsets: [1, 2, 3], nested: { ok: true } };
    expect(redactPersonalData(clean)).toBe(clean);
    const dirty = { keep: { same: 1 }, petitioner: { phone: '1' } };
    const result = redactPersonalData(dirty);
    expect(dirty.petitioner.phone).toBe('1');
    expect(result.keep).toBe(dirty.keep);
  });

  it('leaves primitives, class instances and cycles alone', () => {
    expect(redactPersonalData('phone')).toBe('phone');
    expect(redactPersonalData(null)).toBeNull();
    const date = new Date(0);
    expect(redactPersonalData({ at: date }).at).toBe(date);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(redactPersonalData(cyclic)).toBe(cyclic);
  });
});
