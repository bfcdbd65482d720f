import { SetMetadata } from '@nestjs/common';
import type { RateLimitOptions } from './rate-limit-policy.js';

export const RATE_LIMITS = 'portico:rate-limits';
export const SKIP_RATE_LIMIT = 'portico:skip-rate-limit';

/**
 * Limits a handler (or every handler of a controller). Several limits may be given at once or by
 * repeating the decorator; a request must pass all of them, and one that any rejects spends none.
 */
export function RateLimit(...limits: [RateLimitOptions, ...RateLimitOptions[]]): MethodDecorator & ClassDecorator {
  return (target: object, _property?: string | symbol, descriptor?: PropertyDescriptor) => {
    const holder = descriptor ? (descriptor.value as object) : target;
    const existing = (Reflect.getMetadata(RATE_LIMITS, holder) as RateLimitOptions[] | undefined) ?? [];
    // Decorators apply bottom-up; prepending keeps the limits in the order they are written.
    Reflect.defineMetadata(RATE_LIMITS, [...limits, ...existing], holder);
  };
}

/** Exempts a handler or controller from every limit, the configured default included. */
export const SkipRateLimit = () => SetMetadata(SKIP_RATE_LIMIT, true);
