import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../support/temp-dir.js';
import { runAndKill } from '../support/kill-after.js';
import { HostInventory } from '../../src/host/inventory/host-inventory.js';
import { APP_DELTA_OFFSET, DEFAULT_DATA_LENGTH, DEFAULT_DATA_OFFSETS } from '../../src/host/inventory/default-inventory.js';
import { vmxDisks } from '../../src/host/inventory/vm-config.js';
import { JOURNAL_NAME } from '../../src/host/inventory/vm-journal.js';
import { VmdkDisk } from '../../src/vmdk/disk.js';
import { CRASH_WRITE, CRASH_WRITE_OFFSET } from './inventory-crash-plan.js';

const CHILD = fileURLToPath(new URL('./inventory-crash-child.js', import.meta.url));
const ROUNDS = Number(process.env.VIXDISK_CRASH_ROUNDS ?? 4);
/** Where the disks are compared: their data, the delta's, the repeated write's, and zeros. */
const REGIONS = [...DEFAULT_DATA_OFFSETS, APP_DELTA_OFFSET, CRASH_WRITE_OFFSET, 30 << 20, 40 << 20]
  .map((offset) => ({ offset, length: offset === CRASH_WRITE_OFFSET ? CRASH_WRITE.length : DEFAULT_DATA_LENGTH }));

async function sample(path: string): Promise<string> {
  const disk = await VmdkDisk.open(path, { readOnly: true, lock: false });
  try {
    const parts: string[] = [];
    for (const r of REGIONS) {
      const b = Buffer.alloc(r.length);
      await disk.read(r.offset, b);
      parts.push(b.toString('base64'));
    }
    return parts.join('|');
  } finally {
    await disk.close();
  }
}

/** Every disk state each VM has (current and per snapshot), sampled, by VM and node. */
async function states(inv: HostInventory): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const vm of inv.allVms) {
    for (const d of vmxDisks(vm.vmx)) {
      const key = `${vm.name}/${d.node}`;
      const list = [await sample(inv.linkPathOf(vm, d.fileName)!)];
      for (const n of vm.tree.nodes) {
        const sd = n.disks.find((x) => x.node === d.node);
        if (sd) list.push(await sample(inv.linkPathOf(vm, sd.fileName)!));
      }
      out.set(key, list);
    }
  }
  return out;
}

test(`a host killed at random moments during snapshot operations restarts into a consistent state (${ROUNDS} rounds)`, async (t) => {
  const dir = await tempDir(t);
  // Every VM running with the write the child repeats and no snapshot: all states then read alike.
  const setup = await HostInventory.open(dir);
  for (const vm of setup.allVms) {
    const ref = setup.vmRef(vm);
    if (vm.powerState !== 'poweredOn') await setup.powerOn(ref);
    await setup.guestWrite(ref, 0, CRASH_WRITE_OFFSET, CRASH_WRITE);
    await setup.removeAllSnapshots(ref, true);
  }
  const model = new Map([...(await states(setup))].map(([k, v]) => [k, v[0]!]));
  await setup.close();
  let steps = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const delay = 100 + ((round * 7919) % 2400);
    await runAndKill(CHILD, [dir, String(round + 1)], delay, (line) => { if (line.startsWith('step')) steps++; });
    const inv = await HostInventory.open(dir);
    try {
      for (const [key, list] of await states(inv)) {
        list.forEach((s, i) => assert.equal(s, model.get(key), `round ${round}: ${key} state ${i} reads as the model`));
      }
      for (const vm of inv.allVms) {
        const names = await readdir(vm.folder);
        assert.ok(!names.includes(JOURNAL_NAME), `round ${round}: ${vm.name}'s journal was finished`);
        for (const n of names.filter((x) => /-\d{6}\.vmdk$/.test(x))) {
          assert.ok(vm.links.has(join(vm.folder, n)), `round ${round}: ${vm.name}/${n} is referenced or was removed`);
        }
        for (const n of names.filter((x) => /-\d{6}-(sesparse|delta)\.vmdk$/.test(x))) {
          assert.ok(names.includes(n.replace(/-(sesparse|delta)\.vmdk$/, '.vmdk')), `round ${round}: ${vm.name}/${n} has its descriptor`);
        }
      }
    } finally {
      await inv.close();
    }
  }
  // The kills must land while the child works, not before its first operation.
  assert.ok(steps > 0, 'the child completed operations between kills');
  t.diagnostic(`${steps} operations completed across ${ROUNDS} kills`);
});
