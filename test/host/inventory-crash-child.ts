import { HostInventory } from '../../src/host/inventory/host-inventory.js';
import { SoapFault } from '../../src/vsphere/soap-fault.js';
import { CRASH_WRITE, CRASH_WRITE_OFFSET } from './inventory-crash-plan.js';

// The child the crash test kills at random moments: it opens the data folder and loops over
// snapshot create / remove (consolidating) / remove all / revert on every VM, with the same
// guest write into the running VM's disks again and again (idempotent, so the model holds
// whether or not the last one landed), until it is killed.

const [dir, seedText] = process.argv.slice(2);
let x = Number(seedText) >>> 0 || 1;
const next = (n: number): number => {
  x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
  return x % n;
};
const inv = await HostInventory.open(dir!);
process.stdout.write('open\n');
for (let i = 0; ; i++) {
  const vm = inv.allVms[next(inv.allVms.length)]!;
  const ref = inv.vmRef(vm);
  try {
    const choice = next(6);
    if (choice <= 1 || vm.tree.nodes.length === 0) await inv.createSnapshot(ref, `c${i}`, '', false, false);
    else if (choice <= 3) await inv.removeSnapshot(inv.snapshotRef(vm, vm.tree.nodes[next(vm.tree.nodes.length)]!), next(4) === 0, true);
    else if (choice === 4) await inv.removeAllSnapshots(ref, true);
    else await inv.revertToSnapshot(inv.snapshotRef(vm, vm.tree.nodes[next(vm.tree.nodes.length)]!));
    const now = inv.allVms.find((v) => v.record === vm.record)!;
    if (now.powerState === 'poweredOn') await inv.guestWrite(ref, 0, CRASH_WRITE_OFFSET, CRASH_WRITE);
    else await inv.powerOn(ref);
    process.stdout.write(`step ${i}\n`);
  } catch (err) {
    if (!(err instanceof SoapFault)) throw err;
    process.stdout.write(`fault ${err.faultType}\n`);
  }
}
