// `npm run token -- <unitId> [--role handler] [--role reviewer] [--staff <id>] [--ttl 8h]`: prints a staff
// token (a JWT) for the local network on stdout, signed with the local node's key (.local/keys, made on
// first use; with --node <id>, that node's of a local federation in .local/keys/<id>); without --role it carries every role, which is what one person trying the network wants.
// Refuses a unit the directory does not know and a role that does not exist. `petition token` does the same
// (both call issueStaffToken of @petition/cli).
import { parseArgs } from 'node:util';
import { describeStaffToken, issueStaffToken, StaffTokenRequestError } from '@petition/cli';

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
try {
  const issued = issueStaffToken({
    unitId: positionals[0] ?? '',
    roles: values.role,
    staffId: values.staff,
    ttl: values.ttl,
    nodeId: values.node,
  });
  process.stderr.write(`${describeStaffToken(issued)}:\n`);
  process.stdout.write(`${issued.token}\n`);
} catch (error) {
  if (error instanceof StaffTokenRequestError) refuse(error.message);
  throw error;
}
