// `npm run integrator -- <clientId> <unitId> [--name <name>] [--personal-data] [--allow-private-targets]`: makes an
// integrator's credentials for TRACKING_INTEGRATORS. Prints the secret once (give it to the integrator; it is not
// kept) and, on stdout, the entry to add to the JSON array — with the secret's SHA-256, never the secret itself.
// Refuses a client id of the wrong shape and a unit the directory does not know.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { buildNationalDirectory } from '@petition/directory';
import {
  integratorScopes,
  parseIntegrators,
  secretDigest,
} from '../services/tracking/src/subscriptions/integrators.ts';

const usage =
  'usage: npm run integrator -- <clientId> <unitId> [--name <name>] [--personal-data] [--allow-private-targets]';

function refuse(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(2);
}

let parsed: ReturnType<
  typeof parseArgs<{
    allowPositionals: true;
    options: {
      name: { type: 'string' };
      'personal-data': { type: 'boolean' };
      'allow-private-targets': { type: 'boolean' };
    };
  }>
>;
try {
  parsed = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      'personal-data': { type: 'boolean' },
      'allow-private-targets': { type: 'boolean' },
    },
  });
} catch (error) {
  refuse((error as Error).message);
}
const [clientId, unitId] = parsed.positionals;
if (!clientId || !unitId || parsed.positionals.length > 2) refuse('give a client id and the unit it reads for');
if (!buildNationalDirectory().units.some((u) => u.unitId === unitId)) refuse(`no unit ${unitId} in the directory`);
const secret = randomBytes(24).toString('base64url');
const entry = {
  clientId,
  name: parsed.values.name ?? clientId,
  unitId,
  scopes: [integratorScopes.events, ...(parsed.values['personal-data'] ? [integratorScopes.personalData] : [])],
  secretSha256: secretDigest(secret).toString('hex'),
  ...(parsed.values['allow-private-targets'] ? { allowPrivateTargets: true } : {}),
};
try {
  // The entry is checked the way tracking reads it at start.
  parseIntegrators(JSON.stringify([entry]));
} catch (error) {
  refuse((error as Error).message.replace('TRACKING_INTEGRATORS[0]', 'the integrator'));
}
process.stderr.write(`secret for ${clientId} (shown once; give it to the integrator): ${secret}\n`);
process.stdout.write(`${JSON.stringify(entry)}\n`);
