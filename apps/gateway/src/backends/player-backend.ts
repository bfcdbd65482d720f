import { type playerV1 } from '@portico/contracts';
import type { OnApplicationShutdown } from '@nestjs/common';
import { unaryCall, type CallContext } from '@portico/grpc';

/** The gateway's typed, promise-based view of player-service. */
export class PlayerBackend implements OnApplicationShutdown {
  constructor(private readonly client: playerV1.PlayerServiceClient) {}

  getPlayer(playerId: string, context: CallContext): Promise<playerV1.Player> {
    return unaryCall(this.client.getPlayer.bind(this.client), { playerId }, context);
  }

  batchGetPlayers(playerIds: string[], context: CallContext): Promise<playerV1.BatchGetPlayersResponse> {
    return unaryCall(this.client.batchGetPlayers.bind(this.client), { playerIds }, context);
  }

  getStats(playerId: string, context: CallContext): Promise<playerV1.PlayerStats> {
    return unaryCall(this.client.getStats.bind(this.client), { playerId }, context);
  }

  onApplicationShutdown(): void {
    this.client.close();
  }
}
