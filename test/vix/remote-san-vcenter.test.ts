import { sanTransportCases } from './san-cases.js';

// The san transport against `vixdisk host` as a vCenter (test/vix/san-cases.ts, docs/san.md).
sanTransportCases('vcenter');
