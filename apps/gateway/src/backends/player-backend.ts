import type { OnApplicationShutdown } from '@nestjs/common';
import type { playerV1 } from '@portico/contracts';
import type { CallContext, GrpcUpstream } from '@portico/grpc';

/** The gateway's typed, promise-based view of player-service. */
export class PlayerBackend implements OnApplicationShutdown {
  // Bound once here rather than per call: these run on every request.
  private readonly rpc;

  constructor(private readonly upstream: GrpcUpstream<playerV1.PlayerServiceClient>) {
    const { client } = upstream;
    this.rpc = {
      getPlayer: client.getPlayer.bind(client),
      batchGetPlayers: client.batchGetPlayers.bind(client),
      getStats: client.getStats.bind(client),
    };
  }

  getPlayer(playerId: string, context: CallContext): Promise<playerV1.Player> {
    return this.upstream.call(this.rpc.getPlayer, { playerId }, context);
  }

  batchGetPlayers(playerIds: string[], context: CallContext): Promise<playerV1.BatchGetPlayersResponse> {
    return this.upstream.call(this.rpc.batchGetPlayers, { playerIds }, context);
  }

  getStats(playerId: string, context: CallContext): Promise<playerV1.PlayerStats> {
    return this.upstream.call(this.rpc.getStats, { playerId }, context);
  }

  onApplicationShutdown(): void {
    this.upstream.close();
  }
}
