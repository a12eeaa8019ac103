import type { IncomingMessage, ServerResponse } from 'node:http';
import qs from 'qs';

export function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  // nosniff: an error echoing a URL's path is never read as HTML.
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-content-type-options': 'nosniff' });
  res.end(text);
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > 1_000_000) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Form bodies with bracket notation, as the SDK and Stripe.js send them. */
export function parseForm(text: string): unknown {
  return qs.parse(text, { depth: 5, arrayLimit: 100, parameterLimit: 500, allowPrototypes: false });
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return {};
  }
}
