import type { TrainProgress } from '../pipeline/index.js';
import type { ProgressBar } from './progress.js';

export const DETECTORS = ['iforest', 'autoencoder', 'ensemble'] as const;
export const FORMATS = ['auto', 'apache', 'nginx', 'hdfs', 'syslog', 'json', 'logfmt', 'csv', 'generic'] as const;

/** Draws training progress: lines read, then the autoencoder's epochs. */
export function trainProgress(bar: ProgressBar): (p: TrainProgress) => void {
  return (p) => {
    if (p.phase === 'read') bar.update(0, 0, `reading: ${p.lines.toLocaleString('en-US')} lines`);
    else if (p.phase === 'fit') bar.update(0, 0, `fitting ${p.member}`);
    else {
      const { phase, epoch, epochs, loss } = p.progress;
      bar.update(epoch, epochs, `autoencoder ${phase} epoch ${epoch}/${epochs} loss ${loss.toFixed(4)}`);
    }
  };
}
