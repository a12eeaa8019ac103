import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback round-robin HTTP proxy in front of several app instances, for the soak: each request
 * goes to the next instance. Like nginx's default `proxy_next_upstream error`, a request whose
 * instance refuses the connection (killed, not yet started again) goes to the next one, and that
 * instance is skipped for a second; a request already sent to an instance that dies is answered 502
 * with `x-proxy-error: upstream-lost` (it may have been processed), so the client can tell it from an
 * app's own 5xx. It sets X-Forwarded-For and -Proto as a TLS-terminating proxy would.
 */
export interface RoundRobinProxy {
  url: string;
  /** Requests answered 502 because their instance died with them in flight. */
  lost: number;
  /** Requests that went to another instance because theirs refused the connection. */
  redirected: number;
  close(): Promise<void>;
}

export async function startRoundRobinProxy(targets: string[], port = 0): Promise<RoundRobinProxy> {
  let next = 0;
  const downUntil = new Map<string, number>();
  const stats = { lost: 0, redirected: 0 };

  const pick = (): string => {
    for (let i = 0; i < targets.length; i++) {
      const target = targets[next++ % targets.length]!;
      if ((downUntil.get(target) ?? 0) <= Date.now()) return target;
    }
    return targets[next++ % targets.length]!; // all marked down: try anyway
  };

  const forward = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse, attempt: number) => {
    const target = new URL(pick());
    const headers = { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress ?? '', 'x-forwarded-proto': 'http', host: req.headers.host ?? target.host };
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent: false }, (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
      reply.on('error', () => res.destroy());
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (res.headersSent) return void res.destroy();
      if (error.code === 'ECONNREFUSED' && attempt < targets.length) {
        // Nothing reached that instance: the request can go to another one.
        downUntil.set(target.origin, Date.now() + 1000);
        stats.redirected++;
        return forward(req, body, res, attempt + 1);
      }
      stats.lost++;
      res.writeHead(502, { 'content-type': 'application/json', 'x-proxy-error': 'upstream-lost' });
      res.end(JSON.stringify({ error: { code: 'bad_gateway', message: `upstream ${target.origin}: ${error.code ?? error.message}` } }));
    });
    upstream.end(body);
  };

  const server = http.createServer((req, res) => {
    // Bodies are small (JSON, forms, webhooks): read whole, so a refused request can be sent again.
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => forward(req, Buffer.concat(chunks), res, 1));
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    get lost() {
      return stats.lost;
    },
    get redirected() {
      return stats.redirected;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
