import type { playerV1 } from '@portico/contracts';
import type { CallContext, GrpcServicePool, MethodSelector } from '@portico/grpc';

type Client = playerV1.PlayerServiceClient;

// Selectors are module constants, so each channel binds every method once, not once per call.
const getPlayer: MethodSelector<Client, playerV1.GetPlayerRequest, playerV1.Player> = (client) => client.getPlayer.bind(client);
const batchGetPlayers: MethodSelector<Client, playerV1.BatchGetPlayersRequest, playerV1.BatchGetPlayersResponse> = (client) =>
  client.batchGetPlayers.bind(client);
const getStats: MethodSelector<Client, playerV1.GetStatsRequest, playerV1.PlayerStats> = (client) => client.getStats.bind(client);

/** Reads only: every call is safe to retry on another instance. */
const READ = { idempotent: true } as const;

/** The gateway's typed, promise-based view of player-service, over every discovered instance. */
export class PlayerBackend {
  constructor(private readonly pool: GrpcServicePool<Client>) {}

  getPlayer(playerId: string, context: CallContext): Promise<playerV1.Player> {
    return this.pool.call(getPlayer, { playerId }, context, READ);
  }

  batchGetPlayers(playerIds: string[], context: CallContext): Promise<playerV1.BatchGetPlayersResponse> {
    return this.pool.call(batchGetPlayers, { playerIds }, context, READ);
  }

  getStats(playerId: string, context: CallContext): Promise<playerV1.PlayerStats> {
    return this.pool.call(getStats, { playerId }, context, READ);
  }
}
