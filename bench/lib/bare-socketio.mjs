// The baseline of the realtime scenario: the gateway's `/realtime` protocol on a bare socket.io 4.8
// server, without Nest, so the benchmark measures what the gateway adds. Same handshake check (an
// HS256 JWT from `auth.token` or an `Authorization: Bearer` header, pinned algorithm, clock
// tolerance, `sub` and `exp` required), same channels and acks, same `table.updated { table }` event
// after `POST /api/v1/tables/:id/join|leave` (bearer token required), same Redis adapter when
// REDIS_URL is set. The tables live in memory here: no gRPC call, no publish from a table service.
//
// Environment: PORT, HOST (127.0.0.1), JWT_SECRET, JWT_CLOCK_TOLERANCE_S (5), REDIS_URL (optional).
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import { createSecretKey } from 'node:crypto';
import { createServer } from 'node:http';
import { Server } from 'socket.io';

if (!process.env.JWT_SECRET) throw new Error('JWT_SECRET is required');
// A KeyObject, as the gateway's verifier holds: given a string, jsonwebtoken parses a key on every call.
const secret = createSecretKey(Buffer.from(process.env.JWT_SECRET, 'utf8'));
const verifyOptions = { algorithms: ['HS256'], clockTolerance: Number(process.env.JWT_CLOCK_TOLERANCE_S ?? 5) };
const BEARER = /^Bearer[ ]+(\S+)\s*$/i;
const CHANNEL = /^(lobby|table:[A-Za-z0-9_-]{1,64})$/;
const TABLE_PATH = /^\/api\/v1\/tables\/([A-Za-z0-9_-]{1,64})\/(join|leave)$/;

/** The principal of a token, or throws: the claim rules of the gateway's `principalFromClaims`. */
function principalOf(token) {
  const payload = jwt.verify(token, secret, verifyOptions);
  if (typeof payload !== 'object' || typeof payload.sub !== 'string' || payload.sub === '') throw new Error('jwt must have a sub claim');
  if (typeof payload.exp !== 'number') throw new Error('jwt must have an exp claim');
  return { sub: payload.sub, roles: Array.isArray(payload.roles) ? payload.roles : [] };
}

const bearerToken = (header) => (header === undefined ? undefined : BEARER.exec(header)?.[1]);

// The demo tables of table-service, with the display names player-service would add.
const tables = new Map(
  [
    { id: 't1', name: 'Main Street', game: 'holdem', stakes: '1/2', capacity: 6, seated: ['p1', 'p2'] },
    { id: 't2', name: 'Omaha Corner', game: 'omaha', stakes: '2/5', capacity: 4, seated: ['p3'] },
    { id: 't3', name: 'Heads-Up Duel', game: 'holdem', stakes: '5/10', capacity: 2, seated: ['p4', 'p5'] },
    { id: 't4', name: 'Full Ring Classic', game: 'holdem', stakes: '1/2', capacity: 9, seated: [] },
    { id: 't5', name: 'Short Deck Lounge', game: 'shortdeck', stakes: '10/20', capacity: 6, seated: ['p6'] },
  ].map((table) => [table.id, table]),
);

const viewOf = ({ seated, ...table }) => ({
  ...table,
  openSeats: table.capacity - seated.length,
  seats: seated.map((playerId) => ({ playerId, displayName: `Player ${playerId}` })),
});

const http = createServer();
const io = new Server(http, { path: '/socket.io', transports: ['websocket'], serveClient: false });
if (process.env.REDIS_URL) {
  const publisher = new Redis(process.env.REDIS_URL);
  const subscriber = publisher.duplicate();
  io.adapter(createAdapter(publisher, subscriber));
}
const realtime = io.of('/realtime');

realtime.use((socket, next) => {
  const token = socket.handshake.auth?.token ?? bearerToken(socket.handshake.headers.authorization);
  if (typeof token !== 'string') return next(new Error('unauthorized: a bearer token is required'));
  try {
    socket.data.principal = principalOf(token);
    next();
  } catch (error) {
    next(new Error(`unauthorized: ${error.message}`));
  }
});

realtime.on('connection', (socket) => {
  const onChannel = (join) => (payload, ack) => {
    if (typeof ack !== 'function') return;
    const channel = payload?.channel;
    if (typeof channel !== 'string') {
      ack({ ok: false, error: { code: 'invalid_payload', message: 'expected { channel: string }' } });
      return;
    }
    if (!CHANNEL.test(channel)) {
      ack({ ok: false, error: { code: 'unknown_channel', message: 'channel must be lobby or table:<id>' } });
      return;
    }
    if (join) void socket.join(channel);
    else void socket.leave(channel);
    ack({ ok: true });
  };
  socket.on('subscribe', onChannel(true));
  socket.on('unsubscribe', onChannel(false));
});

function answer(response, status, body) {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

http.on('request', (request, response) => {
  if (request.method === 'GET' && request.url === '/health') return answer(response, 200, { status: 'ok' });
  const route = request.method === 'POST' ? TABLE_PATH.exec(request.url ?? '') : null;
  if (!route) return answer(response, 404, { title: 'Not Found' });
  request.resume();
  let principal;
  try {
    principal = principalOf(bearerToken(request.headers.authorization) ?? '');
  } catch (error) {
    return answer(response, 401, { title: 'Unauthorized', detail: error.message });
  }
  const table = tables.get(route[1]);
  if (!table) return answer(response, 404, { title: 'Not Found', detail: `no table ${route[1]}` });
  const seatedAt = table.seated.indexOf(principal.sub);
  if (route[2] === 'join' && seatedAt < 0) {
    if (table.seated.length >= table.capacity) return answer(response, 409, { title: 'Conflict', detail: `table ${table.id} is full` });
    table.seated.push(principal.sub);
  } else if (route[2] === 'leave' && seatedAt >= 0) {
    table.seated.splice(seatedAt, 1);
  }
  const view = viewOf(table);
  realtime.to([`table:${table.id}`, 'lobby']).emit('table.updated', { table: view });
  answer(response, 200, { table: view, partial: false, errors: [] });
});

http.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
process.once('SIGTERM', () => {
  void io.close();
  process.exit(0);
});
