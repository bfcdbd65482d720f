import type { INestApplication } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { closeConnection, REDIS } from '@portico/redis';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Observable } from 'rxjs';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { REALTIME_OPTIONS, type RealtimeOptions } from './realtime-options.js';

/** Socket.io's path on the gateway's HTTP port; the edge proxy leaves upgrades to it alone. */
export const SOCKET_IO_PATH = '/socket.io';

/**
 * Builds the socket.io server on the gateway's HTTP server with the configured limits, and shares
 * rooms between instances through the Redis adapter when there is a Redis (in-memory otherwise).
 */
export class RealtimeIoAdapter extends IoAdapter {
  private readonly connections: Redis[] = [];

  constructor(
    app: INestApplication,
    private readonly options: RealtimeOptions,
    private readonly redis: Redis | undefined,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: Partial<ServerOptions>): Server {
    const server = super.createIOServer(port, {
      ...options,
      path: SOCKET_IO_PATH,
      // Polling spreads one session over many HTTP requests, which must all reach the same instance.
      transports: this.options.allowPolling ? ['websocket', 'polling'] : ['websocket'],
      pingInterval: this.options.pingIntervalMs,
      pingTimeout: this.options.pingTimeoutMs,
      maxHttpBufferSize: this.options.maxPayloadBytes,
      serveClient: false,
      // engine.io would otherwise destroy every other upgrade after a second: the edge proxy's tunnels too.
      destroyUpgrade: false,
      ...(this.options.cors !== undefined && { cors: this.options.cors }),
      ...(this.options.allowRequest !== undefined && { allowRequest: this.options.allowRequest }),
    } as Partial<ServerOptions> as ServerOptions);
    if (this.redis) {
      // A subscribed connection can do nothing else; it waits for Redis rather than failing its SUBSCRIBE.
      const sub = this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
      const pub = this.redis.duplicate({ enableOfflineQueue: true });
      for (const connection of [pub, sub]) connection.on('error', () => undefined);
      this.connections.push(pub, sub);
      server.adapter(createAdapter(this.handlingPublishFailures(pub), sub));
    }
    return server;
  }

  /**
   * Plain listeners instead of IoAdapter's per-socket rxjs pipelines (a `fromEvent` stream per
   * handler plus one for the disconnect, kept for the socket's life): the same dispatch, with an
   * observable per message only, which keeps thousands of idle sockets cheaper. A listener goes with
   * its socket.
   */
  override bindMessageHandlers(socket: Socket, handlers: MessageMappingProperties[], transform: (data: unknown) => Observable<unknown>): void {
    for (const { message, callback, isAckHandledManually } of handlers) {
      socket.on(message as string, (...args: unknown[]) => {
        const { data, ack } = this.mapPayload(args.length > 1 ? args : args[0]) as { data: unknown; ack?: unknown };
        let responses: Observable<unknown>;
        try {
          responses = transform(callback(data, ack));
        } catch (error) {
          // The gateway's exception filter answers handler errors; one that escapes it is a bug to log, not a crash.
          this.logger.error(error);
          return;
        }
        responses.subscribe({
          next: (response) => {
            if (response === undefined || response === null) return;
            const { event, data: eventData } = response as { event?: string; data?: unknown };
            if (event) socket.emit(event, eventData);
            else if (!isAckHandledManually && typeof ack === 'function') (ack as (value: unknown) => void)(response);
          },
          error: (error: unknown) => this.logger.error(error),
        });
      });
    }
  }

  /**
   * The Redis adapter drops the promise of every PUBLISH it sends (socketio/socket.io-redis-emitter#139
   * describes the same in its sibling), so one that fails while Redis is away would be an unhandled
   * rejection, and Node ends the process on those. What the adapter publishes (broadcasts to other
   * instances, presence pings) is lost in an outage either way; losing it must not take this
   * instance's sockets down with it.
   */
  private handlingPublishFailures(pub: Redis): Redis {
    // Bound before it is replaced below.
    const publish = pub.publish.bind(pub);
    let lastFailure: string | undefined;
    const guarded = (channel: string, message: string | Buffer): Promise<number> => {
      const sent = publish(channel, message);
      sent.then(
        () => (lastFailure = undefined),
        (error: unknown) => {
          const reason = error instanceof Error ? error.message : String(error);
          if (reason !== lastFailure) this.logger.warn(`realtime adapter message to other instances lost: ${reason}`);
          lastFailure = reason;
        },
      );
      return sent;
    };
    return Object.assign(pub, { publish: guarded });
  }

  override async close(server: Server): Promise<void> {
    await super.close(server);
    await Promise.all(this.connections.map(closeConnection));
  }
}

/** Serves the `/realtime` namespace on the app's HTTP server; call before `app.listen`. */
export function attachRealtime(app: INestApplication): void {
  app.useWebSocketAdapter(new RealtimeIoAdapter(app, app.get<RealtimeOptions>(REALTIME_OPTIONS), app.get<Redis | undefined>(REDIS)));
}
