import { dirname } from 'node:path';

/**
 * What a snapshot removal (or revert) does to the disk links, planned before anything changes.
 *
 * The VM's state after the operation is a set of references to links: its current disks and the
 * frozen disks of the snapshots that remain. Links no reference reaches any more are unlinked. With
 * consolidation, a link no reference names itself (a removed snapshot's frozen state) that has
 * exactly one child is merged with it: the child's data is committed into it, the child's
 * references and children move to it, and the child goes. This collapses every chain to the links
 * some state still needs; a link with several children (a branch after a revert) stays, as ESXi
 * keeps it, since committing it would need one copy per branch.
 *
 * Only links in the VM's own folder are ever written or removed, and none another VM uses (a
 * proxy that HotAdded one of its disks).
 */

export interface DiskRef {
  /** Absolute path of the link the reference names. */
  path: string;
}

export interface DiskPlan {
  commits: Array<{ child: string; parent: string }>;
  relinks: Array<{ child: string; parent: string }>;
  unlinks: string[];
}

export function planDisks(options: {
  refs: DiskRef[];
  /** Every link the VM used before, with its parent (null for a base). */
  before: Map<string, string | null>;
  /** Parents of links the operation makes (new deltas). */
  added?: Map<string, string | null>;
  vmFolder: string;
  /** Links other VMs use. */
  usedElsewhere: Set<string>;
  consolidate: boolean;
}): DiskPlan {
  const { refs, before, vmFolder, usedElsewhere } = options;
  const parentOf = new Map<string, string | null>([...before, ...(options.added ?? [])]);
  const ours = (p: string): boolean => dirname(p) === vmFolder && !usedElsewhere.has(p);

  const live = new Set<string>();
  for (const r of refs) {
    for (let p: string | null | undefined = r.path; p && !live.has(p); p = parentOf.get(p)) live.add(p);
  }
  const children = new Map<string, Set<string>>();
  for (const p of live) {
    const parent = parentOf.get(p);
    if (!parent) continue;
    if (!children.has(parent)) children.set(parent, new Set());
    children.get(parent)!.add(p);
  }
  const plan: DiskPlan = { commits: [], relinks: [], unlinks: [] };
  for (const p of before.keys()) {
    // Bases are never removed by snapshot operations: only deltas nothing needs any more.
    if (!live.has(p) && before.get(p) !== null && ours(p)) plan.unlinks.push(p);
  }
  if (!options.consolidate) return plan;

  for (;;) {
    const named = new Set(refs.map((r) => r.path));
    let merged = false;
    for (const x of live) {
      if (named.has(x) || !ours(x)) continue;
      const kids = children.get(x);
      if (!kids || kids.size !== 1) continue;
      const d = [...kids][0]!;
      if (!ours(d)) continue;
      plan.commits.push({ child: d, parent: x });
      for (const c of children.get(d) ?? []) {
        plan.relinks.push({ child: c, parent: x });
        parentOf.set(c, x);
        kids.add(c);
      }
      kids.delete(d);
      if (kids.size < 1) children.delete(x);
      children.delete(d);
      live.delete(d);
      plan.unlinks.push(d);
      for (const r of refs) if (r.path === d) r.path = x;
      merged = true;
      break;
    }
    if (!merged) return plan;
  }
}
