// Schemas shared by the admin plugins.
import { Type } from '@sinclair/typebox';

/** A calendar day, YYYY-MM-DD; impossible days (2026-02-30) are refused by the `date` format. */
export const DateStr = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}$',
  format: 'date',
  description: 'A calendar day, YYYY-MM-DD (China Standard Time)',
});
