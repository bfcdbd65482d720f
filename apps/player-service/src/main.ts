import 'reflect-metadata';
import { runWithConfig } from '@portico/config';
import { PLAYER_SERVICE, playerProtoPath, protoRoot } from '@portico/contracts';
import { runGrpcService } from '@portico/grpc';
import { playerServiceEnvironment } from './player-service.config.js';
import { PlayerServiceModule } from './player-service.module.js';

await runWithConfig(playerServiceEnvironment, (env) =>
  runGrpcService({
    module: PlayerServiceModule.forRoot(env),
    url: env.PLAYER_SERVICE_URL,
    service: { package: 'portico.player.v1', protoPath: playerProtoPath, serviceName: PLAYER_SERVICE },
    includeDir: protoRoot,
    drainDelayMs: env.SHUTDOWN_DRAIN_DELAY_MS,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  }),
);
