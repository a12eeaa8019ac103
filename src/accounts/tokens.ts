import { createHash, randomBytes } from 'node:crypto';

/** A random secret for a cookie or an API token, and the hash we store instead of it. */
export function newSecret(prefix = ''): { secret: string; hash: string } {
  const secret = prefix + randomBytes(32).toString('base64url');
  return { secret, hash: hashSecret(secret) };
}

// Lookups go by this hash through a unique index, so comparing secrets never happens in JS
// and no timing difference reveals a prefix.
export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');
