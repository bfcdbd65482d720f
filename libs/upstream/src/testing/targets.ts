import { Target, TargetState, type TargetHealth, type TargetInit } from '../target.js';

export interface TargetFixture extends Partial<TargetInit> {
  inFlight?: number;
  health?: TargetHealth;
}

/** A target with the given load and health, for balancer specs that need no pool around it. */
export function targetAt(address: string, { inFlight = 0, health = 'unknown', ...init }: TargetFixture = {}): Target {
  const state = new TargetState(undefined);
  state.inFlight = inFlight;
  state.health = health;
  return new Target({ address, ...init }, state);
}

/** How many times each target's address comes up in `picks`. */
export function countByAddress(picks: readonly Target[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const target of picks) counts[target.address] = (counts[target.address] ?? 0) + 1;
  return counts;
}
