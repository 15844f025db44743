// Masks personal data (phone numbers, resident ID numbers) before anything is written to a log.
// Applied to every string in a log line, keys included, so a number smuggled into a message or a
// nested object is caught too.

// Digits are any decimal digits (\p{Nd}), so full-width ０-９ are caught too. A number is caught
// wherever it starts: after a letter ("tel13812345678"), after %2B or %3A in a URI, after an escaped
// \n or \t inside a JSON string. A digit or a dash just before it, or a digit, dash or letter just
// after it, means it is part of something longer (a date such as 2026-11-22T..., a uuid segment):
// those stay readable, and so do whole uuids, which are skipped before numbers are looked for.
const UUID = String.raw`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`;
// 18-digit resident identity numbers (GB 11643), the last character may be X.
const ID_NUMBER = String.raw`(?<![\p{Nd}-])(\p{Nd}{6})\p{Nd}{8}(\p{Nd}{3}[\p{Nd}XxＸｘ])(?![\p{Nd}A-Za-z-])`;
// Phone numbers: runs of 7+ digits with optional +, country code and space/dash separators. Short
// service numbers (12345, agent extensions) stay readable: they identify lines and seats, not people.
const PHONE = String.raw`(?<![\p{Nd}-])([+＋]?\p{Nd}[\p{Nd} -]{5,}\p{Nd})(?![\p{Nd}A-Za-z-])`;
const PERSONAL = new RegExp(`(${UUID})|${ID_NUMBER}|${PHONE}`, 'gu');

function maskDigits(run: string): string {
  const digits = Array.from(run).filter((c) => /\p{Nd}/u.test(c));
  if (digits.length < 7) return run;
  const keepHead = digits.length >= 11 ? 3 : 2;
  return `${digits.slice(0, keepHead).join('')}****${digits.slice(-4).join('')}`;
}

export function maskText(text: string): string {
  return text.replace(
    PERSONAL,
    (m: string, uuid?: string, idHead?: string, idTail?: string, phone?: string) => {
      if (uuid) return m;
      if (idHead && idTail) return `${idHead}********${idTail}`;
      return phone ? maskDigits(phone) : m;
    },
  );
}

/** Masks a phone number for display in logs and operator screens; agents see numbers in full. */
export function maskPhone(number: string): string {
  return maskText(number);
}

export function maskDeep(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[depth]';
  if (typeof value === 'string') return maskText(value);
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  if (value && typeof value === 'object') {
    if (value instanceof Error) {
      return { type: value.name, message: maskText(value.message), stack: maskText(value.stack ?? '') };
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[maskText(k)] = maskDeep(v, depth + 1);
    return out;
  }
  return value;
}
