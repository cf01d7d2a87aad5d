// `npm start`: the local network — the infrastructure (Kafka broker, Redis, topics) and each service built
// so far as its own process, restarted if it crashes. Runs until Ctrl-C or SIGTERM, then stops what it
// started.
import { type ChildProcess, spawn } from 'node:child_process';
import { infraDown, infraUp, loadInfraConfig } from '@petition/infra';
import { createLogger } from '@petition/logging';

const logger = createLogger({ service: 'start' });
const config = loadInfraConfig();
const infra = await infraUp(config, logger);
const intakePort = process.env.INTAKE_HTTP_PORT ?? '8080';
const trackingPort = process.env.TRACKING_HTTP_PORT ?? '8081';
const env = {
  TRACKING_INTAKE_URL: `http://127.0.0.1:${intakePort}`,
  ...process.env,
  KAFKA_BROKERS: infra.brokers.join(','),
  REDIS_URL: infra.redisUrl,
};

const services = [
  { name: 'intake', script: 'services/intake/src/main.ts' },
  { name: 'routing', script: 'services/routing/src/main.ts' },
  { name: 'deadline-watchdog', script: 'services/deadline-watchdog/src/main.ts' },
  { name: 'notification', script: 'services/notification/src/main.ts' },
  { name: 'tracking', script: 'services/tracking/src/main.ts' },
];
const children = new Map<string, ChildProcess>();
let stopping = false;

function run(service: (typeof services)[number]) {
  const child = spawn(process.execPath, [service.script], { env, stdio: 'inherit' });
  children.set(service.name, child);
  child.on('exit', (code, signal) => {
    children.delete(service.name);
    if (stopping) return;
    logger.warn({ service: service.name, code, signal }, 'service exited; restarting in 1 s');
    setTimeout(() => run(service), 1_000);
  });
}
for (const s of services) run(s);

process.stdout.write(
  [
    '',
    'Petition interconnect — local network',
    `  Kafka    ${infra.brokers.join(',')} (${infra.mode}${infra.startedBroker ? ', started now' : ', already running'})`,
    `  Redis    ${infra.redisUrl}`,
    `  Topics   ${infra.topics.length} under prefix "${config.topicPrefix}" with ${config.topicPartitions} partitions`,
    `  intake   http://localhost:${intakePort} (OpenAPI: /docs), gRPC localhost:${process.env.INTAKE_GRPC_PORT ?? '50051'}`,
    `  routing  http://localhost:${process.env.ROUTING_HTTP_PORT ?? '8090'}/readyz (applies case-commands, writes case-events)`,
    `  watchdog http://localhost:${process.env.WATCHDOG_HTTP_PORT ?? '8091'}/readyz (statutory clocks, writes deadline-events)`,
    `  tracking http://localhost:${trackingPort}/ (petitioner), /workbench (units), /supervision (KPIs, overdue), OpenAPI: /docs`,
    `  notify   http://localhost:${process.env.NOTIFY_HTTP_PORT ?? '8092'}/readyz (in-app inbox; SMS, mail, webhooks when configured)`,
    '  tokens   npm run token -- 330106-xfj',
    '',
    'Ctrl-C stops it.',
    '',
  ].join('\n'),
);

async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping');
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  if (infra.startedBroker) await infraDown(config, logger);
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
setInterval(() => {}, 1 << 30);
