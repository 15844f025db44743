// A forecast combination: the weighted mean of other models' point forecasts. Combining a
// profile (steady, slow to react) with exponential smoothing (reactive, noisier) cancels part of
// each one's errors, the most reliable gain in the forecasting literature.
import type { ForecastModel } from '../model.ts';

export function makeBlend(
  name: string,
  parts: ReadonlyArray<{ model: ForecastModel; weight: number }>,
): ForecastModel {
  const total = parts.reduce((s, p) => s + p.weight, 0);
  return {
    name,
    minHistoryDays: Math.max(...parts.map((p) => p.model.minHistoryDays)),
    pointForecast(history, calendar) {
      let out: Float64Array | null = null;
      for (const { model, weight } of parts) {
        const f = model.pointForecast(history, calendar);
        if (!out) out = new Float64Array(f.length);
        for (let i = 0; i < f.length; i++) out[i]! += (weight / total) * f[i]!;
      }
      return out ?? new Float64Array(0);
    },
  };
}
