// A tiny HTTP upstream for the `npm start` demo's route file (config/routes.example.yaml): it answers
// with what it received, so the gateway's forwarding (path rewrite, X-Forwarded-*, identity headers) is
// visible with curl. Usage: node scripts/demo-upstream.mjs <name> <port>
import { createServer } from 'node:http';

const [name = 'echo', port = '4001'] = process.argv.slice(2);

const server = createServer((request, response) => {
  if (request.url === '/healthz') {
    response.writeHead(200).end('ok');
    return;
  }
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ upstream: name, method: request.method, url: request.url, headers: request.headers }, null, 2));
  });
});

server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));
