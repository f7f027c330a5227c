import { createServer } from 'node:http';

/**
 * The floor: a node:http server that reads each request and answers a fixed JSON body,
 * with no broker behind it. Measured with the same client, it shows what HTTP on this
 * machine allows before the broker does any work.
 */
const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    const body = req.method === 'POST' ? '{"msgId":"0","queueId":0,"queueOffset":0}' : '{}';
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') console.log(`listening on ${address.port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
