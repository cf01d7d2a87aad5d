// The reference for `bench intake`: bare fastify answering a POST with a small JSON, nothing else.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/v1/petitions', async (_request, reply) => reply.code(201).send({ ok: true }));
const address = await app.listen({ port: Number(process.argv[2] ?? 0), host: '127.0.0.1' });
process.stdout.write(`${address}\n`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
