// `npm start`: the local network. For now: the infrastructure (Kafka broker, Redis, topics); the services
// join here as they are built. Runs until Ctrl-C or SIGTERM, then stops what it started.
import { infraDown, infraUp, loadInfraConfig } from '@petition/infra';
import { createLogger } from '@petition/logging';

const logger = createLogger({ service: 'start' });
const config = loadInfraConfig();
const infra = await infraUp(config, logger);
process.stdout.write(
  [
    '',
    'Petition interconnect — local network',
    `  Kafka    ${infra.brokers.join(',')} (${infra.mode}${infra.startedBroker ? ', started now' : ', already running'})`,
    `  Redis    ${infra.redisUrl}`,
    `  Topics   ${infra.topics.length} under prefix "${config.topicPrefix}" with ${config.topicPartitions} partitions`,
    '  Services none yet',
    '',
    'Ctrl-C stops it.',
    '',
  ].join('\n'),
);

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping');
  if (infra.startedBroker) await infraDown(config, logger);
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
setInterval(() => {}, 1 << 30);
