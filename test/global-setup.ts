// Starts the real broker once for the whole test run (unless KAFKA_BROKERS names one) and hands its
// address to the test files through KAFKA_BROKERS. A broker this run started is stopped at the end;
// one found running (from `npm run infra:up`) is left running.
import { ensureBroker, loadInfraConfig, stopLocalKafka } from '@petition/infra';
import { createLogger } from '@petition/logging';

export default async function setup() {
  const logger = createLogger({ service: 'test-harness', level: process.env.LOG_LEVEL ?? 'warn' });
  const config = loadInfraConfig();
  const started = Date.now();
  const broker = await ensureBroker(config, logger);
  process.env.KAFKA_BROKERS = broker.brokers.join(',');
  process.env.TEST_BROKER_MODE = broker.mode;
  process.stderr.write(
    `[test-harness] Kafka at ${process.env.KAFKA_BROKERS} (${broker.mode}, ${broker.startedBroker ? 'started' : 'reused'} in ${Date.now() - started} ms)\n`,
  );
  return async () => {
    if (broker.mode === 'local' && broker.startedBroker) await stopLocalKafka({ port: config.kafkaPort }, logger);
  };
}
