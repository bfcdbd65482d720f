import { credentials, type ChannelCredentials, type ChannelOptions, type Client } from '@grpc/grpc-js';
import { healthV1 } from '@portico/contracts';
import { InstanceStats } from './instance-stats.js';
import { unaryCall, type UnaryMethod } from './unary-call.js';

export type ClientConstructor<C extends Client> = new (
  address: string,
  credentials: ChannelCredentials,
  options?: Partial<ChannelOptions>,
) => C;

/** One unary method of a generated client, bound to it; defined once per method so its result can be cached per channel. */
export type MethodSelector<C, Request, Response> = (client: C) => UnaryMethod<Request, Response>;

// Keepalive pings notice a dead peer on an idle channel before a user request has to find out.
const CHANNEL_OPTIONS: Partial<ChannelOptions> = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
};

/**
 * One instance's channel: the generated client, a grpc.health.v1 client over the same connection,
 * and the calls in flight on it, so a channel whose instance left is closed only once they end.
 */
export class InstanceChannel<C extends Client> {
  readonly client: C;
  readonly stats: InstanceStats;
  private readonly health: healthV1.HealthClient;
  private readonly methods = new Map<unknown, unknown>();
  private active = 0;
  private retired = false;
  private closed = false;

  constructor(
    Constructor: ClientConstructor<C>,
    readonly address: string,
    clock?: () => number,
  ) {
    this.client = new Constructor(address, credentials.createInsecure(), CHANNEL_OPTIONS);
    this.health = new healthV1.HealthClient(address, credentials.createInsecure(), { channelOverride: this.client.getChannel() });
    this.stats = new InstanceStats(clock);
  }

  get usable(): boolean {
    return !this.retired;
  }

  /** The selected method of this channel's client, selected (and bound) once per channel and method. */
  method<Request, Response>(select: MethodSelector<C, Request, Response>): UnaryMethod<Request, Response> {
    let method = this.methods.get(select) as UnaryMethod<Request, Response> | undefined;
    if (!method) {
      method = select(this.client);
      this.methods.set(select, method);
    }
    return method;
  }

  /** Counts a call from start to end, so retiring waits for it. */
  begin(): () => void {
    this.active++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.active--;
      if (this.retired && this.active === 0) this.close();
    };
  }

  /** Whether the instance says it serves `service` through grpc.health.v1. */
  async serving(service: string, signal: AbortSignal, deadlineMs: number): Promise<boolean> {
    try {
      const { status } = await unaryCall(this.health.check.bind(this.health), { service }, { deadlineMs, signal });
      return status === healthV1.HealthCheckResponse_ServingStatus.SERVING;
    } catch {
      return false;
    }
  }

  /** The instance left: close now if idle, else when the last call ends. */
  retire(): void {
    this.retired = true;
    if (this.active === 0) this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.health.close();
    this.client.close();
  }
}
