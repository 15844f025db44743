// The tidal plan as an SVG chart for the operations dashboard, written by hand (no dependencies):
// above, calls per interval — the forecast with its 80 % band, the quantile the plan staffs for and
// the actual calls so far; below, seats — needed, on shift, planned with the tidal moves; at the
// bottom, one bar per move (announcement to return). Labels in Simplified Chinese.
import { localHhmm, MINUTE_MS } from './time.ts';
import type { TidalPlan } from './types.ts';

export interface ChartInput {
  plan: TidalPlan;
  /** Actual calls per plan interval so far (NaN or missing = unknown). */
  actuals?: ArrayLike<number>;
  /** Draws a "now" line when within the day. */
  now?: number;
  width?: number;
}

const STATUS_LABEL: Record<string, string> = { draft: '草案', approved: '已批准', cancelled: '已取消' };
const KIND_LABEL: Record<string, string> = { planned: '计划', manual: '人工', emergency: '紧急' };

export function escapeXml(s: string): string {
  return s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

const f1 = (x: number) => (Math.round(x * 10) / 10).toString();

/** A "nice" axis maximum and step for a data maximum. */
export function niceScale(max: number, ticks = 5): { max: number; step: number } {
  if (!(max > 0)) return { max: 1, step: 1 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? 10 * mag;
  return { max: Math.ceil(max / step - 1e-9) * step, step };
}

export function renderTidalChart(input: ChartInput): string {
  const { plan } = input;
  const W = input.width ?? 960;
  const n = plan.need.length;
  const fc = plan.forecast;
  const moves = plan.moves.filter((m) => !m.cancelled);
  const rows = Math.max(1, Math.min(moves.length, 20));
  const left = 56;
  const right = 20;
  const plotW = W - left - right;
  const top1 = 84;
  const h1 = 170;
  const top2 = top1 + h1 + 62;
  const h2 = 150;
  const top3 = top2 + h2 + 62;
  const rowH = 14;
  const h3 = rows * rowH;
  const H = top3 + h3 + 44;
  const dayMs = n * plan.intervalMin * MINUTE_MS;
  const x = (t: number) => left + ((t - plan.dayStart) / dayMs) * plotW;
  const xi = (i: number) => left + (i / n) * plotW;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${left}" y="26" font-size="17" font-weight="bold" fill="#222">${escapeXml(
      `潮汐排班 ${plan.date}（${STATUS_LABEL[plan.status] ?? plan.status}，第 ${plan.version} 版）`,
    )}</text>`,
    `<text x="${left}" y="46" fill="#555">${escapeXml(
      [
        fc ? `线路 ${fc.line}，模型 ${fc.model}，按预测 ${Math.round(fc.quantile * 100)}% 分位配置` : '',
        `调度上限 ${plan.capSeats} 席（共 ${plan.totalSeats} 席），需求前 ${plan.options.leadMin} 分钟到岗（提前 ${plan.options.noticeMin} 分钟通知），每次至少 ${plan.options.minBlockMin} 分钟`,
      ]
        .filter(Boolean)
        .join('；'),
    )}</text>`,
  );

  // ---- panel 1: calls ----
  const actual = input.actuals;
  const callMax = Math.max(
    1,
    ...(fc?.upper80 ?? []),
    ...(fc?.atQuantile ?? []),
    ...(fc?.mean ?? []),
    ...(actual ? Array.from(actual).filter((v) => Number.isFinite(v)) : []),
  );
  const cs = niceScale(callMax);
  const y1 = (v: number) => top1 + h1 - (v / cs.max) * h1;
  out.push(axis(left, top1, plotW, h1, cs, y1, `话务量（通/${plan.intervalMin}分钟）`));
  if (fc?.lower80 && fc.upper80) {
    const upper = fc.upper80.map((v, i) => `${f1(xi(i + 0.5))},${f1(y1(v))}`);
    const lower = fc.lower80.map((v, i) => `${f1(xi(i + 0.5))},${f1(y1(v))}`).reverse();
    out.push(
      `<polygon points="${[...upper, ...lower].join(' ')}" fill="#9ecae1" fill-opacity="0.45" stroke="none"/>`,
    );
  }
  if (fc) {
    out.push(
      polyline(
        fc.mean.map((v, i) => [xi(i + 0.5), y1(v)]),
        '#2171b5',
        2,
      ),
    );
    out.push(
      polyline(
        fc.atQuantile.map((v, i) => [xi(i + 0.5), y1(v)]),
        '#e6550d',
        1.5,
        '5 3',
      ),
    );
  }
  if (actual) {
    const pts: Array<[number, number]> = [];
    const segments: Array<Array<[number, number]>> = [];
    for (let i = 0; i < n; i++) {
      const v = actual[i];
      if (v === undefined || !Number.isFinite(v)) {
        if (pts.length) segments.push(pts.splice(0));
        continue;
      }
      pts.push([xi(i + 0.5), y1(v)]);
    }
    if (pts.length) segments.push(pts);
    for (const s of segments) out.push(polyline(s, '#111', 1.8));
  }
  out.push(
    legend(left, top1 + h1 + 24, [
      ['rect', '#9ecae1', '80% 预测区间'],
      ['line', '#2171b5', '预测话务量'],
      ['dash', '#e6550d', '计划分位话务量'],
      ['line', '#111', '实际话务量'],
    ]),
  );

  // ---- panel 2: seats ----
  const planned = plan.base.map((b, i) => b + (plan.moved[i] ?? 0));
  const ss = niceScale(Math.max(1, ...plan.need, ...planned));
  const y2 = (v: number) => top2 + h2 - (v / ss.max) * h2;
  out.push(axis(left, top2, plotW, h2, ss, y2, '坐席（人）'));
  out.push(stepArea(plan.base, xi, y2, top2 + h2, '#d9d9d9'));
  // The moved seats stacked on the base.
  const movedBand: string[] = [];
  for (let i = 0; i < n; i++) {
    if (!(plan.moved[i]! > 0)) continue;
    movedBand.push(
      `<rect x="${f1(xi(i))}" y="${f1(y2(planned[i]!))}" width="${f1(xi(i + 1) - xi(i))}" height="${f1(y2(plan.base[i]!) - y2(planned[i]!))}" fill="#74c476"/>`,
    );
  }
  out.push(`<g>${movedBand.join('')}</g>`);
  out.push(stepLine(planned, xi, y2, '#238b45', 1.6));
  out.push(stepLine(plan.need, xi, y2, '#cb181d', 1.8, '4 2'));
  out.push(
    legend(left, top2 + h2 + 24, [
      ['rect', '#d9d9d9', '一线在岗'],
      ['rect', '#74c476', '潮汐调入'],
      ['line', '#238b45', '计划坐席'],
      ['dash', '#cb181d', '需要坐席'],
    ]),
  );

  // ---- panel 3: the moves ----
  out.push(
    `<text x="${left}" y="${top3 - 8}" fill="#333" font-weight="bold">潮汐调度（${moves.length} 次）</text>`,
  );
  out.push(`<rect x="${left}" y="${top3}" width="${plotW}" height="${h3}" fill="#fafafa" stroke="#ddd"/>`);
  moves.slice(0, rows).forEach((m, r) => {
    const y = top3 + r * rowH + 2;
    const xa = Math.max(left, x(m.announceAt));
    const xe = x(m.effectiveAt);
    const xr = Math.min(left + plotW, x(m.returnAt));
    const colour = m.kind === 'emergency' ? '#d94801' : m.kind === 'manual' ? '#6a51a3' : '#238b45';
    if (xe > xa)
      out.push(
        `<line x1="${f1(xa)}" y1="${f1(y + 5)}" x2="${f1(xe)}" y2="${f1(y + 5)}" stroke="${colour}" stroke-dasharray="2 2"/>`,
      );
    out.push(
      `<rect x="${f1(xe)}" y="${f1(y)}" width="${f1(Math.max(1, xr - xe))}" height="${rowH - 4}" fill="${colour}" rx="2"><title>${escapeXml(
        `${m.id} ${m.agentId}（${KIND_LABEL[m.kind] ?? m.kind}）通知 ${localHhmm(m.announceAt)}，${localHhmm(m.effectiveAt)}–${localHhmm(m.returnAt)}`,
      )}</title></rect>`,
      `<text x="${f1(xr + 4)}" y="${f1(y + 9)}" font-size="10" fill="#333">${escapeXml(`${m.agentId} ${localHhmm(m.effectiveAt)}–${localHhmm(m.returnAt)}`)}</text>`,
    );
  });
  if (moves.length > rows)
    out.push(
      `<text x="${left + plotW}" y="${top3 + h3 + 14}" text-anchor="end" fill="#777">另有 ${moves.length - rows} 次未画出</text>`,
    );
  if (!moves.length)
    out.push(`<text x="${left + 8}" y="${top3 + 11}" font-size="10" fill="#777">无潮汐调度</text>`);

  // ---- time axis and "now" ----
  const bottom = top3 + h3;
  for (let h = 0; h <= 24; h += 2) {
    const t = plan.dayStart + h * 3600_000;
    if (t - plan.dayStart > dayMs) break;
    const xx = f1(x(t));
    out.push(
      `<line x1="${xx}" y1="${top1}" x2="${xx}" y2="${bottom}" stroke="#eee" stroke-width="1"/>`,
      `<text x="${xx}" y="${bottom + 16}" text-anchor="${h === 0 ? 'start' : h === 24 ? 'end' : 'middle'}" fill="#555">${String(h).padStart(2, '0')}:00</text>`,
    );
  }
  out.push(
    `<text x="${left + plotW}" y="${bottom + 34}" text-anchor="end" fill="#777">时间（北京时间）</text>`,
  );
  if (input.now !== undefined && input.now >= plan.dayStart && input.now <= plan.dayStart + dayMs) {
    const xn = f1(x(input.now));
    out.push(
      `<line x1="${xn}" y1="${top1}" x2="${xn}" y2="${bottom}" stroke="#756bb1" stroke-width="1.5"/>`,
      `<text x="${xn}" y="${top1 + 14}" dx="4" fill="#756bb1">现在 ${localHhmm(input.now)}</text>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}

function axis(
  left: number,
  top: number,
  w: number,
  h: number,
  s: { max: number; step: number },
  y: (v: number) => number,
  title: string,
): string {
  const parts = [
    `<rect x="${left}" y="${top}" width="${w}" height="${h}" fill="none" stroke="#ccc"/>`,
    `<text x="${left}" y="${top - 8}" fill="#333" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (let v = 0; v <= s.max + 1e-9; v += s.step) {
    const yy = f1(y(v));
    parts.push(
      `<line x1="${left}" y1="${yy}" x2="${left + w}" y2="${yy}" stroke="#f0f0f0"/>`,
      `<text x="${left - 6}" y="${yy}" dy="4" text-anchor="end" fill="#555">${f1(v)}</text>`,
    );
  }
  return parts.join('\n');
}

function polyline(pts: Array<[number, number]>, colour: string, width: number, dash?: string): string {
  if (!pts.length) return '';
  return `<polyline points="${pts.map(([a, b]) => `${f1(a)},${f1(b)}`).join(' ')}" fill="none" stroke="${colour}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`;
}

function stepPoints(
  values: readonly number[],
  xi: (i: number) => number,
  y: (v: number) => number,
): string[] {
  const pts: string[] = [];
  values.forEach((v, i) => pts.push(`${f1(xi(i))},${f1(y(v))}`, `${f1(xi(i + 1))},${f1(y(v))}`));
  return pts;
}

function stepLine(
  values: readonly number[],
  xi: (i: number) => number,
  y: (v: number) => number,
  colour: string,
  width: number,
  dash?: string,
): string {
  return `<polyline points="${stepPoints(values, xi, y).join(' ')}" fill="none" stroke="${colour}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`;
}

function stepArea(
  values: readonly number[],
  xi: (i: number) => number,
  y: (v: number) => number,
  base: number,
  colour: string,
): string {
  if (!values.length) return '';
  const pts = [
    `${f1(xi(0))},${f1(base)}`,
    ...stepPoints(values, xi, y),
    `${f1(xi(values.length))},${f1(base)}`,
  ];
  return `<polygon points="${pts.join(' ')}" fill="${colour}" stroke="none"/>`;
}

function legend(x0: number, y: number, items: Array<['rect' | 'line' | 'dash', string, string]>): string {
  let x = x0;
  const parts: string[] = [];
  for (const [kind, colour, label] of items) {
    if (kind === 'rect') parts.push(`<rect x="${x}" y="${y - 9}" width="16" height="10" fill="${colour}"/>`);
    else
      parts.push(
        `<line x1="${x}" y1="${y - 4}" x2="${x + 16}" y2="${y - 4}" stroke="${colour}" stroke-width="2"${kind === 'dash' ? ' stroke-dasharray="4 2"' : ''}/>`,
      );
    parts.push(`<text x="${x + 22}" y="${y}" fill="#333">${escapeXml(label)}</text>`);
    x += 30 + label.length * 13;
  }
  return parts.join('\n');
}

/**
 * Actual calls per plan interval from 15-minute interval rows (offered per `HH:MM`); intervals before
 * `upTo` with no row had no calls, those from `upTo` on are not known yet.
 */
export function actualsPerInterval(
  rows: ReadonlyArray<{ interval: string; line: string; offered: number }>,
  intervalMin: number,
  n: number,
  line?: string,
  upTo = n,
): number[] {
  const per15 = new Array<number>(96).fill(NaN);
  for (const r of rows) {
    if (line && r.line !== line) continue;
    const [h, m] = r.interval.split(':').map(Number) as [number, number];
    const k = Math.floor((h * 60 + m) / 15);
    if (k < 0 || k >= 96) continue;
    per15[k] = (Number.isNaN(per15[k]!) ? 0 : per15[k]!) + r.offered;
  }
  const out = new Array<number>(n).fill(NaN);
  for (let i = 0; i < n; i++) {
    const from = i * intervalMin;
    if (intervalMin >= 15 && intervalMin % 15 === 0) {
      let s = NaN;
      for (let k = from / 15; k < (from + intervalMin) / 15; k++)
        if (Number.isFinite(per15[k]!)) s = (Number.isNaN(s) ? 0 : s) + per15[k]!;
      out[i] = s;
    } else {
      const v = per15[Math.floor(from / 15)]!;
      out[i] = Number.isFinite(v) ? (v * intervalMin) / 15 : NaN;
    }
    if (i < upTo && Number.isNaN(out[i]!)) out[i] = 0;
    if (i >= upTo) out[i] = NaN;
  }
  return out;
}
