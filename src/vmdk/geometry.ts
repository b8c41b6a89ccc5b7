// CHS geometry as VMware and QEMU compute it (vmdk-format 4.7): 63 sectors per track, 16 heads for
// IDE and 255 for SCSI adapters, cylinders = floor(bytes / (heads * 63 * 512)) with no cap.

export const ADAPTER_TYPES = ['ide', 'buslogic', 'lsilogic', 'legacyESX', 'pvscsi'] as const;
export type AdapterType = typeof ADAPTER_TYPES[number];

export interface Geometry {
  cylinders: number;
  heads: number;
  sectors: number;
}

export function computeGeometry(capacityBytes: number, adapter: AdapterType): Geometry {
  const heads = adapter === 'ide' ? 16 : 255;
  const sectors = 63;
  return { cylinders: Math.floor(capacityBytes / (heads * sectors * 512)), heads, sectors };
}
