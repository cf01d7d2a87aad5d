// `npm run infra:up` / `npm run infra:down`: the local Kafka broker, Redis and the topics.
import { createLogger } from '@petition/logging';
import { infraDown, infraUp } from './infra.ts';
import { loadInfraConfig } from './infra-config.ts';

const logger = createLogger({ service: 'infra' });
const command = process.argv[2];
try {
  const config = loadInfraConfig();
  if (command === 'up') {
    const infra = await infraUp(config, logger);
    logger.info({ ...infra, topics: infra.topics.length }, 'infrastructure ready');
    process.stdout.write(`KAFKA_BROKERS=${infra.brokers.join(',')}\nREDIS_URL=${infra.redisUrl}\n`);
  } else if (command === 'down') {
    const stopped = await infraDown(config, logger);
    process.stdout.write(stopped ? 'broker stopped\n' : 'no broker of this project was running\n');
  } else {
    process.stderr.write('usage: infra up|down\n');
    process.exitCode = 2;
  }
} catch (err) {
  logger.error({ err }, 'infrastructure command failed');
  process.exitCode = 1;
}
