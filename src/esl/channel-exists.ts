// Whether a channel is up on FreeSWITCH (`uuid_exists`), for decisions about calls whose router is gone or whose
// end never reached Redis. The uuid comes from Redis, but is checked like any outside value before it reaches an
// api command. Throws when the switch cannot be asked.
import type { FreeSwitchLink } from './inbound-client.ts';

/** What a channel uuid from outside (Redis, events) must look like before it reaches an api command. */
export const UUID = /^[0-9a-f-]{8,64}$/i;

export async function channelUp(link: FreeSwitchLink, uuid: string): Promise<boolean> {
  if (!UUID.test(uuid)) return false;
  return (await link.api(`uuid_exists ${uuid}`, 3000)).trim() === 'true';
}
