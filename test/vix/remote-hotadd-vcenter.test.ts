import { hotaddSuite } from './hotadd-suite.js';

// The hotadd transport, Cleanup and the proxy model against `vixdisk host` (vcenter personality).
hotaddSuite('vcenter');
