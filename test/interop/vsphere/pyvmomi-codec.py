"""pyVmomi as a judge of what vixdisk's vim25 codec writes, and as a source of real requests.

Reads JSON lines on stdin, answers one JSON line each on stdout:
  {"kind": "val", "name": N, "xml": X}    X is a RetrievePropertiesExResponse whose one property holds
                                          a value: -> {"ok": true, "type": <wsdl name pyVmomi read>}
  {"kind": "fault", "name": N, "xml": X}  X is a SOAP fault: -> {"ok": true, "type": <wsdl name raised>}
  {"kind": "requests"}                    -> {"ok": true, "requests": {method: envelope}} as pyVmomi 6.7.1
                                          serializes them
Errors come back as {"ok": false, "error": "..."}. Run with Debian's /usr/bin/python3 (python3-pyvmomi).
"""
import json
import sys

from pyVmomi import SoapAdapter, VmomiSupport, vim, vmodl

VERSION = 'vim.version.version13'  # pyVmomi 6.7.1's newest: urn:vim25/6.7.1
stub = SoapAdapter.SoapStubAdapter(host='localhost', version=VERSION)

# Our samples put morefs of one managed type everywhere; pyVmomi checks a moref's managed type
# against the field's, which says nothing about the codec. Let morefs through, check the rest.
_check_field = VmomiSupport.CheckField


def _lenient_check_field(info, val):
    items = val if isinstance(val, list) else [val]
    if items and all(isinstance(v, VmomiSupport.ManagedObject) for v in items):
        return
    _check_field(info, val)


VmomiSupport.CheckField = _lenient_check_field


def read_val(xml):
    result = SoapAdapter.SoapResponseDeserializer(stub).Deserialize(
        xml.encode('utf-8'), vmodl.query.PropertyCollector.RetrieveResult)
    return result.objects[0].propSet[0].val._wsdlName


def read_fault(xml):
    # The deserializer hands back the fault it read; the stub is what raises it.
    fault = SoapAdapter.SoapResponseDeserializer(stub).Deserialize(
        xml.encode('utf-8'), vmodl.query.PropertyCollector.RetrieveResult)
    if not isinstance(fault, vmodl.MethodFault):
        raise ValueError('read a %s, not a fault' % type(fault).__name__)
    return fault._wsdlName


def serialize(mo, name, *args):
    body = stub.SerializeRequest(mo, type(mo)._methodInfo[name], args)
    return body.decode('utf-8') if isinstance(body, bytes) else body


def requests():
    vm = vim.VirtualMachine('vm-16', stub)
    snap = vim.vm.Snapshot('snapshot-45', stub)
    pc = vmodl.query.PropertyCollector('propertyCollector', stub)
    disk = vim.vm.device.VirtualDisk(
        key=-201, controllerKey=1000, unitNumber=1, capacityInKB=10485760,
        deviceInfo=vim.Description(label='vixdisk-hotadd', summary='[datastore1] web/web-000001.vmdk'),
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
            fileName='[datastore1] web/web-000001.vmdk', diskMode='independent_nonpersistent'))
    spec = vim.vm.ConfigSpec(changeTrackingEnabled=True,
                             deviceChange=[vim.vm.device.VirtualDeviceSpec(operation='add', device=disk)])
    traversal = vmodl.query.PropertyCollector.TraversalSpec(
        name='traverseEntities', type=vim.view.ContainerView, path='view', skip=False)
    filter_spec = vmodl.query.PropertyCollector.FilterSpec(
        propSet=[vmodl.query.PropertyCollector.PropertySpec(
            type=vim.VirtualMachine, pathSet=['name', 'config.hardware.device', 'snapshot'])],
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(
            obj=vim.view.ContainerView('session[52]view-1', stub), skip=True, selectSet=[traversal])])
    return {
        'CreateSnapshot_Task': serialize(vm, 'CreateSnapshot', 'backup-1', 'vixdisk backup', False, True),
        'QueryChangedDiskAreas': serialize(vm, 'QueryChangedDiskAreas', snap, 2000, 0,
                                           '52 f3 b6 37 30 8d ea 3e-58 70 c0 fd 61 44 26 62/4'),
        'RemoveSnapshot_Task': serialize(snap, 'Remove', False, True),
        'ReconfigVM_Task': serialize(vm, 'Reconfigure', spec),
        'RetrieveProperties': serialize(pc, 'RetrieveContents', [filter_spec]),
        'RetrievePropertiesEx': serialize(pc, 'RetrievePropertiesEx', [filter_spec],
                                          vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=100)),
        'WaitForUpdatesEx': serialize(pc, 'WaitForUpdatesEx', '1',
                                      vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=30)),
    }


for line in sys.stdin:
    req = json.loads(line)
    try:
        if req['kind'] == 'val':
            answer = {'ok': True, 'type': read_val(req['xml'])}
        elif req['kind'] == 'fault':
            answer = {'ok': True, 'type': read_fault(req['xml'])}
        else:
            answer = {'ok': True, 'requests': requests()}
    except Exception as e:  # report the root cause, not pyVmomi's wrapper
        cause = e.__cause__ or e.__context__ or e
        answer = {'ok': False, 'error': ('%s: %s' % (type(cause).__name__, cause))[:300]}
    answer['name'] = req.get('name')
    print(json.dumps(answer))
    sys.stdout.flush()
