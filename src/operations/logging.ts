import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
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
 * One line per request, once it is answered, in place of Fastify's "incoming request" and
 * "request completed" pair.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    const entry = { req: request, res: { statusCode: reply.statusCode }, responseTime: Math.round(reply.elapsedTime * 10) / 10 };
    if (error) reply.log.error({ ...entry, err: error }, 'request');
    else reply.log.info(entry, 'request');
  }
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
