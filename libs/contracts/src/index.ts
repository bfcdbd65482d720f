// Namespaces, because every generated file exports the same helper names (protobufPackage, DeepPartial, ...);
// named after the proto package so a future v2 can sit beside v1.
export * as healthV1 from './generated/grpc/health/v1/health.js';
export * as playerV1 from './generated/portico/player/v1/player.js';
export * as tableV1 from './generated/portico/table/v1/table.js';
export {
  HEALTH_SERVICE,
  healthProtoPath,
  PLAYER_SERVICE,
  playerProtoPath,
  protoRoot,
  TABLE_SERVICE,
  tableProtoPath,
} from './proto-files.js';
export { realtimeChannels, type PorticoRealtimeEvents } from './realtime-events.js';
