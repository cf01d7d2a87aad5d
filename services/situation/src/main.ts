// `node services/situation/src/main.ts`: situation as its own process. SIGTERM/SIGINT stop it gracefully; it
// keeps nothing but memory, rebuilt from the log at every start.
import { runService } from '@petition/runtime';
import { withTelemetry } from '@petition/telemetry';
import { startSituation } from './app.ts';
import { loadSituationConfig } from './config.ts';

await runService({
  service: 'situation',
  load: () => loadSituationConfig(),
  start: withTelemetry('situation', startSituation),
});
