// Shared by the bus's integration tests (not part of the package API).
import { randomUUID } from 'node:crypto';
import { CaseEvent } from '@petition/contract';
import { createLogger } from '@petition/logging';
import { waitFor } from '@petition/testing';

export function testBrokers(): string[] {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) throw new Error('KAFKA_BROKERS is not set: run the tests through vitest (test/global-setup.ts)');
  return brokers.split(',');
}

export const testLogger = () => createLogger({ service: 'bus-test', level: process.env.LOG_LEVEL ?? 'warn' });

export const redisUrl = () => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A case event of another payload case than `caseAccepted`. */
export function caseForwarded(caseId: string, version: number, eventId = randomUUID()): CaseEvent {
  return CaseEvent.fromPartial({
    envelope: { eventId, caseId, caseVersion: version, occurTime: new Date(), producer: 'bus-test' },
    custodyUnitId: 'u-330100-petition',
    payload: { $case: 'caseForwarded', value: {} },
  });
}

/** A case event with a recognisable id, key and version. */
export function caseAccepted(caseId: string, version: number, eventId = randomUUID()): CaseEvent {
  return CaseEvent.fromPartial({
    envelope: { eventId, caseId, caseVersion: version, occurTime: new Date(), producer: 'bus-test' },
    custodyUnitId: 'u-330100-petition',
    payload: { $case: 'caseAccepted', value: {} },
  });
}

export { waitFor };
