import type { BlockDevice } from '../block/block-device.js';
import { parseVixUri } from '../device/vix-uri.js';
import { VixConfig } from './config.js';
import { VIXDISKLIB_CRED_UID } from './constants.js';
import { RemoteSession } from './remote-session.js';

// A vix:// disk as a BlockDevice (the URI is read by device/vix-uri.ts): ConnectEx's checks, then
// the disk over NFC in the URI's mode. Closing the device ends the host session too. The layers
// above hand this to openDevice (device/open-device.ts setVixUriOpener).

export async function openVixUri(uri: string, options: { readOnly?: boolean } = {}): Promise<BlockDevice> {
  const parsed = await parseVixUri(uri);
  const readOnly = options.readOnly ?? true;
  // Warnings while connecting and opening are shown once the disk is open: when the open fails,
  // its error says the same thing, and a failure is one line.
  const warnings: string[] = [];
  let opened = false;
  const session = await RemoteSession.connect({
    params: {
      vmxSpec: parsed.vm, serverName: parsed.host, port: parsed.port, nfcHostPort: parsed.nfcPort, thumbPrint: parsed.thumbprint,
      credType: VIXDISKLIB_CRED_UID, creds: { uid: { userName: parsed.user, password: parsed.password } },
    },
    readOnly, snapshotRef: parsed.snapshot, config: VixConfig.parse(''),
    log: (level, line) => {
      if (level !== 'warn') return;
      if (opened) process.stderr.write(`vixdisk: ${line}\n`);
      else warnings.push(line);
    },
  });
  let device: BlockDevice;
  try {
    device = await session.openDisk({ path: parsed.disk, writable: !readOnly, ssl: parsed.mode === 'nbdssl' });
  } catch (err) {
    await session.close();
    throw err;
  }
  opened = true;
  for (const line of warnings) process.stderr.write(`vixdisk: ${line}\n`);
  const closeDevice = device.close.bind(device);
  // The device owns the session: closing it logs out.
  device.close = async () => {
    try {
      await closeDevice();
    } finally {
      await session.close();
    }
  };
  return device;
}
