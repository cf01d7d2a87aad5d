// `npm run bench -- <name> [--records N]`: one benchmark, one JSON line on stdout (progress on stderr).
// The broker is the one KAFKA_BROKERS names, else a local one started (and stopped) here.
import { ensureBroker, loadInfraConfig, stopLocalKafka } from '@petition/infra';
import { createLogger } from '@petition/logging';
import { benchBus } from './bus.ts';

const benches = { bus: benchBus } as const;

const [name = '', ...rest] = process.argv.slice(2);
const bench = benches[name as keyof typeof benches];
if (!bench) {
  process.stderr.write(`unknown benchmark "${name}"; one of: ${Object.keys(benches).join(', ')}\n`);
  process.exit(2);
}
const flag = (f: string) => {
  const at = rest.indexOf(f);
  return at >= 0 ? rest[at + 1] : undefined;
};

const logger = createLogger({ service: 'bench', level: process.env.LOG_LEVEL ?? 'info' });
const config = loadInfraConfig();
const broker = await ensureBroker(config, logger.child({}, { level: 'warn' }));
try {
  const result = await bench({ brokers: broker.brokers, logger, records: Number(flag('--records') ?? 200_000) });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (result.lost) process.exitCode = 1;
} finally {
  if (broker.mode === 'local' && broker.startedBroker) await stopLocalKafka({ port: config.kafkaPort }, logger);
}
