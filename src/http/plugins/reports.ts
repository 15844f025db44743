// Reports: the daily and weekly KPI report per line, as JSON and as CSV (the console prints it).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { READ } from '../../accounts/roles.ts';
import type { CallRecord } from '../../records/call-records.ts';
import { dayOf } from '../../records/call-records.ts';
import type { RouterParts } from '../../router.ts';
import { kpiReport, reportCsv, weekOf } from '../../reports/kpi-report.ts';
import { DateStr } from '../schemas.ts';

/** Records read per day for the survey, repeat-caller and callback figures. */
const MAX_RECORDS_PER_DAY = 200_000;

export const reportsPlugin: FastifyPluginAsyncTypebox<{ parts: RouterParts }> = async (app, { parts }) => {
  for (const kind of ['daily', 'weekly'] as const) {
    app.get(
      `/admin/reports/${kind}`,
      {
        config: { roles: READ },
        schema: {
          tags: ['reports'],
          summary:
            kind === 'daily'
              ? 'Daily KPI report per line (JSON, or CSV with format=csv)'
              : 'Weekly KPI report per line, Monday to Sunday of the week holding date (JSON, or CSV)',
          querystring: Type.Object({
            date: Type.Optional(DateStr),
            format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
          }),
        },
      },
      async (req, reply) => {
        const day = req.query.date ?? dayOf(Date.now());
        const days = kind === 'daily' ? [day] : weekOf(day);
        const rows = (await Promise.all(days.map((d) => parts.records.stats.rows(d)))).flat();
        const records: CallRecord[] = [];
        for (const d of days) {
          let after: string | undefined;
          for (;;) {
            const page = await parts.records.page(d, { ...(after ? { after } : {}), limit: 5000 });
            if (!page) break;
            records.push(...page.records);
            if (!page.nextCursor || records.length >= MAX_RECORDS_PER_DAY * days.length) break;
            after = page.nextCursor;
          }
        }
        const lineNames = new Map((await parts.numberPlan.lines()).map((l) => [l.number, l.name]));
        const report = kpiReport({ kind, days, rows, records, lineNames });
        if (req.query.format === 'csv')
          return reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="12345-${kind}-${day}.csv"`)
            .send(reportCsv(report));
        return report;
      },
    );
  }
};
