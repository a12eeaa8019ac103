import argon2 from 'argon2';

// OWASP's argon2id baseline (19 MiB, 2 passes): strong, and fast enough for a 2-core box.
const options = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => argon2.hash(password, options);

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** A hash of a random password, verified against when the email is unknown so timing does not reveal accounts. */
export const dummyHash = hashPassword('not-a-real-password-used-for-timing');
