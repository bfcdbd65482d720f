import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** This process among the gateway instances: presence entries and session events carry it. */
export const INSTANCE_ID = Symbol('INSTANCE_ID');

/** Unique even for two processes with one hostname and a recycled pid (containers restart with pid 1). */
export function defaultInstanceId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
