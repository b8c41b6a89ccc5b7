import { SoapFault } from '../../vsphere/soap-fault.js';

// The faults QueryChangedDiskAreas answers with (reference §5.3, §2.4). ESXi reports a change id it
// cannot answer from (another tracking generation, a point before tracking began, a reset) as a
// FileFault on the disk's tracking file, "Error caused by file ..."; a value that is not a change id
// at all, or an offset outside the disk, is the generic InvalidArgument naming the parameter.

/** `file` is the name the client may see (a datastore path), never a path on the host's disk. */
export function changeIdFileFault(file: string, reason: string): SoapFault {
  return new SoapFault({ _type: 'FileFault', file }, `Error caused by file ${file}: ${reason}`);
}

export function invalidArgument(property: string): SoapFault {
  return new SoapFault({ _type: 'InvalidArgument', invalidProperty: property },
    `A specified parameter was not correct: ${property}`);
}
