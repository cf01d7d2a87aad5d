// `npm run bench -- <name> [--records N]`: one benchmark, one JSON line on stdout (progress on stderr).
// Benchmarks that need Kafka use the broker KAFKA_BROKERS names, else a local one started (and stopped)
// here; in-process ones (domain) start nothing; the watchdog's needs only Redis.
import { ensureBroker, loadInfraConfig, stopLocalKafka } from '@petition/infra';
import { createLogger, type Logger } from '@petition/logging';
import { benchBus } from './bus.ts';
import { benchDomain } from './domain.ts';
import { benchE2e } from './e2e.ts';
import { benchIntake } from './intake.ts';
import { benchNodes } from './nodes.ts';
import { benchNotification } from './notification.ts';
import { benchRouting } from './routing.ts';
import { benchRoutingRestart } from './routing-restart.ts';
import { benchSituation } from './situation.ts';
import { benchSubscriptions } from './subscriptions.ts';
import { benchTracking } from './tracking.ts';
import { benchWatchdogStore } from './watchdog.ts';

type Result = { lost?: boolean } & Record<string, unknown>;
type BrokerBench = (o: { brokers: string[]; logger: Logger; records: number }) => Promise<Result>;
type LocalBench = (o: { logger: Logger; records: number }) => Result;
type RedisBench = (o: { logger: Logger; records: number; redisUrl: string }) => Promise<Result>;
type Bench = ({ broker: BrokerBench } | { local: LocalBench } | { redis: RedisBench }) & { records?: number };
const benches: Record<string, Bench> = {
  bus: { broker: benchBus },
  domain: { local: benchDomain },
  intake: { broker: benchIntake },
  routing: { broker: benchRouting },
  'routing-restart': { broker: benchRoutingRestart, records: 100_000 },
  notification: { broker: benchNotification },
  tracking: { broker: benchTracking, records: 20_000 },
  watchdog: { redis: benchWatchdogStore },
  e2e: { broker: benchE2e, records: 5_000 },
  nodes: { broker: benchNodes, records: 2_000 },
  subscriptions: { broker: benchSubscriptions, records: 100_000 },
  situation: { broker: benchSituation, records: 100_000 },
};

const [name = '', ...rest] = process.argv.slice(2);
const bench = benches[name];
if (!bench) {
  process.stderr.write(`unknown benchmark "${name}"; one of: ${Object.keys(benches).join(', ')}\n`);
  process.exit(2);
}
const flag = (f: string) => {
  const at = rest.indexOf(f);
  return at >= 0 ? rest[at + 1] : undefined;
};

// Progress on standard error, so that standard output holds the one result line.
const logger = createLogger({ service: 'bench', level: process.env.LOG_LEVEL ?? 'info', destination: process.stderr });
const records = flag('--records');

async function run(): Promise<Result> {
  if (bench && 'local' in bench) return bench.local({ logger, records: Number(records ?? 160_000) });
  const config = loadInfraConfig();
  if (bench && 'redis' in bench)
    return bench.redis({ logger, records: Number(records ?? 1_000_000), redisUrl: config.redisUrl });
  const broker = await ensureBroker(config, logger.child({}, { level: 'warn' }));
  try {
    return await (bench as { broker: BrokerBench }).broker({
      brokers: broker.brokers,
      logger,
      records: Number(records ?? bench?.records ?? 200_000),
    });
  } finally {
    if (broker.mode === 'local' && broker.startedBroker) await stopLocalKafka({ port: config.kafkaPort }, logger);
  }
}

const result = await run();
process.stdout.write(`${JSON.stringify(result)}\n`);
if (result.lost) process.exitCode = 1;
