import { Controller } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';
import type { playerV1 } from '@portico/contracts';
import { PlayerDirectory } from './player-directory.js';

const PLAYER_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_BATCH = 500;

function invalid(message: string): RpcException {
  return new RpcException({ code: status.INVALID_ARGUMENT, message });
}

function validPlayerId(id: string): string {
  if (!PLAYER_ID.test(id)) throw invalid(`player_id must match ${PLAYER_ID.source}`);
  return id;
}

@Controller()
export class PlayerController {
  constructor(private readonly directory: PlayerDirectory) {}

  @GrpcMethod('PlayerService', 'GetPlayer')
  getPlayer(request: playerV1.GetPlayerRequest): playerV1.Player {
    const player = this.directory.get(validPlayerId(request.playerId));
    if (!player) throw new RpcException({ code: status.NOT_FOUND, message: `player ${request.playerId} does not exist` });
    return player;
  }

  @GrpcMethod('PlayerService', 'BatchGetPlayers')
  batchGetPlayers(request: playerV1.BatchGetPlayersRequest): playerV1.BatchGetPlayersResponse {
    if (request.playerIds.length > MAX_BATCH) throw invalid(`at most ${MAX_BATCH} player_ids per call`);
    return this.directory.getMany(request.playerIds.map(validPlayerId));
  }

  @GrpcMethod('PlayerService', 'GetStats')
  getStats(request: playerV1.GetStatsRequest): playerV1.PlayerStats {
    const stats = this.directory.stats(validPlayerId(request.playerId));
    if (!stats) throw new RpcException({ code: status.NOT_FOUND, message: `player ${request.playerId} does not exist` });
    return stats;
  }
}
