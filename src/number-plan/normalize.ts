// Normalises numbers as carriers deliver them (+86, 0086, area-code prefixes, SIP/tel URIs,
// visual separators) to the forms the number plan and call records use. Pure functions.

/** Extracts the user part of a sip:/sips:/tel: URI (with or without <>, display name, params). */
export function uriUser(raw: string): string {
  let s = raw.trim();
  const angle = s.match(/<([^>]*)>/);
  if (angle?.[1] !== undefined) s = angle[1];
  const m = s.match(/^(?:sips?|tel):([^@;?]*)/i);
  if (m?.[1] !== undefined) s = m[1];
  else if (s.includes('@')) s = s.slice(0, s.indexOf('@'));
  s = s.split(';')[0] ?? '';
  try {
    s = decodeURIComponent(s);
  } catch {
    // keep the raw text: a broken %-escape is not worth dropping a call over
  }
  return s;
}

/** Strips visual separators and the international prefix for China. */
export function stripCountryCode(digits: string): { national: string; hadCountryCode: boolean } {
  const d = digits.replace(/[\s\-().]/g, '');
  if (d.startsWith('+86')) return { national: d.slice(3), hadCountryCode: true };
  if (d.startsWith('0086')) return { national: d.slice(4), hadCountryCode: true };
  return { national: d, hadCountryCode: false };
}

/**
 * Candidates for the dialled service number, most specific first: the number itself, then the
 * number with a long-distance area code (010, 02x, 0xxx) removed, e.g. 02712345 -> 12345.
 */
export function dialledCandidates(raw: string): string[] {
  const { national, hadCountryCode } = stripCountryCode(uriUser(raw));
  const out = [national];
  // After +86 the trunk prefix 0 is dropped: +86 27 12345 arrives as 2712345.
  const withTrunk = hadCountryCode && !national.startsWith('0') ? `0${national}` : national;
  if (/^0\d+$/.test(withTrunk)) {
    if (withTrunk.startsWith('01') || withTrunk.startsWith('02')) out.push(withTrunk.slice(3));
    else out.push(withTrunk.slice(4));
  }
  if (hadCountryCode === false && /^86\d{5,}$/.test(national)) out.push(national.slice(2));
  return out.filter((c, i) => c.length > 0 && out.indexOf(c) === i);
}

/**
 * The caller's number in national form: mobiles as 11 digits (13812345678), landlines with the
 * trunk prefix (02788881234). Non-numeric caller ids (anonymous, restricted) are kept as given.
 */
export function normalizeCaller(raw: string): string {
  const user = uriUser(raw);
  const { national, hadCountryCode } = stripCountryCode(user);
  if (!/^\d+$/.test(national)) return user.trim() || 'anonymous';
  if (hadCountryCode && !national.startsWith('1') && !national.startsWith('0')) return `0${national}`;
  return national;
}
