import assert from 'node:assert/strict';
import { test } from 'node:test';
import { moref } from '../../src/vsphere/vim-types.js';
import { compareVersions, pruneForVersion, versionOfSoapAction } from '../../src/vsphere/vim-version.js';

test('SOAPAction versions: read from the header, compared numerically', () => {
  assert.equal(versionOfSoapAction('"urn:vim25/6.7.1"'), '6.7.1');
  assert.equal(versionOfSoapAction('urn:vim25/8.0.1.0'), '8.0.1.0');
  assert.equal(versionOfSoapAction('urn:internalvim25/8.0'), undefined);
  assert.equal(versionOfSoapAction(undefined), undefined);
  assert.equal(compareVersions('6.7.1', '7.0.3.2'), -1);
  assert.equal(compareVersions('7.0.3.2', '7.0.3'), 1);
  assert.equal(compareVersions('8.0', '8.0.0.0'), 0);
});

test('a 6.7 client gets NoPermission without missingPrivileges (7.0.3.2); an 8.0 client gets it', () => {
  const vm = moref('VirtualMachine', 'vm-16');
  const fault = {
    _type: 'NoPermission', object: vm, privilegeId: 'VirtualMachine.State.CreateSnapshot',
    missingPrivileges: [{ _type: 'NoPermissionEntityPrivileges', entity: vm, privilegeIds: ['VirtualMachine.State.CreateSnapshot'] }],
  };
  assert.deepEqual(pruneForVersion(fault, 'NoPermission', '6.7.1'), {
    _type: 'NoPermission', object: vm, privilegeId: 'VirtualMachine.State.CreateSnapshot',
  });
  assert.deepEqual(pruneForVersion(fault, 'NoPermission', '8.0.1.0'), fault);
  assert.ok('missingPrivileges' in fault, 'the value given is not changed');
});

test('pruning reaches data objects inside arrays and anyType arrays', () => {
  const about = { _type: 'AboutInfo', name: 'x', patchLevel: 'p1', version: '8.0.1' };
  assert.deepEqual(pruneForVersion([about], 'AboutInfo', '6.7'), [{ _type: 'AboutInfo', name: 'x', version: '8.0.1' }]);
  const wrapped = { _type: 'ArrayOfAboutInfo', value: [about] };
  assert.deepEqual(pruneForVersion(wrapped, 'anyType', '7.0'), { _type: 'ArrayOfAboutInfo', value: [{ _type: 'AboutInfo', name: 'x', version: '8.0.1' }] });
  assert.deepEqual(pruneForVersion(wrapped, 'anyType', '7.0.2.0'), wrapped);
  assert.deepEqual(pruneForVersion({ _type: 'int', value: 3 }, 'anyType', '6.5'), { _type: 'int', value: 3 });
});
