import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

const LOCK_FILE = 'devboard.lock';

/** What the lock file holds: who has DATA_DIR's embedded database and local Stripe state open. */
interface LockOwner {
  pid: number;
  purpose: string;
  since: string;
}

/** Another live process holds DATA_DIR; the message says which and what to do. */
export class DataDirBusyError extends Error {
  constructor(
    readonly owner: LockOwner,
    dataDir: string,
  ) {
    super(
      `${path.resolve(dataDir)} is in use by process ${owner.pid} (${owner.purpose}, since ${owner.since}). ` +
        'The embedded database and the local Stripe state belong to one process at a time: wait for it to finish, or stop it ' +
        '(with the server running, the CLIs ask it instead of opening the database).',
    );
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface DataDirLock {
  release(): void;
}

/**
 * Claims DATA_DIR for this process: the lock file is created exclusively (O_EXCL) and names our pid.
 * A lock whose process is gone (SIGKILL, power loss) is stale and taken over; a live one is refused.
 * The lock is removed on release and, failing that, when the process exits.
 */
export function lockDataDir(dataDir: string, purpose: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, purpose, since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, JSON.stringify(owner));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const holder = readOwner(file);
      if (holder && processAlive(holder.pid)) throw new DataDirBusyError(holder, dataDir);
      // Stale: its process is gone (or the file was left half-written). Remove it and claim again once.
      unlinkSync(file);
    }
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    if (readOwner(file)?.pid === process.pid) unlinkSync(file);
  };
  process.on('exit', release);
  return { release };
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    return Number.isInteger(owner.pid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** For CLIs: claims DATA_DIR, or prints why it is busy and exits with code 3. */
export function exitIfBusy(claim: () => DataDirLock): DataDirLock {
  try {
    return claim();
  } catch (error) {
    if (!(error instanceof DataDirBusyError)) throw error;
    console.error(error.message);
    process.exit(3);
  }
}
