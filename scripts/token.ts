// `npm run token -- <unitId> [staffId]`: prints a unit token for the local network, signed with the first of
// UNIT_TOKEN_KEYS (intake's development key when unset). Refuses a unit the directory does not know.
import { parseTokenKeys, signUnitToken } from '@petition/auth';
import { buildNationalDirectory } from '@petition/directory';
import { loadIntakeConfig } from '@petition/intake';

const [unitId = '', staffId = 'local'] = process.argv.slice(2);
const unit = buildNationalDirectory().units.find((u) => u.unitId === unitId);
if (!unit) {
  process.stderr.write(`unknown unit "${unitId}": give a unit id such as 330106-rsj (region code - unit code)\n`);
  process.exit(2);
}
const config = loadIntakeConfig();
process.stderr.write(`token for ${unit.unitId} ${unit.name}, valid 12 hours:\n`);
process.stdout.write(`${signUnitToken(parseTokenKeys(config.tokenKeys), { unitId, staffId })}\n`);
