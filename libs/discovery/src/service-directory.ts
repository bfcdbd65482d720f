import { Logger } from '@nestjs/common';
import type { ReadinessCheck } from '@portico/health';
import type { ServiceDiscovery } from './service-discovery.js';
import type { ServiceInstance } from './service-instance.js';

/** One instance as a client pool reports it. */
export interface PooledInstance {
  address: string;
  metadata: Readonly<Record<string, string>>;
  weight: number;
  health: 'healthy' | 'unhealthy' | 'unknown';
  circuit: 'closed' | 'open' | 'half-open';
  inFlight: number;
  errorRate: number;
}

/** A client pool fed by discovery (a gRPC service pool, say); the directory needs only this of it. */
export interface DiscoveredPool {
  readonly service: string;
  update(instances: readonly { address: string; weight: number; metadata: Readonly<Record<string, string>> }[]): void;
  /** At least one instance answered its last health check serving. */
  serving(): boolean;
  snapshot(): PooledInstance[];
  close(): void;
}

export interface ServiceReport {
  name: string;
  required: boolean;
  registry: { state: 'pending' | 'live' | 'unreachable'; since: string; error?: string };
  instances: PooledInstance[];
}

/**
 * The client pools of an app, each kept in step with discovery. It is what `/health/ready` and
 * `/admin/services` read: readiness per service, and every instance with its health and load.
 */
export class ServiceDirectory {
  private readonly entries = new Map<string, { pool: DiscoveredPool; required: boolean; stop: () => void }>();
  private readonly logger = new Logger('discovery');

  constructor(private readonly discovery: ServiceDiscovery) {}

  get provider(): string {
    return this.discovery.kind;
  }

  /** Feeds `pool` from discovery; resolves once the registry answered (or its first-answer wait ran out). */
  async add(pool: DiscoveredPool, options: { required: boolean }): Promise<void> {
    const stop = this.discovery.watch(pool.service, (instances) => pool.update(instances.map(toTarget)));
    this.entries.set(pool.service, { pool, required: options.required, stop });
    const instances = await this.discovery.resolve(pool.service);
    if (instances.length === 0) this.logger.warn({ service: pool.service, provider: this.discovery.kind }, 'no instance found yet');
  }

  /**
   * One readiness check per required service: ready while at least one instance serves. A
   * registry that cannot be read does not make the app unready (the last known instances still
   * serve), but the check's detail says so.
   */
  readiness(): ReadinessCheck[] {
    return [...this.entries.values()]
      .filter((entry) => entry.required)
      .map(({ pool }) => ({
        name: pool.service,
        probe: () => {
          const view = this.discovery.view(pool.service);
          const instances = pool.snapshot();
          const serving = instances.filter((instance) => instance.health === 'healthy' && instance.circuit !== 'open').length;
          if (!pool.serving()) {
            return Promise.reject(new Error(`no serving instance (${serving} of ${instances.length})`));
          }
          return Promise.resolve({
            instances: instances.length,
            serving,
            registry: view.state === 'unreachable' ? 'unreachable: using the last known instances' : view.state,
          });
        },
      }));
  }

  report(): ServiceReport[] {
    return [...this.entries.values()].map(({ pool, required }) => {
      const view = this.discovery.view(pool.service);
      return {
        name: pool.service,
        required,
        registry: {
          state: view.state,
          since: new Date(view.since).toISOString(),
          ...(view.error !== undefined && { error: view.error }),
        },
        instances: pool.snapshot(),
      };
    });
  }

  close(): void {
    for (const { pool, stop } of this.entries.values()) {
      stop();
      pool.close();
    }
    this.entries.clear();
  }
}

function toTarget(instance: ServiceInstance) {
  return { address: instance.address, weight: instance.weight, metadata: instance.metadata };
}
