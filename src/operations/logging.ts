import type { FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';
import PinoPretty from 'pino-pretty';

/** What the log keeps of a request: no secret that travels in its URL (a password-reset link). */
export const requestForLog = (request: FastifyRequest) => ({
  method: request.method,
  url: request.url.replace(/^\/password-reset\/[^/?#]+/, '/password-reset/[redacted]'),
  remoteAddress: request.ip,
});

/**
 * The server's logger: one line of JSON per entry for a log collector, or, on a terminal, lines a
 * person reads (pino-pretty, in this process: no worker thread for a developer's console).
 */
export function createLogger(level: string, terminal = process.stdout.isTTY === true, destination: NodeJS.WritableStream = process.stdout): Logger {
  const options = { level, serializers: { req: requestForLog } };
  if (!terminal) return pino(options, destination);
  return pino(options, PinoPretty({ colorize: terminal && destination === process.stdout, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', singleLine: true, destination }));
}
