// `node services/deadline-watchdog/src/main.ts`: the watchdog as its own process. SIGTERM/SIGINT stop it
// gracefully; when its Redis keys are flushed it exits (75) so that its supervisor restarts it to rebuild.
import { runService } from '@petition/runtime';
import { withTelemetry } from '@petition/telemetry';
import { startWatchdog } from './app.ts';
import { loadWatchdogConfig } from './config.ts';

await runService({
  service: 'deadline-watchdog',
  load: () => loadWatchdogConfig(),
  start: withTelemetry('deadline-watchdog', startWatchdog),
});
