// REGISTER for agents' softphones (RFC 3261 section 10), digest-authenticated (RFC 2617, qop=auth, MD5). An
// unauthenticated REGISTER is challenged 401; a wrong password (or a user registering someone else's
// extension) is refused 403; a right one stores the binding with its expiry (registrations.ts), which is what
// makes the agent offerable. Contact "*" with Expires 0 or expires=0 removes it; a REGISTER without Contact
// asks for the current binding. The 401/200 shapes follow register_digest.transcript.txt.
import type { Logger } from '../logging/logger.ts';
import type { SipCredentials } from './credentials.ts';
import { EXTENSION } from './credentials.ts';
import { challenge, parseDigest, verifyResponse, type NonceIssuer } from './digest.ts';
import { nameAddr, splitHeaderList } from './intake.ts';
import type { AgentRegistrations } from './registrations.ts';
import type { SrfRequest, SrfResponse } from './srf.ts';

export interface RegistrarDeps {
  registrations: AgentRegistrations;
  credentials: SipCredentials;
  nonces: NonceIssuer;
  realm: string;
  minExpiresS: number;
  maxExpiresS: number;
  log: Logger;
}

export type RegisterOutcome =
  'challenged' | 'refused' | 'registered' | 'refreshed' | 'unregistered' | 'queried' | 'rejected';

export class Registrar {
  readonly stats: Record<RegisterOutcome, number> = {
    challenged: 0,
    refused: 0,
    registered: 0,
    refreshed: 0,
    unregistered: 0,
    queried: 0,
    rejected: 0,
  };

  constructor(private readonly d: RegistrarDeps) {}

  async handle(req: SrfRequest, res: SrfResponse): Promise<RegisterOutcome> {
    const outcome = await this.decide(req, res);
    this.stats[outcome]++;
    return outcome;
  }

  private async decide(req: SrfRequest, res: SrfResponse): Promise<RegisterOutcome> {
    const { d } = this;
    const to = nameAddr(req.get('to') ?? '');
    const user = /^sips?:([^@;]+)@/i.exec(to.uri)?.[1] ?? '';
    const ext = decodeURIComponent(user);
    const from = { address: req.source_address, port: req.source_port };
    if (!EXTENSION.test(ext)) {
      d.log.warn({ aor: to.uri, ...from }, 'REGISTER for something that is not an agent extension');
      res.send(404, 'Not Found');
      return 'rejected';
    }
    const creds = parseDigest(req.get('authorization'));
    if (!creds || creds.realm !== d.realm) {
      res.send(401, 'Unauthorized', {
        headers: { 'WWW-Authenticate': challenge(d.realm, d.nonces.issue()) },
      });
      return 'challenged';
    }
    const nonce = d.nonces.check(creds.nonce);
    if (nonce !== 'ok') {
      res.send(401, 'Unauthorized', {
        headers: { 'WWW-Authenticate': challenge(d.realm, d.nonces.issue(), nonce === 'stale') },
      });
      return 'challenged';
    }
    const ha1 = await d.credentials.ha1(ext);
    if (creds.username !== ext || !ha1 || !verifyResponse(creds, 'REGISTER', ha1)) {
      d.log.warn(
        { extension: ext, username: creds.username, ...from },
        creds.username !== ext
          ? 'REGISTER for another extension refused'
          : 'REGISTER with wrong credentials refused',
      );
      res.send(403, 'Forbidden');
      return 'refused';
    }

    const contacts = splitHeaderList(req.get('contact'));
    const headerExpires = req.get('expires');
    if (contacts.length === 0) {
      const cur = await d.registrations.get(ext);
      res.send(200, 'OK', { headers: cur ? this.bindingHeaders(cur.contact, cur.expiresAt) : {} });
      return 'queried';
    }
    if (contacts.some((c) => c.trim() === '*')) {
      if (contacts.length > 1 || (headerExpires ?? '').trim() !== '0') {
        res.send(400, 'Invalid Request');
        return 'rejected';
      }
      await d.registrations.unregister(ext);
      d.log.info({ extension: ext }, 'softphone unregistered');
      res.send(200, 'OK');
      return 'unregistered';
    }
    const c = nameAddr(contacts[0]!);
    if (!/^sips?:/i.test(c.uri)) {
      res.send(400, 'Bad Contact');
      return 'rejected';
    }
    const raw = c.params.expires ?? headerExpires ?? '3600';
    const asked = /^\d+$/.test(raw.trim()) ? Number(raw) : 3600;
    if (asked === 0) {
      await d.registrations.unregister(ext);
      d.log.info({ extension: ext }, 'softphone unregistered');
      res.send(200, 'OK');
      return 'unregistered';
    }
    if (asked < d.minExpiresS) {
      res.send(423, 'Interval Too Brief', { headers: { 'Min-Expires': String(d.minExpiresS) } });
      return 'rejected';
    }
    const expires = Math.min(asked, d.maxExpiresS);
    const now = Date.now();
    const kind = await d.registrations.register({
      extension: ext,
      contact: c.uri,
      received: { address: req.source_address, port: req.source_port, protocol: req.protocol || 'udp' },
      expiresAt: now + expires * 1000,
      registeredAt: now,
      callId: req.get('call-id') ?? '',
      userAgent: req.get('user-agent'),
    });
    d.log.info(
      { extension: ext, contact: c.uri, expires, ...from },
      kind === 'new' ? 'softphone registered' : 'softphone registration refreshed',
    );
    res.send(200, 'OK', { headers: this.bindingHeaders(c.uri, now + expires * 1000) });
    return kind === 'new' ? 'registered' : 'refreshed';
  }

  private bindingHeaders(contact: string, expiresAt: number): Record<string, string> {
    const s = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
    return { Contact: `<${contact}>;expires=${s}`, Expires: String(s) };
  }
}
