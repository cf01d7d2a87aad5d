// `npm run token -- <unitId> [--role handler] [--role reviewer] [--staff <id>] [--ttl 8h]`: prints a staff
// token (a JWT) for the local network on stdout, signed with the local node's key (.local/keys, made on
// first use; with --node <id>, that node's of a local federation in .local/keys/<id>); without --role it carries every role, which is what one person trying the network wants.
// Refuses a unit the directory does not know and a role that does not exist.
import { parseArgs } from 'node:util';
import { AuthError, parseRoles, signStaffToken, staffRoles } from '@petition/auth';
import { formatDurationMs, parseDurationMs } from '@petition/config';
import { buildNationalDirectory } from '@petition/directory';
import { ensureNodeKeys, localDir } from '@petition/infra';

const usage = 'usage: npm run token -- <unitId> [--role <role>]… [--staff <id>] [--ttl 8h] [--node <id>]';

function refuse(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(2);
}

function parseCommandLine() {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: {
        role: { type: 'string', multiple: true },
        staff: { type: 'string', default: 'local' },
        ttl: { type: 'string', default: '8h' },
        node: { type: 'string' },
      },
    });
  } catch (error) {
    refuse((error as Error).message);
  }
}

const { positionals, values } = parseCommandLine();
if (positionals.length !== 1) refuse('give exactly one unit id, such as 330106-rsj (region code - unit code)');
const [unitId = ''] = positionals;

let roles: (typeof staffRoles)[number][];
try {
  roles = values.role ? parseRoles(values.role.join(',')) : [...staffRoles];
} catch (error) {
  refuse(error instanceof AuthError ? error.message : String(error));
}
const ttlMs = parseDurationMs(values.ttl);
if (!ttlMs || ttlMs % 1000 !== 0) refuse(`--ttl "${values.ttl}": a whole number of seconds or more, such as 30m or 8h`);

const unit = buildNationalDirectory().units.find((u) => u.unitId === unitId);
if (!unit) refuse(`unknown unit "${unitId}": give a unit id such as 330106-rsj (region code - unit code)`);

// A node of a local federation (`npm start -- --nodes`) signs its own staff's tokens with its own key.
if (values.node !== undefined && !/^(national|[1-9][0-9])$/.test(values.node)) {
  refuse(`--node "${values.node}": national or a province code such as 33`);
}
const keys = values.node ? ensureNodeKeys(localDir('keys', values.node), values.node) : ensureNodeKeys();
const now = new Date();
const token = signStaffToken(keys, { staffId: values.staff, unitId, roles }, { now, ttlSeconds: ttlMs / 1000 });
const until = new Date(now.getTime() + ttlMs).toISOString();
process.stderr.write(
  `staff token of ${values.staff} at ${unit.unitId} ${unit.name} as ${roles.join(', ')}, ` +
    `signed by ${keys.issuer}, valid ${formatDurationMs(ttlMs)} (until ${until}):\n`,
);
process.stdout.write(`${token}\n`);
