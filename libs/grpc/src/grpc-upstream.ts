import { credentials, status, type ChannelCredentials, type ChannelOptions, type Client } from '@grpc/grpc-js';
import { grpcStatusName } from '@portico/errors';
import type { Metrics } from '@portico/observability';
import { unaryCall, type CallContext, type UnaryMethod } from './unary-call.js';

type ClientConstructor<C extends Client> = new (address: string, credentials: ChannelCredentials, options?: Partial<ChannelOptions>) => C;

export interface GrpcUpstreamOptions {
  /** Name used in metrics and logs, e.g. `player-service`. */
  upstream: string;
  address: string;
  metrics: Metrics;
}

// Keepalive pings notice a dead peer on an idle channel before a user request has to find out.
const CHANNEL_OPTIONS: Partial<ChannelOptions> = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
};

/**
 * A generated grpc-js client over one long-lived channel, with every call timed into
 * `upstream_request_duration_seconds`. Timing here rather than in a grpc-js interceptor keeps
 * grpc-js on its fast path (an interceptor forces the slower intercepting-call machinery).
 */
export class GrpcUpstream<C extends Client> {
  readonly client: C;
  private readonly timers = new Map<status, (seconds: number) => void>();

  constructor(
    Constructor: ClientConstructor<C>,
    private readonly options: GrpcUpstreamOptions,
  ) {
    this.client = new Constructor(options.address, credentials.createInsecure(), CHANNEL_OPTIONS);
  }

  /** `method` is one of this client's methods, bound once by the caller (`client.getPlayer.bind(client)`). */
  call<Request, Response>(method: UnaryMethod<Request, Response>, request: Request, context: CallContext): Promise<Response> {
    const started = performance.now();
    return unaryCall(method, request, context, (code) =>
      this.observe(code, (performance.now() - started) / 1000),
    );
  }

  close(): void {
    this.client.close();
  }

  private observe(code: status, seconds: number): void {
    let observe = this.timers.get(code);
    if (!observe) {
      const child = this.options.metrics.upstreamDuration.labels({
        upstream: this.options.upstream,
        outcome: code === status.OK ? 'ok' : grpcStatusName(code),
      });
      observe = (value) => child.observe(value);
      this.timers.set(code, observe);
    }
    observe(seconds);
  }
}
