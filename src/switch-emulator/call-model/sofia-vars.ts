// Variables mod_sofia / the core put on a channel at each step of a SIP call, in the order FreeSWITCH 1.10.12
// sets them (derived from the recorded transcripts). Values are synthesised; names and order are what matter
// to a client that reads variable_* headers.
import { randomInt } from 'node:crypto';
import type { Channel } from './channel.ts';
import { causeCode, causeToSip } from './causes.ts';
import { localStamp } from './event.ts';

export interface SipPeer {
  ip: string;
  port: number;
}

export interface InboundInvite {
  callerIdNumber: string;
  callerIdName: string;
  destination: string;
  profileName: string;
  peer: SipPeer;
  localIp: string;
  sipHeaders: Record<string, string>;
  sessionId: number;
}

let callSeq = 1000;
const randTag = (): string => Math.random().toString(36).slice(2, 15);

function sdp(user: string, ip: string, port: number, pts = '0 101'): string {
  return (
    `v=0\r\no=${user} 53655765 2353687637 IN IP4 ${ip}\r\ns=-\r\nc=IN IP4 ${ip}\r\nt=0 0\r\n` +
    `m=audio ${port} RTP/AVP ${pts}\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n`
  );
}

function localSdp(ip: string, port: number, withPcma = false): string {
  const v = Math.floor(Date.now() / 1000) - 32_000;
  const pts = withPcma ? '0 8 101' : '0 101';
  const pcma = withPcma ? 'a=rtpmap:8 PCMA/8000\r\n' : '';
  return (
    `v=0\r\no=FreeSWITCH ${v} ${v + 1} IN IP4 ${ip}\r\ns=FreeSWITCH\r\nc=IN IP4 ${ip}\r\nt=0 0\r\n` +
    `m=audio ${port} RTP/AVP ${pts}\r\na=rtpmap:0 PCMU/8000\r\n${pcma}a=rtpmap:101 telephone-event/8000\r\n` +
    `a=fmtp:101 0-15\r\na=ptime:20\r\n${withPcma ? '' : 'a=sendrecv\r\n'}`
  );
}

/** sofia_handle_sip_i_invite + sofia_glue: what an inbound INVITE leaves on the new channel. */
export function setInboundInviteVars(ch: Channel, inv: InboundInvite, nowUs: number): void {
  const v = ch.vars;
  const { ip, port } = inv.peer;
  const fromUri = `${inv.callerIdNumber}@${ip}:${port}`;
  const seq = ++callSeq;
  const fromTag = `${seq}SIPpTag001`;
  const toUri = `${inv.destination}@${inv.localIp}:5060`;
  v.set('direction', 'inbound');
  v.set('uuid', ch.uuid);
  v.set('call_uuid', ch.uuid);
  v.set('session_id', String(inv.sessionId));
  v.set('sip_from_user', inv.callerIdNumber);
  v.set('sip_from_port', String(port));
  v.set('sip_from_uri', fromUri);
  v.set('sip_from_host', ip);
  v.set('video_media_flow', 'disabled');
  v.set('audio_media_flow', 'disabled');
  v.set('text_media_flow', 'disabled');
  v.set('channel_name', ch.name);
  v.set('sip_call_id', `1-${seq}@${ip}`);
  v.set('sip_local_network_addr', inv.localIp);
  v.set('sip_network_ip', ip);
  v.set('sip_network_port', String(port));
  v.set('sip_invite_stamp', String(nowUs));
  v.set('sip_received_ip', ip);
  v.set('sip_received_port', String(port));
  v.set('sip_via_protocol', 'udp');
  v.set('sip_authorized', 'true');
  v.set('sip_acl_authed_by', 'loopback.auto');
  v.set('sip_from_user_stripped', inv.callerIdNumber);
  v.set('sip_from_tag', fromTag);
  v.set('sofia_profile_name', inv.profileName);
  v.set('sofia_profile_url', `sip:mod_sofia@${inv.localIp}:5060`);
  v.set('recovery_profile_name', inv.profileName);
  v.set('sip_full_via', `SIP/2.0/UDP ${ip}:${port};branch=z9hG4bK-${seq}-1-0`);
  v.set('sip_from_display', inv.callerIdName);
  v.set('sip_full_from', `${inv.callerIdName} <sip:${fromUri}>;tag=${fromTag}`);
  v.set('sip_full_to', `<sip:${toUri}>`);
  v.set('sip_req_user', inv.destination);
  v.set('sip_req_port', '5060');
  v.set('sip_req_uri', toUri);
  v.set('sip_req_host', inv.localIp);
  v.set('sip_to_user', inv.destination);
  v.set('sip_to_port', '5060');
  v.set('sip_to_uri', toUri);
  v.set('sip_to_host', inv.localIp);
  v.set('sip_contact_user', inv.callerIdNumber);
  v.set('sip_contact_port', String(port));
  v.set('sip_contact_uri', fromUri);
  v.set('sip_contact_host', ip);
  v.set('rtp_use_codec_string', 'OPUS,G722,PCMU,PCMA,H264,VP8');
  // sofia turns X- headers into sip_h_X-..., and Subject into sip_subject (sofia_handle_sip_i_invite).
  for (const [name, value] of Object.entries(inv.sipHeaders)) {
    if (/^subject$/i.test(name)) v.set('sip_subject', value);
  }
  for (const [name, value] of Object.entries(inv.sipHeaders)) {
    if (/^x-/i.test(name)) v.set(`sip_h_${name}`, value);
  }
  v.set('sip_via_host', ip);
  v.set('sip_via_port', String(port));
  v.set('max_forwards', '70');
  v.set('presence_id', `${inv.callerIdNumber}@${ip}`);
  v.set('switch_r_sdp', sdp('user1', ip, 16000 + (port % 1000)));
  v.set('ep_codec_string', 'CORE_PCM_MODULE.PCMU@8000h@20i@64000b');
  v.set('endpoint_disposition', 'DELAYED NEGOTIATION');
}

/** RTP negotiated (sofia_media_negotiate / switch_core_media_activate_rtp): early media on an inbound leg. */
export function setMediaVars(ch: Channel, localIp: string, inbound: boolean): void {
  const v = ch.vars;
  const remotePort = Number(/m=audio (\d+)/.exec(v.get('switch_r_sdp') ?? '')?.[1] ?? 16000);
  const localPort = v.get('local_media_port') ?? String(20000 + randomInt(0, 12000) * 2);
  v.set('rtp_use_codec_string', 'OPUS,G722,PCMU,PCMA,H264,VP8');
  v.set('remote_video_media_flow', 'inactive');
  v.set('remote_text_media_flow', 'inactive');
  v.set('remote_audio_media_flow', 'sendrecv');
  if (inbound) v.set('audio_media_flow', 'sendrecv');
  v.set('rtp_audio_recv_pt', '0');
  v.set('rtp_use_codec_name', 'PCMU');
  v.set('rtp_use_codec_rate', '8000');
  v.set('rtp_use_codec_ptime', '20');
  v.set('rtp_use_codec_channels', '1');
  v.set('rtp_last_audio_codec_string', 'PCMU@8000h@20i@1c');
  v.set('read_codec', 'PCMU');
  v.set('original_read_codec', 'PCMU');
  v.set('read_rate', '8000');
  v.set('original_read_rate', '8000');
  v.set('write_codec', 'PCMU');
  v.set('write_rate', '8000');
  v.set('dtmf_type', 'rfc2833');
  v.set('local_media_ip', localIp);
  v.set('local_media_port', localPort);
  v.set('advertised_media_ip', localIp);
  v.set('rtp_use_timer_name', 'soft');
  v.set('rtp_use_pt', '0');
  v.set('rtp_use_ssrc', String(randomInt(1, 2 ** 31)));
  v.set('rtp_2833_send_payload', '101');
  v.set('rtp_2833_recv_payload', '101');
  v.set('remote_media_ip', v.get('sip_network_ip') ?? localIp);
  v.set('remote_media_port', String(remotePort));
  ch.mediaUp = true;
  ch.codec = { name: 'PCMU', rate: 8000, bitRate: 64000 };
}

export function setLocalSdp(ch: Channel, localIp: string): void {
  ch.vars.set('rtp_local_sdp_str', localSdp(localIp, Number(ch.vars.get('local_media_port') ?? 30000)));
}

/** The caller's ACK to our 200 OK: sofia re-stores the dialog identity with the new To tag. */
export function setAckVars(ch: Channel): void {
  const v = ch.vars;
  const toTag = randTag();
  v.set('sip_to_tag', toTag);
  v.set('sip_from_tag', v.get('sip_from_tag') ?? `${randTag()}`);
  v.set('sip_cseq', '1');
  v.set('sip_call_id', v.get('sip_call_id') ?? `${randTag()}@127.0.0.1`);
  v.set('sip_full_via', (v.get('sip_full_via') ?? '').replace(/-0$/, '-5'));
  v.set('sip_from_display', v.get('sip_from_display') ?? '');
  v.set('sip_full_from', v.get('sip_full_from') ?? '');
  v.set('sip_full_to', `${v.get('sip_full_to') ?? ''};tag=${toTag}`);
}

/** A BYE from the far end (sofia_handle_sip_i_bye): what CHANNEL_HANGUP shows. */
export function setRemoteByeVars(ch: Channel): void {
  ch.vars.set('sip_term_status', '200');
  ch.vars.set('proto_specific_hangup_cause', 'sip:200');
  ch.vars.set('sip_term_cause', '16');
}

export interface OutboundDial {
  user: string;
  host: string;
  port: number;
  profileName: string;
  localIp: string;
  sessionId: number;
  originateVars: Record<string, string>;
}

/** sofia_outgoing_channel + originate: the B-leg's variables at CHANNEL_CREATE. */
export function setOutboundCreateVars(ch: Channel, d: OutboundDial): void {
  const v = ch.vars;
  v.set('direction', 'outbound');
  v.set('is_outbound', 'true');
  v.set('uuid', ch.uuid);
  v.set('call_uuid', ch.uuid);
  v.set('session_id', String(d.sessionId));
  v.set('sip_local_network_addr', d.localIp);
  v.set('sip_profile_name', d.profileName);
  v.set('video_media_flow', 'disabled');
  v.set('text_media_flow', 'disabled');
  v.set('channel_name', ch.name);
  v.set('sip_destination_url', `sip:${d.user}@${d.host}:${d.port}`);
  for (const [k, val] of Object.entries(d.originateVars)) v.set(k, val);
  v.set('originate_early_media', 'true');
  v.set('originate_endpoint', 'sofia');
  v.set('rtp_use_codec_string', 'OPUS,G722,PCMU,PCMA,H264,VP8');
  v.set('local_media_ip', d.localIp);
  v.set('local_media_port', String(20000 + randomInt(0, 12000) * 2));
  v.set('advertised_media_ip', d.localIp);
  v.set('audio_media_flow', 'sendrecv');
  v.set('rtp_local_sdp_str', localSdp(d.localIp, Number(v.get('local_media_port')), true));
  v.set('sip_outgoing_contact_uri', `<sip:mod_sofia@${d.localIp}:5060>`);
  v.set('sip_req_uri', `${d.user}@${d.host}:${d.port}`);
  v.set('sip_to_host', `${d.host}:${d.port}`);
  v.set('sip_from_host', d.localIp);
  v.set('sofia_profile_name', d.profileName);
  v.set('recovery_profile_name', d.profileName);
  v.set('sofia_profile_url', `sip:mod_sofia@${d.localIp}:5060`);
}

/** First provisional/final response on the B-leg: sofia stores the dialog (sofia_handle_sip_r_invite). */
export function setOutboundDialogVars(ch: Channel, d: OutboundDial, withReplyHost = true): void {
  const v = ch.vars;
  const fromUser = ch.profile.callerIdNumber ?? '0000000000';
  const toTag = `${++callSeq}SIPpTag011`;
  v.set('sip_local_network_addr', d.localIp);
  if (withReplyHost) v.set('sip_reply_host', d.host);
  v.set('sip_reply_port', String(d.port));
  if (withReplyHost) v.set('sip_network_ip', d.host);
  v.set('sip_network_port', String(d.port));
  v.set('sip_recover_contact', `<sip:${d.user}@${d.host}:${d.port};transport=UDP>`);
  v.set('sip_full_via', `SIP/2.0/UDP ${d.localIp};rport;branch=z9hG4bK${randTag()}`);
  v.set('sip_recover_via', v.get('sip_full_via'));
  v.set('sip_full_from', `<sip:${fromUser}@${d.localIp}>;tag=${randTag()}`);
  v.set('sip_full_to', `<sip:${d.user}@${d.host}:${d.port}>;tag=${toTag}`);
  v.set('sip_from_user', fromUser);
  v.set('sip_from_uri', `${fromUser}@${d.localIp}`);
  v.set('sip_from_host', d.localIp);
  v.set('sip_to_user', d.user);
  v.set('sip_to_port', String(d.port));
  v.set('sip_to_uri', `${d.user}@${d.host}:${d.port}`);
  v.set('sip_to_host', d.host);
  v.set('sip_contact_params', 'transport=UDP');
  v.set('sip_contact_user', d.user);
  v.set('sip_contact_port', String(d.port));
  v.set('sip_contact_uri', `${d.user}@${d.host}:${d.port}`);
  v.set('sip_contact_host', d.host);
  v.set('sip_to_tag', toTag);
  v.set('sip_from_tag', randTag());
  v.set('sip_cseq', String(123126000 + randomInt(0, 999)));
  v.set('sip_call_id', `${randTag()}-612b-1240-99ab-22d89b644cf0`);
}

/** 200 OK with SDP on the B-leg: remote SDP stored, then RTP activated. */
export function setOutboundAnswerVars(ch: Channel, d: OutboundDial): void {
  const v = ch.vars;
  v.set('switch_r_sdp', sdp('agent', d.host, 16000 + (d.port % 1000)));
  v.set('ep_codec_string', 'CORE_PCM_MODULE.PCMU@8000h@20i@64000b');
  setMediaVars(ch, d.localIp, false);
}

/** A failed INVITE on the B-leg (sofia_handle_sip_r_invite with a final error, or a transport failure). */
export function setOutboundFailureVars(ch: Channel, d: OutboundDial, status: number, phrase: string): void {
  const v = ch.vars;
  v.set('sip_local_network_addr', d.localIp);
  v.set('sip_call_id', `${randTag()}-612b-1240-99ab-22d89b644cf0`);
  if (status !== 503) v.set('sip_reply_host', d.host);
  v.set('sip_reply_port', String(d.port));
  if (status !== 503) v.set('sip_network_ip', d.host);
  v.set('sip_network_port', String(d.port));
  v.set('sip_hangup_disposition', 'recv_refuse');
  v.set('sip_invite_failure_status', String(status));
  v.set('sip_invite_failure_phrase', phrase);
  v.set('sip_term_status', String(status));
  v.set('proto_specific_hangup_cause', `sip:${status}`);
  v.set('sip_term_cause', String(status === 486 ? 17 : status === 603 ? 21 : status === 480 ? 19 : 41));
}

/** switch_channel_set_timestamps + the per-leg statistics sofia adds at CS_REPORTING. */
export function setCdrVars(ch: Channel, endUs: number): void {
  const v = ch.vars;
  const t = ch.profile.times;
  const cause = ch.hangupCause ?? 'NORMAL_CLEARING';
  v.set('hangup_cause', cause);
  v.set('hangup_cause_q850', String(causeCode(cause)));
  v.set('digits_dialed', 'none');
  const stamp = (us: number): string => localStamp(Math.floor(us / 1000));
  v.set('start_stamp', stamp(t.created));
  v.set('profile_start_stamp', stamp(t.profileCreated));
  if (t.answered) v.set('answer_stamp', stamp(t.answered));
  if (t.bridged) v.set('bridge_stamp', stamp(t.bridged));
  if (t.progress) v.set('progress_stamp', stamp(t.progress));
  if (t.progressMedia) v.set('progress_media_stamp', stamp(t.progressMedia));
  v.set('end_stamp', stamp(endUs));
  const ep = (name: string, us: number): void => {
    v.set(`${name}_epoch`, String(Math.floor(us / 1e6)));
    v.set(`${name}_uepoch`, String(us));
  };
  ep('start', t.created);
  ep('profile_start', t.profileCreated);
  ep('answer', t.answered);
  ep('bridge', t.bridged);
  ep('last_hold', t.lastHold);
  v.set('hold_accum_seconds', '0');
  v.set('hold_accum_usec', '0');
  v.set('hold_accum_ms', '0');
  ep('resurrect', t.resurrect);
  ep('progress', t.progress);
  ep('progress_media', t.progressMedia);
  ep('end', endUs);
  if (ch.lastApp) {
    v.set('last_app', ch.lastApp);
    if (ch.lastArg) v.set('last_arg', ch.lastArg);
  }
  const name = ch.profile.callerIdName;
  v.set(
    'caller_id',
    name ? `"${name}" <${ch.profile.callerIdNumber ?? ''}>` : (ch.profile.callerIdNumber ?? ''),
  );
  const since = (us: number): number => (us ? Math.max(0, endUs - us) : 0);
  const diff = (a: number, b: number): number => (a && b ? Math.max(0, a - b) : 0);
  const dur = endUs - t.created;
  const bill = since(t.answered);
  const prog = diff(t.progress, t.created);
  const ans = diff(t.answered, t.created);
  const wait = diff(t.bridged, t.created);
  const pm = diff(t.progressMedia, t.created);
  const flow = dur;
  const put = (suffix: string, conv: (us: number) => number): void => {
    v.set(TOTAL_NAME[suffix] ?? 'duration', String(conv(dur)));
    v.set(`bill${suffix}`, String(conv(bill)));
    v.set(`progress${suffix}`, String(conv(prog)));
    v.set(`answer${suffix}`, String(conv(ans)));
    v.set(`wait${suffix}`, String(conv(wait)));
    v.set(`progress_media${suffix}`, String(conv(pm)));
    v.set(`flow_bill${suffix}`, String(conv(flow)));
  };
  put('sec', (us) => Math.round(us / 1e6));
  put('msec', (us) => Math.round(us / 1e3));
  put('usec', (us) => us);
  for (const [k, val] of ch.cdrSipVars) v.set(k, val);
  if (ch.mediaUp && ch.tech === 'sofia') setRtpStats(ch, bill);
}

const TOTAL_NAME: Record<string, string> = { sec: 'duration', msec: 'mduration', usec: 'uduration' };

function setRtpStats(ch: Channel, billUs: number): void {
  const v = ch.vars;
  const packets = Math.round(billUs / 20_000);
  const set = (k: string, val: string | number): void => v.set(`rtp_audio_${k}`, String(val));
  set('in_raw_bytes', 0);
  set('in_media_bytes', 0);
  set('in_packet_count', 0);
  set('in_media_packet_count', 0);
  set('in_skip_packet_count', packets);
  set('in_jitter_packet_count', 0);
  set('in_dtmf_packet_count', 0);
  set('in_cng_packet_count', 0);
  set('in_flush_packet_count', 0);
  set('in_largest_jb_size', 0);
  set('in_jitter_min_variance', '0.00');
  set('in_jitter_max_variance', '0.00');
  set('in_jitter_loss_rate', '0.00');
  set('in_jitter_burst_rate', '0.00');
  set('in_mean_interval', '0.00');
  set('in_flaw_total', 0);
  set('in_quality_percentage', '100.00');
  set('in_mos', '4.50');
  set('out_raw_bytes', packets * 172);
  set('out_media_bytes', packets * 172);
  set('out_packet_count', packets);
  set('out_media_packet_count', packets);
  set('out_skip_packet_count', 0);
  set('out_dtmf_packet_count', 0);
  set('out_cng_packet_count', 0);
  set('rtcp_packet_count', 0);
  set('rtcp_octet_count', 0);
}

export { causeToSip };
