import type { Colours } from './output.js';

/** `2024-05-01 12:00:03` in UTC, or `-`. */
export const formatTime = (value: Date | string | null | undefined): string => {
  if (value === null || value === undefined) return '-';
  const date = typeof value === 'string' ? new Date(value) : value;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
};

/** `850 ms`, `3.2 s`, `2 min 5 s`. */
export const formatDuration = (milliseconds: number | null | undefined): string => {
  if (milliseconds === null || milliseconds === undefined) return '-';
  if (milliseconds < 1_000) return `${Math.round(milliseconds)} ms`;
  if (milliseconds < 60_000) return `${(milliseconds / 1_000).toFixed(1)} s`;
  const minutes = Math.floor(milliseconds / 60_000);
  return `${minutes} min ${Math.round((milliseconds % 60_000) / 1_000)} s`;
};

/** A migration state, coloured: applied green, pending yellow, blocked red. */
export const stateLabel = (colours: Colours, state: string): string =>
  state === 'applied'
    ? colours.green(state)
    : state === 'pending'
      ? colours.yellow(state)
      : state === 'blocked'
        ? colours.red(state)
        : state;

/** A severity or verdict, coloured: error/fail red, warning/warn yellow, pass green. */
export const severityLabel = (colours: Colours, severity: string): string =>
  severity === 'error' || severity === 'fail'
    ? colours.red(severity)
    : severity === 'warning' || severity === 'warn'
      ? colours.yellow(severity)
      : severity === 'pass' || severity === 'ok'
        ? colours.green(severity)
        : severity;

/** `1 migration`, `2 migrations`. */
export const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;
