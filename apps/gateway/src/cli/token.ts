import { parseArgs } from 'node:util';
import { signDevToken } from '@portico/auth';
import { loadConfig } from '@portico/config';
import { authOptions, gatewayEnvironment } from '../gateway-config.js';

const USAGE = 'usage: npm run token -- --sub <player id> [--roles player,admin] [--ttl <seconds>]';

/** `npm run token`: a development token the gateway, configured by the same environment, accepts. */
function parse() {
  try {
    return parseArgs({
      options: {
        sub: { type: 'string' },
        roles: { type: 'string', default: 'player' },
        ttl: { type: 'string', default: '3600' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
}

function main(): void {
  const values = parse();
  const ttl = Number(values.ttl);
  if (values.help || !values.sub || !Number.isInteger(ttl) || ttl <= 0) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(values.help ? 0 : 2);
  }
  const options = authOptions(loadConfig(gatewayEnvironment));
  if (options.keys.kind !== 'secret') {
    process.stderr.write('npm run token signs with JWT_SECRET only; with a public key or JWKS, ask your identity provider for a token\n');
    process.exit(2);
  }
  const token = signDevToken(options.keys.secret, {
    sub: values.sub,
    roles: values.roles.split(',').map((role) => role.trim()).filter(Boolean),
    rolesClaim: options.rolesClaim,
    expiresInSeconds: ttl,
    algorithm: options.algorithms[0] ?? 'HS256',
    ...(options.issuer !== undefined && { issuer: options.issuer }),
    ...(options.audience !== undefined && { audience: options.audience }),
  });
  process.stdout.write(`${token}\n`);
}

main();
