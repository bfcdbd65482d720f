import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DiscoveryProvider, ProviderWatch, Registrar, WatchSink } from '../discovery-provider.js';
import type { ServiceInstance } from '../service-instance.js';
import { nextIndex, QueryRateLimit, retryDelay, type RetryDelayOptions } from './blocking-query.js';
import { ConsulApi, ConsulHttpError } from './consul-api.js';
import { checkId, healthEntries, isUnknownCheck, serviceRegistration } from './consul-entries.js';
import { OpenWatches } from './open-watches.js';

export interface ConsulProviderOptions {
  url: string;
  token?: string | undefined;
  /** How long Consul may hold one blocking query (its default is 5 minutes, its maximum 10). */
  waitSeconds?: number;
  /** Once a watched result churns, at most one query per this long (after a burst of two). */
  queryIntervalMs?: number;
  /** Backoff after failed queries. */
  retry?: RetryDelayOptions;
}

/**
 * Registry in Consul. Services register themselves with the local agent, with a TTL check that
 * each heartbeat passes, so Consul marks an instance critical when its heartbeats stop and reaps
 * it later. Watchers read only passing instances with blocking queries on the health endpoint,
 * which Consul answers as soon as the list changes.
 */
export class ConsulProvider implements DiscoveryProvider, Registrar {
  readonly kind = 'consul';
  readonly registrar = this;
  private readonly logger = new Logger('discovery');
  private readonly api: ConsulApi;
  /** The registration last accepted for each announced instance id. */
  private readonly registered = new Map<string, string>();
  private readonly watches = new OpenWatches<ConsulWatch>();

  constructor(private readonly options: ConsulProviderOptions) {
    this.api = new ConsulApi({ url: options.url, token: options.token });
  }

  async announce(instance: ServiceInstance, ttlMs: number): Promise<void> {
    const registration = JSON.stringify(serviceRegistration(instance, ttlMs));
    if (this.registered.get(instance.id) !== registration) await this.register(instance.id, registration);
    try {
      await this.api.passCheck(checkId(instance.id));
    } catch (error) {
      if (!(error instanceof ConsulHttpError && isUnknownCheck(error.status, error.body))) throw error;
      this.logger.log({ service: instance.service, id: instance.id }, 'Consul no longer knows the instance; registering it again');
      await this.register(instance.id, registration);
      await this.api.passCheck(checkId(instance.id));
    }
  }

  async withdraw(instance: ServiceInstance): Promise<void> {
    this.registered.delete(instance.id);
    try {
      await this.api.deregisterService(instance.id);
    } catch (error) {
      // 404: the agent does not know the service any more, which is what withdrawing asks for.
      if (!(error instanceof ConsulHttpError && error.status === 404)) throw error;
    }
  }

  watch(service: string, sink: WatchSink): ProviderWatch {
    const watch = new ConsulWatch(service, sink, this.api, {
      waitSeconds: this.options.waitSeconds ?? 60,
      rateLimit: new QueryRateLimit(this.options.queryIntervalMs ?? 1_000),
      retry: this.options.retry ?? { baseMs: 250, maxMs: 5_000 },
    });
    return this.watches.track(watch);
  }

  async close(): Promise<void> {
    await this.watches.closeAll();
    await this.api.close();
  }

  private async register(instanceId: string, registration: string): Promise<void> {
    this.registered.delete(instanceId);
    await this.api.registerService(registration);
    this.registered.set(instanceId, registration);
  }
}

interface ConsulWatchOptions {
  waitSeconds: number;
  rateLimit: QueryRateLimit;
  retry: RetryDelayOptions;
}

/** One service's blocking-query loop, from its first full list until `close`. */
class ConsulWatch {
  private readonly stopped = new AbortController();
  private readonly loop: Promise<void>;
  /** 0 asks for the current list at once; anything higher blocks until the list moves past it. */
  private index = 0;
  private failures = 0;

  constructor(
    private readonly service: string,
    private readonly sink: WatchSink,
    private readonly api: ConsulApi,
    private readonly options: ConsulWatchOptions,
  ) {
    this.loop = this.run();
  }

  async close(): Promise<void> {
    this.stopped.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const signal = this.stopped.signal;
    while (!signal.aborted) {
      // Only blocking queries can spin: one with index 0 is answered at once with an index to block on.
      if (this.index > 0) await this.pause(this.options.rateLimit.take(Date.now()));
      if (signal.aborted) return;
      const answer = await this.api
        .healthService(this.service, this.index, this.options.waitSeconds, signal)
        .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
      if (signal.aborted) return;
      if (answer instanceof Error) {
        // The first answer after a failure must be the full current list, not a wait on an old index.
        this.index = 0;
        this.failures += 1;
        this.sink.unreachable(answer);
        await this.pause(retryDelay(this.failures, this.options.retry));
        continue;
      }
      this.failures = 0;
      this.index = nextIndex(this.index, answer.index);
      this.sink.update(healthEntries(answer.entries));
    }
  }

  private async pause(ms: number): Promise<void> {
    if (ms <= 0) return;
    await sleep(ms, undefined, { signal: this.stopped.signal }).catch(() => undefined);
  }
}
