/**
 * Random bytes for identifiers: CIDs, ddb.uuid, ddb.longContentID, temporary file names. They must
 * differ from disk to disk, not resist an attacker, so Math.random serves (QEMU picks CIDs with
 * g_random_int, also not a cryptographic source). node:crypto, which costs 10-20 ms to load, stays
 * out of every process that opens or creates a VMDK. Never use this for secrets.
 */
export function identifierBytes(n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(Math.random() * 256);
  return out;
}
