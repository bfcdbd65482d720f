export { decodeEnvelope, REALTIME_TOPIC, type RealtimeEnvelope } from './realtime-envelope.js';
export { envelopeOf, RedisRealtimePublisher, type RealtimePublisher } from './realtime-publisher.js';
