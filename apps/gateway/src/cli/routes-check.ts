import { formatIssues, readRouteFile } from '@portico/routing';
import { RESERVED_PREFIXES } from '../routes.js';

/** `npm run routes:check -- FILE`: validates a route file as the gateway would load it, like `krakend check`. */
const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: npm run routes:check -- <routes.yaml|routes.json> [...]\n');
  process.exit(2);
}

let failed = false;
for (const file of files) {
  const result = await readRouteFile(file, { reservedPrefixes: RESERVED_PREFIXES });
  if (result.ok) {
    const routes = result.file.routes.length;
    const upstreams = Object.keys(result.file.upstreams).length;
    process.stdout.write(`${file}: ${routes} route${routes === 1 ? '' : 's'}, ${upstreams} upstream${upstreams === 1 ? '' : 's'}, valid\n`);
  } else {
    failed = true;
    process.stderr.write(`${formatIssues(file, result.issues)}\n${file}: ${result.issues.length} problem${result.issues.length === 1 ? '' : 's'}\n`);
  }
}
process.exit(failed ? 1 : 0);
