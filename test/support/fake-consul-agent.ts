/**
 * The state of one fake Consul agent (node `fake-agent` in `dc1`): its services, their TTL checks
 * and the index that blocking queries wait on. The rules follow Consul's HTTP API documentation:
 * a new check starts critical unless it says otherwise, a TTL check turns critical ("TTL expired")
 * when no pass came within its TTL, and a service whose check stays critical longer than its
 * DeregisterCriticalServiceAfter (raised to the agent's minimum) is removed by a periodic reaper.
 */

export type CheckStatus = 'passing' | 'warning' | 'critical';

/** A refusal, as Consul words it: an HTTP status and a plain-text reason. */
export class AgentRefusal extends Error {
  constructor(
    readonly status: number,
    reason: string,
  ) {
    super(reason);
  }
}

export interface AgentTimings {
  /** Consul's `check_deregister_interval_min`: 1 minute. */
  deregisterIntervalMinMs: number;
  /** Consul's `check_reap_interval`: 30 seconds. */
  reapIntervalMs: number;
}

export const CONSUL_TIMINGS: AgentTimings = { deregisterIntervalMinMs: 60_000, reapIntervalMs: 30_000 };

interface AgentService {
  ID: string;
  Service: string;
  Tags: string[];
  Address: string;
  Meta: Record<string, string>;
  Port: number;
  Weights: { Passing: number; Warning: number };
  EnableTagOverride: boolean;
  CreateIndex: number;
  ModifyIndex: number;
}

interface AgentCheck {
  CheckID: string;
  Name: string;
  Status: CheckStatus;
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
  ServiceTags: string[];
  Type: 'ttl';
  CreateIndex: number;
  ModifyIndex: number;
}

interface CheckTimers {
  ttlMs: number;
  deregisterAfterMs: number | undefined;
  criticalSince: number | undefined;
  expiry: ReturnType<typeof setTimeout> | undefined;
}

const NODE = {
  ID: '40e4a748-2192-161a-0510-9bf59fe950b5',
  Node: 'fake-agent',
  Address: '127.0.0.1',
  Datacenter: 'dc1',
  TaggedAddresses: { lan: '127.0.0.1', wan: '127.0.0.1' },
  Meta: { 'consul-network-segment': '' },
  CreateIndex: 5,
  ModifyIndex: 5,
};

/** The node's own health, which `passing=true` also requires. */
const SERF_HEALTH = {
  Node: NODE.Node,
  CheckID: 'serfHealth',
  Name: 'Serf Health Status',
  Status: 'passing',
  Notes: '',
  Output: 'Agent alive and reachable',
  ServiceID: '',
  ServiceName: '',
  ServiceTags: [],
  Type: '',
  CreateIndex: 5,
  ModifyIndex: 5,
};

const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A Go duration ("10s", "1m30s", "1500ms"), as Consul parses them; undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  if (!/^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) total += Number(amount) * UNIT_MS[unit!]!;
  return total;
}

export class ConsulAgentState {
  private index = 10;
  private readonly services = new Map<string, AgentService>();
  private readonly checks = new Map<string, AgentCheck & { timers: CheckTimers }>();
  /** The index of the last change to each service name's health result. */
  private readonly serviceIndexes = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private readonly reaper: ReturnType<typeof setInterval>;

  constructor(private readonly timings: AgentTimings) {
    this.reaper = setInterval(() => this.reap(), timings.reapIntervalMs);
  }

  /** `X-Consul-Index` of the health result for `name`; a name never seen answers the agent's current index. */
  indexOf(name: string): number {
    return this.serviceIndexes.get(name) ?? this.index;
  }

  /** Calls `listener` after every write; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  register(definition: Record<string, unknown>): void {
    const service = serviceFrom(definition);
    const check = definition['Check'];
    const timers = check === undefined ? undefined : checkFrom(check);
    const previous = this.services.get(service.ID);
    if (previous) this.remove(previous.ID);
    const index = this.bump(service.Service, previous?.Service);
    this.services.set(service.ID, { ...service, CreateIndex: previous?.CreateIndex ?? index, ModifyIndex: index });
    if (timers) {
      const checkId = timers.CheckID || `service:${service.ID}`;
      this.checks.set(checkId, {
        CheckID: checkId,
        Name: timers.Name || `Service '${service.Service}' check`,
        Status: timers.Status,
        Notes: '',
        Output: '',
        ServiceID: service.ID,
        ServiceName: service.Service,
        ServiceTags: service.Tags,
        Type: 'ttl',
        CreateIndex: index,
        ModifyIndex: index,
        timers: {
          ttlMs: timers.ttlMs,
          deregisterAfterMs: timers.deregisterAfterMs,
          criticalSince: timers.Status === 'critical' ? Date.now() : undefined,
          expiry: undefined,
        },
      });
      this.restartTtl(checkId);
    }
    this.notify();
  }

  deregister(serviceId: string): void {
    const service = this.services.get(serviceId);
    if (!service) {
      throw new AgentRefusal(404, `Unknown service ID "${serviceId}". Ensure that the service ID is passed, not the service name.`);
    }
    this.remove(serviceId);
    this.bump(service.Service);
    this.notify();
  }

  /** `PUT /v1/agent/check/{pass,warn,fail}/:check_id`: sets the status and restarts the TTL clock. */
  updateCheck(checkId: string, status: CheckStatus, output: string): void {
    const check = this.checks.get(checkId);
    if (!check) {
      throw new AgentRefusal(404, `Unknown check ID "${checkId}". Ensure that the check ID is passed, not the check name.`);
    }
    this.restartTtl(checkId);
    this.setStatus(check, status, output);
  }

  /** The body of `GET /v1/health/service/:name`. */
  healthService(name: string, passingOnly: boolean): unknown[] {
    const entries = [];
    for (const service of this.services.values()) {
      if (service.Service !== name) continue;
      const checks = [...this.checks.values()].filter((check) => check.ServiceID === service.ID);
      if (passingOnly && checks.some((check) => check.Status !== 'passing')) continue;
      entries.push({
        Node: NODE,
        Service: { ...service, Tags: [...service.Tags], Meta: { ...service.Meta } },
        Checks: [SERF_HEALTH, ...checks.map(({ timers: _timers, ...check }) => check)],
      });
    }
    return entries;
  }

  close(): void {
    clearInterval(this.reaper);
    for (const check of this.checks.values()) clearTimeout(check.timers.expiry);
    this.listeners.clear();
  }

  private restartTtl(checkId: string): void {
    const check = this.checks.get(checkId)!;
    clearTimeout(check.timers.expiry);
    check.timers.expiry = setTimeout(() => this.setStatus(check, 'critical', 'TTL expired'), check.timers.ttlMs);
  }

  private setStatus(check: AgentCheck & { timers: CheckTimers }, status: CheckStatus, output: string): void {
    check.Output = output;
    // Only a new status is a change blockers hear about; a pass of a passing check is not.
    if (check.Status === status) return;
    check.Status = status;
    check.timers.criticalSince = status === 'critical' ? Date.now() : undefined;
    check.ModifyIndex = this.bump(check.ServiceName);
    this.notify();
  }

  private reap(): void {
    const now = Date.now();
    for (const check of [...this.checks.values()]) {
      const { deregisterAfterMs, criticalSince } = check.timers;
      if (deregisterAfterMs === undefined || criticalSince === undefined) continue;
      if (now - criticalSince <= Math.max(deregisterAfterMs, this.timings.deregisterIntervalMinMs)) continue;
      if (this.services.has(check.ServiceID)) this.deregister(check.ServiceID);
    }
  }

  private remove(serviceId: string): void {
    this.services.delete(serviceId);
    for (const [checkId, check] of this.checks) {
      if (check.ServiceID !== serviceId) continue;
      clearTimeout(check.timers.expiry);
      this.checks.delete(checkId);
    }
  }

  /** A new index for a write that changes the health result of `names`. */
  private bump(...names: (string | undefined)[]): number {
    this.index += 1;
    for (const name of names) if (name !== undefined) this.serviceIndexes.set(name, this.index);
    return this.index;
  }

  /** Wakes blocking queries once a write is complete. */
  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

const META_KEY = /^[A-Za-z0-9_-]{1,128}$/;

function isWhole(value: unknown, minimum: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= minimum;
}

/** Validation as `PUT /v1/agent/service/register` does it, for the fields Portico sends. */
function serviceFrom(definition: Record<string, unknown>): Omit<AgentService, 'CreateIndex' | 'ModifyIndex'> {
  const { Name, ID, Address = '', Port = 0, Tags = [], Meta = {}, Weights = { Passing: 1, Warning: 1 } } = definition;
  if (typeof Name !== 'string' || Name === '') throw new AgentRefusal(400, 'Missing service name');
  if (ID !== undefined && typeof ID !== 'string') throw new AgentRefusal(400, 'Request decode failed: ID must be a string');
  if (typeof Address !== 'string') throw new AgentRefusal(400, 'Request decode failed: Address must be a string');
  if (Address === '0.0.0.0' || Address === '::') throw new AgentRefusal(400, 'Invalid service address');
  if (!isWhole(Port, 0) || Port > 65_535) throw new AgentRefusal(400, 'Request decode failed: Port must be an integer');
  if (!Array.isArray(Tags) || !Tags.every((tag) => typeof tag === 'string')) {
    throw new AgentRefusal(400, 'Request decode failed: Tags must be strings');
  }
  const weights = Weights as { Passing?: unknown; Warning?: unknown };
  if (!isWhole(weights.Passing, 1)) throw new AgentRefusal(400, 'Invalid Weights: Passing must be greater than 0');
  if (!isWhole(weights.Warning, 0)) throw new AgentRefusal(400, 'Invalid Weights: Warning must be greater or equal than 0');
  if (typeof Meta !== 'object' || Meta === null) throw new AgentRefusal(400, 'Request decode failed: Meta must be an object');
  const meta = Object.entries(Meta);
  if (meta.length > 64) throw new AgentRefusal(400, 'Invalid Service Meta: Node metadata cannot contain more than 64 key/value pairs');
  for (const [key, value] of meta) {
    if (!META_KEY.test(key) || key.startsWith('consul-') || typeof value !== 'string' || value.length > 512) {
      throw new AgentRefusal(400, `Invalid Service Meta: Key "${key}" or its value is not valid metadata`);
    }
  }
  return {
    ID: ID ?? Name,
    Service: Name,
    Tags,
    Address,
    Meta: Object.fromEntries(meta),
    Port,
    Weights: { Passing: weights.Passing, Warning: weights.Warning },
    EnableTagOverride: false,
  };
}

interface TtlCheckDefinition {
  CheckID: string;
  Name: string;
  Status: CheckStatus;
  ttlMs: number;
  deregisterAfterMs: number | undefined;
}

function checkFrom(check: unknown): TtlCheckDefinition {
  const { CheckID = '', Name = '', TTL, Status = 'critical', DeregisterCriticalServiceAfter } = (check ?? {}) as Record<string, unknown>;
  if (typeof TTL !== 'string') throw new AgentRefusal(400, 'Invalid check: this fake agent runs TTL checks only');
  const ttlMs = parseGoDuration(TTL);
  if (ttlMs === undefined || ttlMs <= 0) throw new AgentRefusal(400, `Request decode failed: time: invalid duration "${TTL}"`);
  let deregisterAfterMs: number | undefined;
  if (DeregisterCriticalServiceAfter !== undefined) {
    deregisterAfterMs = typeof DeregisterCriticalServiceAfter === 'string' ? parseGoDuration(DeregisterCriticalServiceAfter) : undefined;
    if (deregisterAfterMs === undefined) throw new AgentRefusal(400, 'Request decode failed: invalid DeregisterCriticalServiceAfter');
  }
  if (Status !== 'passing' && Status !== 'warning' && Status !== 'critical') {
    throw new AgentRefusal(400, "Status for checks must 'passing', 'warning', 'critical'");
  }
  if (typeof CheckID !== 'string' || typeof Name !== 'string') throw new AgentRefusal(400, 'Request decode failed: CheckID and Name are strings');
  return { CheckID, Name, Status, ttlMs, deregisterAfterMs };
}
