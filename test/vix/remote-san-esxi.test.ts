import { sanTransportCases } from './san-cases.js';

// The san transport against `vixdisk host` as an ESXi host (test/vix/san-cases.ts, docs/san.md).
sanTransportCases('esxi');
