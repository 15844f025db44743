// Calls the emergency lines transfer in: who may say so (the line's trunk, or the SIP edge that checked it), and
// what of their context reaches the agent.
import { describe, expect, it } from 'vitest';
import { caseIdOf, noteOf, referralOf, trunkOf } from '../../src/calls/referral.ts';
import { ConfigError, loadConfig } from '../../src/config/env.ts';

const trunks = { '110': ['10.110.0.1', '10.110.0.2'], '120': ['10.120.0.1'] };

describe('calls transferred in by an emergency line', () => {
  it('are known by the trunk they arrive on', () => {
    expect(trunkOf('10.110.0.2', trunks)).toBe('110');
    expect(trunkOf('10.120.0.1', trunks)).toBe('120');
    expect(trunkOf('10.9.9.9', trunks)).toBeNull();
    expect(trunkOf(undefined, trunks)).toBeNull();
  });

  it('carry a case number and a note, checked and cleaned', () => {
    expect(caseIdOf(' JQ2026-0017 ')).toBe('JQ2026-0017');
    expect(caseIdOf('JQ 1; drop')).toBeUndefined();
    expect(caseIdOf('x'.repeat(41))).toBeUndefined();
    expect(noteOf(encodeURIComponent('噪音扰民，\n请跟进'))).toBe('噪音扰民， 请跟进');
    expect(noteOf('%E0%A4%A')).toBeUndefined();
    expect(noteOf(encodeURIComponent('\u202e\u0000  '))).toBeUndefined();
    expect([...noteOf(encodeURIComponent('长'.repeat(300)))!]).toHaveLength(200);
  });

  it('from a trunk: the line and its X-Referral context', () => {
    const r = referralOf(
      {
        sip_network_ip: '10.110.0.1',
        'sip_h_X-Referral-Case': 'JQ1',
        'sip_h_X-Referral-Note': encodeURIComponent('非警情'),
      },
      trunks,
    );
    expect(r).toEqual({ referral: { from: '110', caseId: 'JQ1', note: '非警情' }, untrusted: false });
    expect(referralOf({ sip_network_ip: '10.120.0.1' }, trunks)).toEqual({
      referral: { from: '120' },
      untrusted: false,
    });
  });

  it('through the SIP edge: the edge decided, with its own headers', () => {
    expect(
      referralOf(
        {
          sip_network_ip: '10.0.0.9',
          'sip_h_X-Hotline-Referral': '122',
          'sip_h_X-Hotline-Referral-Case': 'SG77',
          'sip_h_X-Referral-Case': 'FORGED',
        },
        trunks,
      ),
    ).toEqual({ referral: { from: '122', caseId: 'SG77' }, untrusted: false });
    // Not one of the four lines: not a referral.
    expect(referralOf({ 'sip_h_X-Hotline-Referral': '999' }, trunks).referral).toBeNull();
  });

  it('the same headers from any other address are not believed', () => {
    expect(referralOf({ sip_network_ip: '10.9.9.9', 'sip_h_X-Referral-Case': 'JQ1' }, trunks)).toEqual({
      referral: null,
      untrusted: true,
    });
    expect(referralOf({ sip_network_ip: '10.9.9.9' }, trunks)).toEqual({ referral: null, untrusted: false });
  });

  it('HOTLINE_REFERRAL_TRUNKS names one of the lines and IP addresses, each address once', () => {
    expect(
      loadConfig({ HOTLINE_REFERRAL_TRUNKS: '110=10.110.0.1|10.110.0.2,120=::1' }).referralTrunks,
    ).toEqual({
      '110': ['10.110.0.1', '10.110.0.2'],
      '120': ['::1'],
    });
    for (const bad of ['999=10.0.0.1', '110=gw.example', '110=', '110=10.0.0.1,120=10.0.0.1']) {
      expect(() => loadConfig({ HOTLINE_REFERRAL_TRUNKS: bad }), bad).toThrow(ConfigError);
    }
  });
});
