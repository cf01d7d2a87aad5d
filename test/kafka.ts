// Test-side access to the broker the harness started (test/global-setup.ts).
export function testBrokers(): string[] {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) throw new Error('KAFKA_BROKERS is not set: run the tests through vitest with test/global-setup.ts');
  return brokers.split(',');
}
