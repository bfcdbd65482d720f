// The baseline of `bench/proxy.mjs`: bare Fastify 5 (logger off) with @fastify/http-proxy and its
// defaults, forwarding /bench/public/* to UPSTREAM_URL with the prefix stripped. Whatever the
// gateway's route-file proxy costs on top of this is the price of its pipeline. See bench/README.md.
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';

const PORT = Number(process.env.PORT);
const HOST = process.env.HOST ?? '127.0.0.1';
const UPSTREAM_URL = process.env.UPSTREAM_URL;

if (!Number.isInteger(PORT) || PORT < 1) throw new Error(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
if (!UPSTREAM_URL) throw new Error('UPSTREAM_URL is required');

const app = Fastify({ logger: false });
// No undici options: @fastify/reply-from builds its own undici Agent with its defaults
// (connections: 128, pipelining: 1, keep-alive), which is what a team adopting the plugin gets.
await app.register(proxy, { upstream: UPSTREAM_URL, prefix: '/bench/public' });
await app.listen({ port: PORT, host: HOST });

process.once('SIGTERM', () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
