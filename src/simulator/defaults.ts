// Default caller behaviour, calibrated from real per-call records: the Anonymous Bank call centre,
// January 1999 (../shared/data/anonbank-1999/calls_1999-01.csv, 31,359 calls; `hotline simulate
// --calibrate FILE` recomputes these, test/simulator/calibration.test.ts checks them):
//   - talk time of the 26,762 served calls: mean 185.2 s, coefficient of variation 1.242 (median
//     114 s, 95th percentile 589 s), simulated log-normal with that mean and spread;
//   - patience of the 16,685 queued callers, 3,101 of whom hung up: exponential mean 366.4 s, the
//     maximum-likelihood estimate with served callers' waits as censored observations (Kaplan–Meier
//     median 311 s).
import type { Dist } from './distributions.ts';

export const DEFAULT_HANDLE_TIME: Dist = { kind: 'lognormal', meanS: 185.2, cv: 1.242 };
export const DEFAULT_PATIENCE: Dist = { kind: 'exponential', meanS: 366.4 };
