import { credentials, type ChannelOptions, type Client, type ChannelCredentials, type Interceptor } from '@grpc/grpc-js';
import type { Metrics } from '@portico/observability';
import { upstreamMetricsInterceptor } from './upstream-metrics.interceptor.js';

type ClientConstructor<C extends Client> = new (
  address: string,
  credentials: ChannelCredentials,
  options?: Partial<ChannelOptions> & { interceptors?: Interceptor[] },
) => C;

export interface GrpcClientOptions {
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

/** A generated grpc-js client over one long-lived channel, instrumented for metrics. */
export function createGrpcClient<C extends Client>(Constructor: ClientConstructor<C>, options: GrpcClientOptions): C {
  return new Constructor(options.address, credentials.createInsecure(), {
    ...CHANNEL_OPTIONS,
    interceptors: [upstreamMetricsInterceptor(options.metrics, options.upstream)],
  });
}
