import { Module, type DynamicModule } from '@nestjs/common';
import { announcedInstance, DiscoveryModule, discoverySettings } from '@portico/discovery';
import { ObservabilityModule } from '@portico/observability';
import type { PlayerServiceEnvironment } from './player-service.config.js';
import { PlayerController } from './players/player.controller.js';
import { PlayerDirectory } from './players/player-directory.js';

@Module({})
export class PlayerServiceModule {
  static forRoot(env: PlayerServiceEnvironment): DynamicModule {
    return {
      module: PlayerServiceModule,
      imports: [
        ObservabilityModule.forRoot({ level: env.LOG_LEVEL, pretty: process.stdout.isTTY }),
        DiscoveryModule.forService(discoverySettings(env), announcedInstance('player-service', env.PLAYER_SERVICE_URL, env)),
      ],
      controllers: [PlayerController],
      providers: [PlayerDirectory],
    };
  }
}
