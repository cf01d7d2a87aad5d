// `npm run infra:up` / `npm run infra:down`: the local Kafka broker, Redis (redis-server started where none
// answers at a local REDIS_URL) and the topics.
import { dirname, join } from 'node:path';
import { createLogger } from '@petition/logging';
import { redisUrlForLogs } from '@petition/runtime';
import { infraDown, infraUp, redisDown } from './infra.ts';
import { loadInfraConfig } from './infra-config.ts';

const logger = createLogger({ service: 'infra' });
const command = process.argv[2];
try {
  const config = loadInfraConfig();
  if (command === 'up') {
    const infra = await infraUp(config, logger);
    // REDIS_URL may carry the password: masked in the log and on the output alike.
    const redisUrl = redisUrlForLogs(infra.redisUrl);
    logger.info(
      { ...infra, redisUrl, secure: infra.secure?.brokers, topics: infra.topics.length },
      'infrastructure ready',
    );
    process.stdout.write(`KAFKA_BROKERS=${infra.brokers.join(',')}\nREDIS_URL=${redisUrl}\n`);
    if (infra.startedRedis)
      process.stdout.write(`# redis-server started (data in ${infra.localRedis?.dir}); npm run infra:down stops it\n`);
    if (infra.secure) {
      // The SASL_SSL listener's settings as a service would take them; the password stays in its 0600 file.
      const { brokers, caFile, username } = infra.secure;
      process.stdout.write(
        `# SASL_SSL: KAFKA_BROKERS=${brokers.join(',')} KAFKA_SECURITY_PROTOCOL=SASL_SSL KAFKA_TLS_CA=${caFile} ` +
          `KAFKA_SASL_USERNAME=${username} KAFKA_SASL_PASSWORD=<password in ${join(dirname(caFile), 'scram-user.json')}>\n`,
      );
    }
  } else if (command === 'down') {
    const stopped = await infraDown(config, logger);
    process.stdout.write(stopped ? 'broker stopped\n' : 'no broker of this project was running\n');
    if (await redisDown(config, logger)) process.stdout.write('redis-server stopped\n');
  } else {
    process.stderr.write('usage: infra up|down\n');
    process.exitCode = 2;
  }
} catch (err) {
  logger.error({ err }, 'infrastructure command failed');
  process.exitCode = 1;
}
