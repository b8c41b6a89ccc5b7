import {
  MIN_AIO_VERSION, NFC_AIO_SESSION_OPEN, NFC_CLIENTRANDOM, NFC_CONNECTION_DATA, NFC_FILEOP_STATUS, NFC_PROTOCOL_VERSION,
  NFC_SESSION_FEATURES, NFC_SESSION_PARAMS, NFC_VERSION, VDDK_CLIENT_NAME, VDDK_OP_ID, VDDK_SESSION_FEATURES,
  CLASSIC_TYPE_NAMES, decodeConnectionData, encodeClassicMessage, encodeConnectionData, type ClassicMessage,
} from './classic-message.js';
import { NfcProtocolError } from './nfc-protocol-error.js';

// The classic phase of an NFC connection after the authd splice, exactly as VDDK 8 runs it (§4.2
// "Handshake"), as I/O-free state machines: the client's bytes in order, and the host's checks of
// the order with the replies it owes (§4.9 step 4). Any other order is fatal: the host closes.
//
//   C 43 nonce, C 33          S 36 (1 at +16)
//   C 51 version              S 51 min(client, 11)
//   C 54 + "vddk" "nbdmode", C 55 features, C 52       S 52     → AIO framing

/** What the client sends, in order, before waiting for 36: nonce (43) then session params (33). */
export function encodeClientGreeting(nonce: string): Buffer {
  return Buffer.concat([
    encodeClassicMessage({ type: NFC_CLIENTRANDOM, nonce }),
    encodeClassicMessage({ type: NFC_SESSION_PARAMS }),
  ]);
}

/** The client's version message (51). */
export function encodeClientVersion(version = NFC_PROTOCOL_VERSION): Buffer {
  return encodeClassicMessage({ type: NFC_VERSION, version });
}

/** What the client sends after the host's 51: 54 with its two strings, 55, then 52. */
export function encodeClientSessionOpen(clientName = VDDK_CLIENT_NAME, opId = VDDK_OP_ID, features = VDDK_SESSION_FEATURES): Buffer {
  const data = encodeConnectionData(clientName, opId);
  return Buffer.concat([
    encodeClassicMessage(data.message), data.extra,
    encodeClassicMessage({ type: NFC_SESSION_FEATURES, features }),
    encodeClassicMessage({ type: NFC_AIO_SESSION_OPEN }),
  ]);
}

/** The client's check of each host reply, in order: 36 with status 1, 51 (≥ 3), 52. */
export class ClassicHandshakeClient {
  private step = 0;
  /** The host's NFC version, once its 51 came. */
  hostVersion = 0;

  get done(): boolean {
    return this.step === 3;
  }

  receive(message: ClassicMessage): void {
    const expected = [NFC_FILEOP_STATUS, NFC_VERSION, NFC_AIO_SESSION_OPEN][this.step];
    if (message.type !== expected) {
      throw new NfcProtocolError(`NFC handshake: the host sent ${describe(message.type)} where ${describe(expected)} belongs`, true);
    }
    if (message.type === NFC_FILEOP_STATUS && message.status !== 1) {
      throw new NfcProtocolError(`NFC handshake: the host refused the session parameters (status ${message.status})`, true);
    }
    if (message.type === NFC_VERSION) {
      if (message.version < MIN_AIO_VERSION) throw new NfcProtocolError(`NFC handshake: host version ${message.version} has no AIO (needs ${MIN_AIO_VERSION})`, true);
      this.hostVersion = message.version;
    }
    this.step++;
  }
}

/** What the host learnt from a finished handshake. */
export interface ClientHello {
  nonce: string;
  clientVersion: number;
  clientName: string;
  opId: string;
  features: number;
}

/**
 * The host's side: feed each client message (and, for 54, its extra bytes) in arrival order; the
 * reply to send comes back (or null). `expectedNonce`: the nonce the client gave authd in
 * THUMBPRINT[_SHA2], which its 43 must repeat (§3.2), when the host remembers it.
 */
export class ClassicHandshakeHost {
  private step = 0;
  private readonly hello: Partial<ClientHello> = {};

  constructor(private readonly expectedNonce?: string, private readonly hostVersion = NFC_PROTOCOL_VERSION) {}

  get done(): boolean {
    return this.step === 6;
  }

  /** The client's details, once done. */
  get client(): ClientHello {
    if (!this.done) throw new NfcProtocolError('NFC handshake is not finished', true);
    return this.hello as ClientHello;
  }

  receive(message: ClassicMessage, extra?: Uint8Array): ClassicMessage | null {
    const expected = [NFC_CLIENTRANDOM, NFC_SESSION_PARAMS, NFC_VERSION, NFC_CONNECTION_DATA, NFC_SESSION_FEATURES, NFC_AIO_SESSION_OPEN][this.step];
    if (message.type !== expected) {
      throw new NfcProtocolError(`NFC handshake: the client sent ${describe(message.type)} where ${describe(expected)} belongs`, true);
    }
    this.step++;
    switch (message.type) {
      case NFC_CLIENTRANDOM:
        if (this.expectedNonce !== undefined && message.nonce !== this.expectedNonce) {
          throw new NfcProtocolError('NFC handshake: the nonce differs from the one given to authd', true);
        }
        this.hello.nonce = message.nonce;
        return null;
      case NFC_SESSION_PARAMS: return { type: NFC_FILEOP_STATUS, status: 1 };
      case NFC_VERSION:
        if (message.version < MIN_AIO_VERSION) throw new NfcProtocolError(`NFC handshake: client version ${message.version} has no AIO (needs ${MIN_AIO_VERSION})`, true);
        this.hello.clientVersion = message.version;
        return { type: NFC_VERSION, version: Math.min(message.version, this.hostVersion) };
      case NFC_CONNECTION_DATA: {
        const { clientName, opId } = decodeConnectionData(message, extra ?? new Uint8Array(0));
        this.hello.clientName = clientName;
        this.hello.opId = opId;
        return null;
      }
      case NFC_SESSION_FEATURES:
        this.hello.features = message.features;
        return null;
      default: return { type: NFC_AIO_SESSION_OPEN };
    }
  }
}

function describe(type: number | undefined): string {
  return type === undefined ? 'nothing' : `${type} (${CLASSIC_TYPE_NAMES[type] ?? 'unknown'})`;
}
