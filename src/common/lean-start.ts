import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/*
 * While the server starts, V8 tunes itself for a program that keeps doing what it does, and the start does
 * everything once: the memory those choices take stays resident for the life of the process (RSS idle after
 * start 146–150 MB, of which this saves about 40).
 *
 * - The young generation, where every new object is placed, doubles (2 MB up to 32 MB) each time more than
 *   its size has survived its collections since it last grew. At start nearly everything survives (modules,
 *   their metadata, the DI graph), so it reached 32 MB before the first request. Under load a bigger one means
 *   fewer collections, but the gain stops at about 16 MB: GC time per `GET /test` at 50 connections was
 *   1.7 µs at 2 MB, 0.8 at 4, 0.5 at 8, 0.3–0.4 at 16 and at 32, of some 20 µs a request.
 * - TurboFan compiles the functions that ran often, on background threads whose malloc arenas keep the
 *   memory afterwards (5–10 MB); at start those are the start's own, which never run again.
 *
 * So both are held from before the first module loads until the server listens. V8 reads `--max-semi-space-size`
 * only when the heap is created (the command line, NODE_OPTIONS), which `node dist/src/main.js` does not
 * carry; the growth factor and `--turbofan` are read each time they apply, so they can be set from here.
 * An operator who sets any of these flags (or --jitless, --lite-mode) keeps V8's behaviour as they set it.
 */

/** The young generation's size (both semi-spaces) beyond which it is held once the server serves. */
export const YOUNG_GENERATION_CAP_MB = 16;

/** Flags that size the young generation or choose the compilers: with any of them, V8 is left as the operator set it. */
const OPERATOR_FLAGS = /--(?:no-)?(?:(?:max|min)[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor|turbofan|opt|jitless|lite[-_]mode)\b/;

function operatorSetsFlags(): boolean {
  return OPERATOR_FLAGS.test([...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' '));
}

function setGrowthFactor(factor: number): void {
  setFlagsFromString(`--semi-space-growth-factor=${factor}`);
}

/** The young generation's size in MB, as V8 reports it (both semi-spaces). */
export function youngGenerationMb(): number {
  const space = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return (space?.space_size ?? 0) / (1024 * 1024);
}

/** From now on the young generation keeps its size and no function is optimized. */
export function beginLeanStart(): void {
  if (operatorSetsFlags()) return;
  setGrowthFactor(1);
  setFlagsFromString('--no-turbofan');
}

/**
 * Hot functions are optimized again, and the young generation may grow once more: straight to capMb at its
 * first growth (a growth factor of capMb / its size, 8 from 2 MB to 16), so that the load that makes it grow
 * does not pay for a small one while it doubles step by step (1.7 µs a request at 2 MB). From then on it is
 * held; the check runs every checkEveryMs, and V8 grows it only after it has seen as many bytes survive as
 * it holds, which takes a load minutes, not a second.
 */
export function endLeanStart(capMb = YOUNG_GENERATION_CAP_MB, checkEveryMs = 1000): void {
  if (operatorSetsFlags()) return;
  setFlagsFromString('--turbofan');
  const size = youngGenerationMb();
  if (size >= capMb) return;
  setGrowthFactor(Math.max(2, Math.ceil(capMb / size)));
  const check = setInterval(() => {
    if (youngGenerationMb() < capMb) return;
    setGrowthFactor(1);
    clearInterval(check);
  }, checkEveryMs);
  check.unref();
}
