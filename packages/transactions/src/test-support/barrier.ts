/**
 * Lets `parties` concurrent callers wait for each other: each `arrive()` resolves once all
 * have arrived. Tests use it to force transactions to overlap at a chosen point.
 */
export function createBarrier(parties: number): { arrive(): Promise<void> } {
  let arrived = 0;
  let release: () => void = () => {};
  const allArrived = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    arrive() {
      arrived++;
      if (arrived >= parties) release();
      return allArrived;
    },
  };
}
