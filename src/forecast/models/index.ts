// The models the planner compares in every backtest; the baseline comes first.
import type { ForecastModel } from '../model.ts';
import { makeBlend } from './blend.ts';
import { holtWinters } from './holt-winters.ts';
import { robustProfile } from './robust-profile.ts';
import { seasonalNaive } from './seasonal-naive.ts';
import { weekdayProfile } from './weekday-profile.ts';

export const profileHoltWintersBlend = makeBlend('blend', [
  { model: robustProfile, weight: 0.75 },
  { model: holtWinters, weight: 0.25 },
]);

export const STANDARD_MODELS: readonly ForecastModel[] = [
  seasonalNaive,
  weekdayProfile,
  holtWinters,
  robustProfile,
  profileHoltWintersBlend,
];

export function modelByName(name: string): ForecastModel | undefined {
  return STANDARD_MODELS.find((m) => m.name === name);
}
