#!/usr/bin/python3
"""A pyVmomi client of the host's SOAP server (Debian python3-pyvmomi 6.7.1, /usr/bin/python3).

SmartConnect (version negotiation through /sdk/vimServiceVersions.xml), the current session, the
VMs of a container view with their names and power states read as pyVmomi reads properties
(RetrieveProperties, one object at a time), a folder walk with named selection specs, Disconnect.
Prints one JSON object; test/host/soap-peers.test.ts checks it.

The password comes from the environment (VSPHERE_PASSWORD), never argv; the server's certificate
is trusted by its SHA-1 thumbprint (VSPHERE_THUMBPRINT), as VDDK does.
"""
import hashlib
import json
import os
import socket
import ssl
import sys

from pyVim.connect import SmartConnect, Disconnect
from pyVmomi import vim, vmodl


def main():
    host = os.environ["VSPHERE_HOST"]
    port = int(os.environ["VSPHERE_PORT"])
    expected = os.environ["VSPHERE_THUMBPRINT"]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=30) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    actual = ":".join("%02X" % b for b in hashlib.sha1(der).digest())
    if actual != expected:
        sys.exit("thumbprint mismatch: %s" % actual)

    si = SmartConnect(host=host, port=port, user=os.environ["VSPHERE_USER"],
                      pwd=os.environ["VSPHERE_PASSWORD"], sslContext=context)
    content = si.RetrieveContent()
    out = {
        "apiType": content.about.apiType,
        "apiVersion": content.about.apiVersion,
        "soapVersion": si._stub.versionId,
        "sessionUser": content.sessionManager.currentSession.userName,
    }
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    out["vms"] = sorted([{"moref": vm._moId, "name": vm.name, "powerState": str(vm.runtime.powerState)}
                         for vm in view.view], key=lambda v: v["moref"])
    view.Destroy()

    # The folder walk of pyVmomi's samples: visitFolders names itself.
    def sel(name):
        return vmodl.query.PropertyCollector.SelectionSpec(name=name)
    TS = vmodl.query.PropertyCollector.TraversalSpec
    visit = TS(name="visitFolders", type=vim.Folder, path="childEntity", skip=False,
               selectSet=[sel("visitFolders"), sel("dcToVmf")])
    dc_to_vmf = TS(name="dcToVmf", type=vim.Datacenter, path="vmFolder", skip=False, selectSet=[sel("visitFolders")])
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=content.rootFolder, skip=False,
                                                             selectSet=[visit, dc_to_vmf])],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.VirtualMachine, pathSet=["name"])])
    found = content.propertyCollector.RetrieveContents([spec])
    out["folderWalk"] = sorted(o.propSet[0].val for o in found)

    try:
        content.propertyCollector.RetrieveContents([vmodl.query.PropertyCollector.FilterSpec(
            objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=vim.VirtualMachine("vm-99999", si._stub))],
            propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.VirtualMachine, pathSet=["name"])])])
        out["missingFault"] = None
    except vmodl.fault.ManagedObjectNotFound as err:
        out["missingFault"] = type(err).__name__
    Disconnect(si)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
