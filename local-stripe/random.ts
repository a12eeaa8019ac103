import { randomFillSync } from 'node:crypto';

// Stripe-looking ids ([A-Za-z0-9]) from a pooled buffer: one randomFillSync per 4 KiB instead of
// one per id, which showed in profiles of a few hundred payments a second.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789xx';
const pool = Buffer.alloc(4096);
let offset = pool.length;

export function randomToken(length: number): string {
  if (offset + length > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  let token = '';
  for (let i = 0; i < length; i++) token += ALPHABET[pool[offset + i]! & 63];
  offset += length;
  return token;
}
