import { Logger } from '@nestjs/common';
import type { Registrar } from './discovery-provider.js';
import type { ServiceInstance } from './service-instance.js';

export interface SelfRegistrationOptions {
  /** The registry forgets the instance this long after its last heartbeat. */
  ttlMs: number;
  /** Defaults to a third of the TTL, so two heartbeats can be lost before the entry expires. */
  heartbeatMs?: number;
  /** Longest `stop` waits for the registry to confirm the withdrawal. */
  withdrawTimeoutMs?: number;
}

/**
 * Keeps one instance registered: announces it at start and on every heartbeat (which re-creates
 * the entry if the registry lost it), and withdraws it on stop. A registry that is down never
 * stops the service: failures are logged once, retried on the next heartbeat, and the recovery is logged.
 */
export class SelfRegistration {
  private readonly logger = new Logger('registration');
  private timer: ReturnType<typeof setTimeout> | undefined;
  private phase: 'idle' | 'running' | 'stopped' = 'idle';
  private failing = false;
  private beat: Promise<void> = Promise.resolve();

  constructor(
    private readonly registrar: Registrar,
    readonly instance: ServiceInstance,
    private readonly options: SelfRegistrationOptions,
  ) {}

  /** Resolves after the first announcement, successful or not. */
  async start(): Promise<void> {
    if (this.phase !== 'idle') return;
    this.phase = 'running';
    this.beat = this.announce();
    await this.beat;
  }

  /** Stops heartbeats and withdraws the instance; idempotent, never throws. */
  async stop(): Promise<void> {
    if (this.phase === 'stopped') return;
    const wasRunning = this.phase === 'running';
    this.phase = 'stopped';
    clearTimeout(this.timer);
    if (!wasRunning) return;
    // A heartbeat finishing after the withdrawal would register the instance again.
    await this.beat;
    const timeoutMs = this.options.withdrawTimeoutMs ?? 2_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        this.registrar.withdraw(this.instance),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
      ]);
      this.logger.log(this.describe(), 'deregistered');
    } catch (error) {
      this.logger.warn({ ...this.describe(), err: error }, 'could not deregister; the entry expires with its TTL');
    } finally {
      clearTimeout(timer);
    }
  }

  private async announce(): Promise<void> {
    try {
      await this.registrar.announce(this.instance, this.options.ttlMs);
      if (this.failing) this.logger.log(this.describe(), 'registry reachable again; instance registered');
      else if (!this.timer) this.logger.log(this.describe(), 'registered');
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.logger.warn({ ...this.describe(), err: error }, 'could not register; retrying on every heartbeat');
      this.failing = true;
    }
    if (this.phase !== 'running') return;
    this.timer = setTimeout(() => {
      this.beat = this.announce();
    }, this.options.heartbeatMs ?? Math.floor(this.options.ttlMs / 3));
  }

  private describe(): Record<string, unknown> {
    const { service, id, address } = this.instance;
    return { service, id, address };
  }
}
