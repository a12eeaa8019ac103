/** The baseline: a bare Fastify server answering a fixed JSON body of a given size from memory. */
import Fastify from 'fastify';

const port = Number(process.argv[2]);
const bytes = Number(process.argv[3] ?? 2000);
const body = JSON.stringify({ jobs: [{ title: 'x'.repeat(Math.max(0, bytes - 40)) }], page: 1, total: 1 });
const app = Fastify();
app.get('/', (_request, reply) => reply.type('application/json; charset=utf-8').send(body));
await app.listen({ port, host: '127.0.0.1' });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
