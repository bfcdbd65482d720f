import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The socket hub's instruments; every name starts with `realtime_`. */
export class RealtimeMetrics {
  readonly connected: Gauge;
  readonly connects: Counter;
  readonly disconnects: Counter<'reason'>;
  readonly authFailures: Counter<'reason'>;
  readonly refusals: Counter<'reason'>;
  readonly messagesIn: Counter<'event'>;
  readonly messagesOut: Counter<'event'>;
  readonly deliveryLatency: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.connected = new Gauge({ name: 'realtime_connected_sockets', help: 'Sockets connected to this instance.', registers });
    this.connects = new Counter({ name: 'realtime_connects_total', help: 'Sockets accepted after the handshake.', registers });
    this.disconnects = new Counter({
      name: 'realtime_disconnects_total',
      help: 'Sockets closed, by reason (socket.io reasons, token_expired, server_draining).',
      labelNames: ['reason'] as const,
      registers,
    });
    this.authFailures = new Counter({
      name: 'realtime_auth_failures_total',
      help: 'Handshakes refused for their token: missing, invalid or expired.',
      labelNames: ['reason'] as const,
      registers,
    });
    this.refusals = new Counter({
      name: 'realtime_refused_connections_total',
      help: 'Authenticated handshakes refused: too_many_connections, draining or unavailable.',
      labelNames: ['reason'] as const,
      registers,
    });
    this.messagesIn = new Counter({
      name: 'realtime_messages_in_total',
      help: 'Messages received from clients, by event.',
      labelNames: ['event'] as const,
      registers,
    });
    this.messagesOut = new Counter({
      name: 'realtime_messages_out_total',
      help: 'Messages sent to clients, by event (one per receiving socket).',
      labelNames: ['event'] as const,
      registers,
    });
    this.deliveryLatency = new Histogram({
      name: 'realtime_delivery_latency_seconds',
      help: 'From an event published to its emission to this instance’s subscribers.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
  }
}
