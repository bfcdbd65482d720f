/**
 * Every Redis key of the analytics data, derived from the stream name. They carry the stream name as
 * a hash tag, so on Redis Cluster they share the stream's slot (a key `s` and a key `{s}:x` hash the
 * same) and one Lua script may touch the stream, the dedupe marks and the aggregates together.
 */
export class AnalyticsKeys {
  private readonly tag: string;

  constructor(readonly stream: string) {
    this.tag = `{${stream}}`;
  }

  /** Sorted set: instance id → its last heartbeat (epoch ms, Redis clock). */
  get instances(): string {
    return `${this.tag}:instances`;
  }

  /** Hash: session id → the open session of one instance. */
  openSessions(instanceId: string): string {
    return `${this.tag}:open:${instanceId}`;
  }

  /** Marks an event id the worker has counted, for the dedupe window. */
  seen(eventId: string): string {
    return `${this.tag}:seen:${eventId}`;
  }

  /** Hash of one day and client type: started, ended, sum (ms) and duration buckets `b:<index>`. */
  aggregate(day: string, clientType: string): string {
    return `${this.tag}:agg:${day}:${clientType}`;
  }

  /** Set of the client types seen on one day. */
  clientTypes(day: string): string {
    return `${this.tag}:clients:${day}`;
  }
}
