export { channelPattern, ChannelRules, type ChannelMatch, type ChannelRule } from './channel-rule.js';
export { defaultInstanceId, INSTANCE_ID } from './instance-id.js';
export { messageRule, type MessageContext, type MessageRule } from './message-rule.js';
export { MemoryPresenceRegistry, RedisPresenceRegistry, type PresenceRegistry } from './presence-registry.js';
export { InProcessRealtimeBus, RedisRealtimeBus, type RealtimeBus } from './realtime-bus.js';
export { attachRealtime, RealtimeIoAdapter, SOCKET_IO_PATH } from './realtime.adapter.js';
export { LOBBY_CHANNEL, PRESENCE_REGISTRY, REALTIME_BUS, RealtimeGateway, type Ack } from './realtime.gateway.js';
export { RealtimeMetrics } from './realtime.metrics.js';
export { RealtimeModule } from './realtime.module.js';
export {
  REALTIME_NAMESPACE,
  REALTIME_OPTIONS,
  REALTIME_RULES,
  type RealtimeModuleOptions,
  type RealtimeOptions,
  type RealtimeRules,
} from './realtime-options.js';
export { clientTypeOf, NO_SESSION_OBSERVER, SESSION_OBSERVER, type SessionObserver, type SocketSession } from './session-observer.js';
export { WsProblemFilter, type ErrorAck } from './ws-problem.filter.js';
