import { promises as dns } from 'node:dns';
const r = new dns.Resolver({ timeout: 500, tries: 1 });
r.setServers(['127.0.0.1:15353']);
for (const n of ['a', 'a.player']) { try { console.log(n, await r.resolve4(n)); } catch (e) { console.log(n, e.code); } }
try { console.log(await r.resolveSrv('_grpc._tcp.player')); } catch (e) { console.log('srv', e.code); }
