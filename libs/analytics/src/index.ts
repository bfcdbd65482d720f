export { analyticsStreamFields } from './analytics-config.js';
export { AnalyticsKeys } from './analytics-keys.js';
export { AnalyticsModule, type AnalyticsModuleOptions } from './analytics.module.js';
export { SessionEventLogMetrics, StreamConsumerMetrics } from './analytics.metrics.js';
export { bucketOf, quantile, RELATIVE_ACCURACY } from './duration-sketch.js';
export { InstanceSweeper, type InstanceSweeperOptions } from './instance-sweeper.js';
export { MemorySessionAnalytics } from './memory-session-analytics.js';
export { RedisSessionEventLog, type RedisSessionEventLogOptions } from './redis-session-event-log.js';
export { RedisSessionStats } from './redis-session-stats.js';
export { SessionEventConsumer, type SessionEventConsumerOptions } from './session-event-consumer.js';
export { SessionEventLog } from './session-event-log.js';
export {
  INSTANCE_LOST,
  normalizeClientType,
  parseSessionEvent,
  SessionEventSchema,
  sessionEnded,
  sessionStarted,
  utcDay,
  type SessionEvent,
} from './session-event.js';
// The contract this lib implements belongs to the socket hub; a type-only import loads no socket.io.
export type { SessionObserver, SocketSession } from '@portico/realtime';
export { SessionStatsController, SessionStatsQuerySchema } from './session-stats.controller.js';
export { daysBetween, SessionStatsReader, SessionStatsSchema, type SessionStats } from './session-stats.js';
