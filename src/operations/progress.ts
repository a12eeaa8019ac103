import cliProgress from 'cli-progress';

export interface Progress {
  /** `total` when it is known: the bar then shows a percentage and an ETA; otherwise a running count. */
  update(phase: string, done: number, total?: number): void;
  stop(): void;
}

const silent: Progress = { update: () => {}, stop: () => {} };

/**
 * A progress bar on stderr for long commands, only when a person is watching (stdout and stderr are
 * terminals): piped or logged output stays free of control characters. One bar per phase.
 */
export function progressBar(): Progress {
  if (!process.stdout.isTTY || !process.stderr.isTTY) return silent;
  let bar: cliProgress.SingleBar | null = null;
  let current = '';
  return {
    update(phase, done, total) {
      if (phase !== current || !bar) {
        bar?.stop();
        current = phase;
        const format = total === undefined ? '{phase} {value} so far' : '{phase} [{bar}] {value}/{total} {percentage}% ETA {eta_formatted}';
        bar = new cliProgress.SingleBar({ format, stream: process.stderr, hideCursor: true, etaBuffer: 50, fps: 10 }, cliProgress.Presets.shades_classic);
        bar.start(total ?? 0, done, { phase });
      }
      if (total !== undefined) bar.setTotal(total);
      bar.update(done, { phase });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
