// Calls an emergency line transfers to 12345 (国办发〔2022〕12号: 110 and 12345 transfer to each other). They are
// known by the trunk they arrive on (the SIP source address, HOTLINE_REFERRAL_TRUNKS), and carry the line's context
// in X-Referral-Case (its case number) and X-Referral-Note (a summary, percent-encoded UTF-8). The same headers from
// any other address are not believed: anyone can send a header. Behind the SIP edge, FreeSWITCH sees the edge as
// the source, so the edge makes the same decision and passes it on as X-Hotline-Referral(-Case, -Note).
import { EMERGENCY_SERVICES, type EmergencyService, isEmergencyService } from '../config/env.ts';

export interface Referral {
  from: EmergencyService;
  /** The line's own case or incident number. */
  caseId?: string;
  /** What the line's operator wrote for 12345 (shown to the agent; may hold personal data). */
  note?: string;
}

export const REFERRAL_LABELS: Record<EmergencyService, string> = {
  '110': '110报警服务台',
  '119': '119消防',
  '120': '120急救',
  '122': '122交通事故报警',
};

const CASE_ID = /^[A-Za-z0-9_-]{1,40}$/;
const NOTE_MAX = 200;

/** The line whose trunk this source address belongs to, if any. */
export function trunkOf(
  address: string | undefined,
  trunks: Partial<Record<EmergencyService, readonly string[]>>,
): EmergencyService | null {
  if (!address) return null;
  for (const s of EMERGENCY_SERVICES) if (trunks[s]?.includes(address)) return s;
  return null;
}

/** A case number as the line sent it, or nothing if it is not one. */
export function caseIdOf(raw: string | undefined): string | undefined {
  const v = raw?.trim();
  return v && CASE_ID.test(v) ? v : undefined;
}

/** The note, decoded, without control characters, on one line and at most 200 characters; nothing if unreadable. */
export function noteOf(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let text: string;
  try {
    text = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  const clean = text
    .replace(/\p{Cc}|\p{Cf}/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return clean ? [...clean].slice(0, NOTE_MAX).join('') : undefined;
}

/**
 * A call's referral from its channel variables: the SIP edge's decision (X-Hotline-Referral), or the trunk the
 * INVITE came from (sip_network_ip). `untrusted`: referral headers from an address that is no line's trunk.
 */
export function referralOf(
  vars: Record<string, string | undefined>,
  trunks: Partial<Record<EmergencyService, readonly string[]>>,
): { referral: Referral | null; untrusted: boolean } {
  const h = (name: string) => vars[`sip_h_${name}`];
  const viaEdge = h('X-Hotline-Referral');
  if (isEmergencyService(viaEdge)) {
    return {
      referral: withContext(viaEdge, h('X-Hotline-Referral-Case'), h('X-Hotline-Referral-Note')),
      untrusted: false,
    };
  }
  const from = trunkOf(vars.sip_network_ip, trunks);
  if (from)
    return { referral: withContext(from, h('X-Referral-Case'), h('X-Referral-Note')), untrusted: false };
  return { referral: null, untrusted: !!(h('X-Referral-Case') || h('X-Referral-Note')) };
}

function withContext(from: EmergencyService, rawCase?: string, rawNote?: string): Referral {
  const caseId = caseIdOf(rawCase);
  const note = noteOf(rawNote);
  return { from, ...(caseId ? { caseId } : {}), ...(note ? { note } : {}) };
}
