import { loadSync, type PackageDefinition, type ServiceDefinition } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { healthV1, playerV1, tableV1 } from './index.js';
import {
  HEALTH_SERVICE,
  healthProtoPath,
  PLAYER_SERVICE,
  playerProtoPath,
  protoRoot,
  TABLE_SERVICE,
  tableProtoPath,
} from './proto-files.js';

// The options the Nest side loads protos with (libs/grpc); the shapes below must match ts-proto's.
const loaderOptions = { keepCase: false, longs: Number, enums: Number, defaults: true, oneofs: true, includeDirs: [protoRoot] };

function serviceOf(definition: PackageDefinition, name: string): ServiceDefinition {
  const service = definition[name];
  // Message and enum definitions carry a `format`; services do not.
  if (!service || 'format' in service) throw new Error(`${name} is not a service`);
  return service;
}

function methodOf(service: ServiceDefinition, name: string) {
  const method = service[name];
  if (!method) throw new Error(`no method ${name}`);
  return method;
}

describe('proto files', () => {
  it('define the services under their exported names', () => {
    expect(Object.keys(loadSync(playerProtoPath, loaderOptions))).toContain(PLAYER_SERVICE);
    expect(Object.keys(loadSync(tableProtoPath, loaderOptions))).toContain(TABLE_SERVICE);
    expect(Object.keys(loadSync(healthProtoPath, loaderOptions))).toContain(HEALTH_SERVICE);
    expect(playerV1.PlayerServiceService.getPlayer.path).toBe(`/${PLAYER_SERVICE}/GetPlayer`);
    expect(tableV1.TableServiceService.getTable.path).toBe(`/${TABLE_SERVICE}/GetTable`);
    expect(healthV1.HealthService.check.path).toBe(`/${HEALTH_SERVICE}/Check`);
  });

  it('give proto-loader the same message shape as the generated types', () => {
    const players = serviceOf(loadSync(playerProtoPath, loaderOptions), PLAYER_SERVICE);
    const batch: playerV1.BatchGetPlayersResponse = {
      players: [{ id: 'p1', displayName: 'Ada', country: 'GB', avatarUrl: 'https://avatars.example/p1.png' }],
      missingIds: [],
    };
    const onTheWire = Buffer.from(playerV1.BatchGetPlayersResponse.encode(batch).finish());
    expect(methodOf(players, 'BatchGetPlayers').responseDeserialize(onTheWire)).toEqual(batch);

    const tables = serviceOf(loadSync(tableProtoPath, loaderOptions), TABLE_SERVICE);
    const table: tableV1.Table = { id: 't4', name: 'Deep Stack', game: 'holdem', stakes: '5/10', capacity: 9, seatedPlayerIds: [] };
    const fromLoader = methodOf(tables, 'GetTable').responseSerialize(table);
    expect(tableV1.Table.decode(fromLoader)).toEqual(table);

    const health = serviceOf(loadSync(healthProtoPath, loaderOptions), HEALTH_SERVICE);
    const serving = { status: healthV1.HealthCheckResponse_ServingStatus.SERVING };
    const healthOnTheWire = Buffer.from(healthV1.HealthCheckResponse.encode(serving).finish());
    expect(methodOf(health, 'Check').responseDeserialize(healthOnTheWire)).toEqual(serving);
  });
});
