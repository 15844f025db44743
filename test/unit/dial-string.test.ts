// Outside values never change the shape of a dial string: whatever a caller id, extension or SIP target holds,
// the result is either refused or a string in which FreeSWITCH finds no new variable, endpoint or command.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  agentUserEndpoint,
  callerIdForDial,
  channelVars,
  DialStringError,
  dialNumber,
  isDisplayName,
  popCallInfo,
  sipTarget,
} from '../../src/esl/dial-string.ts';

/** What would let a value break out of `{a=b,...}endpoint` or an api argument. */
const SEPARATORS = /[,{}[\]<>'"\s;|^&%\\`$!]/;

const hostile = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.constantFrom(
    '13800138000,api_on_answer=system touch pwned',
    '1%7Dsofia/gateway/carrier/0099988877766,x=',
    '1}sofia/gateway/carrier/0099988877766',
    "13800138000'",
    '13800138000\r\nevent-lock: true',
    '+8613800138000',
    '１３８００１３８０００',
    '',
  ),
  fc.string({ unit: fc.constantFrom(...'0123456789+,{}=%7D/ '.split('')), maxLength: 40 }),
);

describe('dial strings from outside values', () => {
  it('the reported injections are refused or neutralised', () => {
    expect(callerIdForDial('13800138000,api_on_answer=system touch pwned')).toBe('anonymous');
    expect(callerIdForDial('1%7Dsofia/gateway/carrier/0099988877766,x=')).toBe('anonymous');
    expect(() => dialNumber('1}sofia/gateway/carrier/0099988877766')).toThrow(DialStringError);
    expect(() => channelVars({ origination_caller_id_number: '1,x=y' })).toThrow(DialStringError);
    expect(() => agentUserEndpoint('1001,x', 'hotline.local')).toThrow(DialStringError);
    expect(() => sipTarget('sip:a@b.c;transport=tcp,x')).toThrow(DialStringError);
  });

  it('an agent INVITE carries the pop URL in Call-Info and the line in the display name, nothing else', () => {
    const v = channelVars(
      { hotline_call_id: 'c1' },
      {
        headers: {
          'Call-Info': popCallInfo(
            'https://hotline.example.gov.cn:8443',
            '0b1c2d3e-aaaa-bbbb-cccc-123456789abc',
          ),
        },
        displayName: '12345政务服务便民热线',
      },
    );
    expect(v).toBe(
      '{hotline_call_id=c1,sip_h_Call-Info=<https://hotline.example.gov.cn:8443/agent/?call=0b1c2d3e-aaaa-bbbb-cccc-123456789abc>;purpose=info,origination_caller_id_name=12345政务服务便民热线}',
    );
    expect(() => popCallInfo('https://x.example/a,b', 'c1234567')).toThrow(DialStringError);
    expect(() => popCallInfo('javascript:alert(1)', 'c1234567')).toThrow(DialStringError);
    expect(() => channelVars({}, { headers: { 'Call-Info': '<x>,sip_h_X=1' } })).toThrow(DialStringError);
    expect(() => channelVars({}, { headers: { 'X,Y': '1' } })).toThrow(DialStringError);
    // A line name an operator typed with a space or comma is not used as it is.
    expect(isDisplayName('12345 热线')).toBe(false);
    expect(isDisplayName('12345热线,x=1')).toBe(false);
    expect(() => channelVars({}, { displayName: "a'b" })).toThrow(DialStringError);
  });

  it('fuzz: every accepted value leaves no separator in the dial string', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, (caller, ext, target) => {
        const cid = callerIdForDial(caller);
        expect(cid === 'anonymous' || /^\+?[0-9]+$/.test(cid)).toBe(true);
        const vars = channelVars({ origination_caller_id_number: cid, hotline_call_id: 'abc-123' });
        expect(vars.slice(1, -1)).not.toMatch(/[{}[\]\s;'"]/);
        expect(vars.slice(1, -1).split(',')).toHaveLength(2);
        for (const f of [
          () => agentUserEndpoint(ext, 'hotline.local'),
          () => sipTarget(target),
          () => dialNumber(ext),
        ]) {
          try {
            expect(f()).not.toMatch(SEPARATORS);
          } catch (err) {
            expect(err).toBeInstanceOf(DialStringError);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
});
