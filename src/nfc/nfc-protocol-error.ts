// The one error the NFC and authd codecs throw. The client and the host map it once, at their edge
// (error-mapping.ts): a broken conversation is VIX_E_HOST_NETBLKDEV_HANDSHAKE on the client side.

/**
 * Bytes that break the NFC or authd protocol. `fatal`: the stream cannot be resynchronised (bad
 * magic, a length the codec will not consume) and the connection must be closed; otherwise the
 * message was consumed whole and a host answers it with an AIO ERROR and keeps the session (§4.9).
 * `opId` names the AIO request the error belongs to when there is one.
 */
export class NfcProtocolError extends Error {
  constructor(message: string, readonly fatal: boolean, readonly opId?: number) {
    super(message);
    this.name = 'NfcProtocolError';
  }
}
