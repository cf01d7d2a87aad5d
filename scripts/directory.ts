// `npm run directory -- stats`: builds the national directory from the real divisions and prints the units
// per level. `npm run directory -- publish`: the same, then publishes every unit to the compacted `units`
// topic (the broker KAFKA_BROKERS names, else a local one started here and left running).
import { createBus } from '@petition/bus';
import { buildNationalDirectory, divisionsSource, levelNames, nationalDirectory } from '@petition/directory';
import { publishUnitRecords } from '@petition/directory-feed';
import { infraUp, loadInfraConfig } from '@petition/infra';
import { createLogger } from '@petition/logging';

const [command = 'stats'] = process.argv.slice(2);
if (command !== 'stats' && command !== 'publish') {
  process.stderr.write(`unknown command "${command}"; one of: stats, publish\n`);
  process.exit(2);
}

const logger = createLogger({ service: 'directory' });
const started = performance.now();
const national = buildNationalDirectory();
const directory = nationalDirectory(national, new Date());
const counts = directory.counts();
logger.info(
  {
    source: divisionsSource,
    regions: national.regions.length,
    ...counts,
    buildMs: Math.round(performance.now() - started),
  },
  'directory built',
);

function drawBar(done: number, total: number) {
  if (!process.stderr.isTTY) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(
    `\r[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${done.toLocaleString()}/${total.toLocaleString()} units`,
  );
  if (done === total) process.stderr.write('\n');
}

if (command === 'publish') {
  const config = loadInfraConfig();
  const broker = await infraUp(config, logger);
  const bus = createBus({
    brokers: broker.brokers,
    clientId: 'directory-publish',
    logger,
    topicPrefix: config.topicPrefix,
  });
  try {
    const publisher = await bus.publisher();
    const records = directory.records();
    await publishUnitRecords(publisher, records, { logger, onProgress: drawBar });
    logger.info(
      { topic: bus.topicName({ name: 'petition.units.v1' }), records: records.length },
      'directory published',
    );
  } finally {
    await bus.close();
  }
}

const rows = levelNames.map((level) => `  ${level.padEnd(11)}${counts.byLevel[level].toLocaleString().padStart(8)}`);
process.stdout.write(
  [
    `National unit directory (${divisionsSource}, ${national.regions.length.toLocaleString()} regions)`,
    ...rows,
    `  ${'total'.padEnd(11)}${counts.total.toLocaleString().padStart(8)}`,
    '',
  ].join('\n'),
);
