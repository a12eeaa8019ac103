import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Makes a directory and everything in it private to the user running the app (directories 0700,
 * files 0600), including what an earlier version left readable. DATA_DIR holds the embedded
 * database, the local Stripe's state, mail and generated secrets.
 */
export function makePrivate(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const walk = (p: string) => {
    const stat = lstatSync(p, { throwIfNoEntry: false });
    if (!stat || stat.isSymbolicLink()) return;
    if (stat.isDirectory()) {
      if ((stat.mode & 0o777) !== 0o700) chmodSync(p, 0o700);
      for (const name of readdirSync(p)) walk(path.join(p, name));
    } else if ((stat.mode & 0o777) !== 0o600) chmodSync(p, 0o600);
  };
  walk(dir);
}
