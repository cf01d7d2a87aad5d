// The image's HEALTHCHECK: asks the running service's operators' port for /readyz (200 when the broker and
// Redis answer and it is taking work). The port is the one the service reads from its own variable.
const opsPort = {
  intake: process.env.INTAKE_OPS_PORT ?? '9080',
  routing: process.env.ROUTING_HTTP_PORT ?? '8090',
  'deadline-watchdog': process.env.WATCHDOG_HTTP_PORT ?? '8091',
  notification: process.env.NOTIFY_HTTP_PORT ?? '8092',
  tracking: process.env.TRACKING_OPS_PORT ?? '9081',
}[process.env.SERVICE ?? ''];
if (!opsPort) {
  console.error(`no such service: ${process.env.SERVICE}`);
  process.exit(1);
}
try {
  const res = await fetch(`http://127.0.0.1:${opsPort}/readyz`, { signal: AbortSignal.timeout(3_000) });
  process.exit(res.status === 200 ? 0 : 1);
} catch (err) {
  console.error(`readyz on port ${opsPort}: ${err.message}`);
  process.exit(1);
}
