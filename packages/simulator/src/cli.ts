// `npm run simulate -- <petitions per second> [--seconds N]`, or `npm start -- --simulate <n>`: plays the
// country against the network whose intake and tracking INTAKE_URL and TRACKING_URL name (default: the
// ports `npm start` uses). Ctrl-C or SIGTERM stops it with its totals.
import { signStaffToken, staffRoles } from '@petition/auth';
import { ensureNodeKeys } from '@petition/infra';
import { createLogger } from '@petition/logging';
import { federationPlay } from './federation-play.ts';
import { startSimulator } from './simulate.ts';

const args = process.argv.slice(2);
const rate = Number(args[0] ?? 10);
const at = args.indexOf('--seconds');
const seconds = at >= 0 ? Number(args[at + 1]) : undefined;
if (!Number.isInteger(rate) || rate < 1 || rate > 10_000 || (seconds !== undefined && !(seconds > 0))) {
  process.stderr.write('usage: simulate <petitions per second, 1–10000> [--seconds N]\n');
  process.exit(2);
}
const logger = createLogger({ service: 'simulator' });
// Across a local federation (`npm start -- --nodes`), SIMULATOR_NETWORK names its .local/network.json.
const federation = process.env.SIMULATOR_NETWORK ? federationPlay(process.env.SIMULATOR_NETWORK) : undefined;
const intakeUrl =
  federation?.nationalIntake ?? process.env.INTAKE_URL ?? `http://127.0.0.1:${process.env.INTAKE_HTTP_PORT ?? '8080'}`;
const trackingUrl =
  federation?.nationalTracking ??
  process.env.TRACKING_URL ??
  `http://127.0.0.1:${process.env.TRACKING_HTTP_PORT ?? '8081'}`;
// Started beside the services: it waits until they answer ready.
for (const url of federation?.urls ?? [intakeUrl, trackingUrl]) {
  const deadline = Date.now() + 300_000;
  while (
    (await fetch(`${url}/readyz`).then(
      (r) => r.status,
      () => 0,
    )) !== 200
  ) {
    if (Date.now() > deadline) throw new Error(`${url} was not ready within 5 minutes`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}
const node = ensureNodeKeys();
const sim = startSimulator({
  intakeUrl,
  trackingUrl,
  rate,
  // It plays every unit's staff, with every role, as the local node (npm start's key in .local/keys), or
  // across a federation as the node hosting the unit.
  staffToken: (unitId) => {
    const keys = federation?.keysOf(unitId) ?? node;
    return signStaffToken(
      { privateJwk: keys.privateJwk, issuer: keys.issuer },
      { staffId: `simulator@${unitId}`, unitId, roles: staffRoles },
    );
  },
  nodes: federation,
  logger,
  durationMs: seconds === undefined ? undefined : seconds * 1000,
});
logger.info({ rate }, 'simulator started');
const finish = async () => {
  logger.info(await sim.stop(), 'simulator stopped');
  process.exit(0);
};
process.on('SIGINT', () => void finish());
process.on('SIGTERM', () => void finish());
await sim.done;
await finish();
