import type { FastifyReply, FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';
import PinoPretty from 'pino-pretty';

/**
 * What the log keeps of a request: its path without the query string (the Stripe return's client
 * secret travels there) and without the secret of a password-reset link.
 */
export const requestForLog = (request: FastifyRequest) => ({
  method: request.method,
  url: request.url.split('?')[0]!.replace(/^\/password-reset\/[^/#]+/, '/password-reset/[redacted]'),
  remoteAddress: request.ip,
});

/**
 * One line per request, once it is answered (Fastify's own request logging, an "incoming" and a
 * "completed" entry for each, is turned off in src/app.ts).
 */
export function logResponse(request: FastifyRequest, reply: FastifyReply): void {
  request.log.info({ req: request, res: { statusCode: reply.statusCode }, responseTime: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
}

/**
 * The server's logger: one line of JSON per entry for a log collector, or, on a terminal, lines a
 * person reads (pino-pretty, in this process: no worker thread for a developer's console).
 */
export function createLogger(level: string, terminal = process.stdout.isTTY === true, destination: NodeJS.WritableStream = process.stdout): Logger {
  const options = { level, serializers: { req: requestForLog } };
  if (!terminal) return pino(options, destination);
  return pino(options, PinoPretty({ colorize: terminal && destination === process.stdout, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', singleLine: true, destination }));
}
