// Redis keys of the SIP edge, under the router's prefix (src/redis/keys.ts belongs to the rest of the router).
export class SipKeys {
  constructor(readonly prefix: string) {}
  /** One agent softphone's binding (JSON), expiring with the registration. */
  registration = (extension: string) => `${this.prefix}sip:reg:${extension}`;
  /** Registered extensions, scored by when the registration expires (epoch ms): the ACD's check. */
  registered = () => `${this.prefix}sip:registered`;
  /** Pub/sub: registration changes, for agents' desktops. */
  registrationEvents = () => `${this.prefix}sip:reg-events`;
  /** Per-extension digest credentials: extension -> HA1 = md5(extension:realm:password). */
  credentials = () => `${this.prefix}sip:credentials`;
  /** Pub/sub: FreeSWITCH pool health changes. */
  poolEvents = () => `${this.prefix}sip:pool-events`;
}
