import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the directory holding the .proto files; the same from src/ and dist/. */
export const protoRoot = fileURLToPath(new URL('../proto', import.meta.url));

export const playerProtoPath = join(protoRoot, 'portico/player/v1/player.proto');
export const tableProtoPath = join(protoRoot, 'portico/table/v1/table.proto');
export const healthProtoPath = join(protoRoot, 'grpc/health/v1/health.proto');

export const PLAYER_SERVICE = 'portico.player.v1.PlayerService';
export const TABLE_SERVICE = 'portico.table.v1.TableService';
export const HEALTH_SERVICE = 'grpc.health.v1.Health';
