import { io, type Socket } from 'socket.io-client';
import { waitFor } from './wait-for.js';

export interface RealtimeClient {
  socket: Socket;
  /** Every event the server sent, in order, with its payload. */
  events: { event: string; data: unknown }[];
  /** Resolves once `event` has arrived `count` times, with the payloads so far; bounded. */
  received(event: string, count?: number): Promise<unknown[]>;
  request(event: string, body: unknown): Promise<unknown>;
  disconnectReason(): Promise<string>;
  close(): void;
}

export interface ConnectOptions {
  token?: string;
  headers?: Record<string, string>;
  clientType?: string;
}

/** A socket.io client on `/realtime`, websocket only, no reconnection; rejects with the connect_error. */
export function connectRealtime(baseUrl: string, options: ConnectOptions = {}): Promise<RealtimeClient> {
  const socket = io(`${baseUrl}/realtime`, {
    path: '/socket.io',
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: { ...(options.token !== undefined && { token: options.token }), ...(options.clientType && { clientType: options.clientType }) },
    ...(options.headers && { extraHeaders: options.headers }),
  });
  const events: { event: string; data: unknown }[] = [];
  let reason: string | undefined;
  socket.onAny((event: string, data: unknown) => events.push({ event, data }));
  socket.on('disconnect', (why) => (reason = why));
  const client: RealtimeClient = {
    socket,
    events,
    received: (event, count = 1) =>
      waitFor(
        () => {
          const found = events.filter((entry) => entry.event === event).map((entry) => entry.data);
          return found.length >= count && found;
        },
        { timeoutMs: 10_000, description: `${count} ${event} event(s)` },
      ),
    request: (event, body) => socket.timeout(5_000).emitWithAck(event, body) as Promise<unknown>,
    disconnectReason: () => waitFor(() => reason, { timeoutMs: 15_000, description: 'the socket to disconnect' }),
    close: () => socket.close(),
  };
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(client));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}
