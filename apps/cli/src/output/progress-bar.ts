/** Where a progress bar draws: a terminal stream. */
export interface ProgressStream {
  write(text: string): unknown;
  columns?: number | undefined;
}

/** Progress of long work (a migration run, a rehearsal): `total` steps, the current one named. */
export interface Progress {
  /** Starts step `current` (1-based) named `label`. */
  step(current: number, label: string): void;
  /** Changes the total, when it becomes known. */
  setTotal(total: number): void;
  /** Clears the bar so the lines printed after it are not mixed with it. */
  stop(): void;
}

/** The progress of a run that shows none: JSON output, or a stream that is not a terminal. */
export const silentProgress: Progress = {
  step() {},
  setTotal() {},
  stop() {},
};

const WIDTH = 20;

/**
 * A one-line bar redrawn in place (`\r`), with the current step, the seconds it has run so
 * far and its label, refreshed every 250 ms while a step runs. Only for terminals: the
 * caller decides (see `Output.progress`).
 */
export function createProgressBar(stream: ProgressStream, title: string, total: number): Progress {
  let current = 0;
  let label = '';
  let started = performance.now();
  let drawn = false;
  let size = total;
  const draw = (): void => {
    const done = size === 0 ? 0 : Math.min(1, (current - 1) / size);
    const filled = Math.round(done * WIDTH);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    // The label goes last, so a narrow terminal cuts the label rather than the numbers.
    const text = `${title} [${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}] ${current}/${size} ${seconds}s ${label}`;
    const columns = stream.columns ?? 100;
    stream.write(`\r\x1b[2K${text.length > columns - 1 ? `${text.slice(0, columns - 2)}…` : text}`);
    drawn = true;
  };
  const timer = setInterval(() => {
    if (current > 0) draw();
  }, 250);
  timer.unref();
  return {
    step(next, nextLabel) {
      current = next;
      label = nextLabel;
      started = performance.now();
      draw();
    },
    setTotal(next) {
      size = next;
    },
    stop() {
      clearInterval(timer);
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
