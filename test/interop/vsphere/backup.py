#!/usr/bin/python3
"""A backup client on pyVmomi (Debian python3-pyvmomi 6.7.1, run by /usr/bin/python3).

SmartConnect (with its version negotiation), the inventory reads a backup makes through a
container view, change tracking on, a snapshot task polled to completion, QueryChangedDiskAreas,
the snapshot removed, Disconnect. With --mode viewer it tries what a read-only user must be
refused and reports the faults. Prints one JSON object; test/interop/pyvmomi.test.ts checks it.

The password comes from the environment (VSPHERE_PASSWORD), never from argv. The server's
certificate is trusted by its SHA-1 or SHA-256 thumbprint (--thumbprint), as VDDK and govmomi do.
"""
import argparse
import hashlib
import json
import os
import socket
import ssl
import sys
import time

from pyVim.connect import SmartConnect, Disconnect
from pyVmomi import vim, vmodl

VM_PROPS = [
    "name", "config.hardware.device", "config.changeTrackingEnabled", "config.uuid", "config.instanceUuid",
    "capability.changeTrackingSupported", "runtime.powerState", "runtime.host", "snapshot", "layoutEx",
]


def thumbprint_of(host, port):
    """The colon-hex SHA-1 and SHA-256 of the certificate the server presents."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=30) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)

    def colon(digest):
        return ":".join("%02X" % b for b in digest)
    return colon(hashlib.sha1(der).digest()), colon(hashlib.sha256(der).digest())


def retrieve(si, view, type_, paths):
    """RetrievePropertiesEx through a container view (the traversal spec govmomi and pyVmomi use)."""
    pc = si.content.propertyCollector
    traversal = vmodl.query.PropertyCollector.TraversalSpec(
        name="traverseEntities", path="view", skip=False, type=vim.view.ContainerView)
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=view, skip=True, selectSet=[traversal])],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(type=type_, pathSet=paths)])
    options = vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=2)  # exercises paging
    result = pc.RetrievePropertiesEx([spec], options)
    objects = []
    while result is not None:
        for obj in result.objects:
            props = {p.name: p.val for p in obj.propSet}
            objects.append((obj.obj, props))
        result = pc.ContinueRetrievePropertiesEx(result.token) if result.token else None
    return objects


def retrieve_one(si, ref, paths):
    pc = si.content.propertyCollector
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=ref, skip=False)],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(type=type(ref), pathSet=paths)])
    result = pc.RetrievePropertiesEx([spec], vmodl.query.PropertyCollector.RetrieveOptions())
    return {p.name: p.val for p in result.objects[0].propSet}


def disks_of(devices):
    out = []
    for d in devices or []:
        if not isinstance(d, vim.vm.device.VirtualDisk):
            continue
        b = d.backing
        parents = []
        p = getattr(b, "parent", None)
        while p is not None:
            parents.append(p.fileName)
            p = getattr(p, "parent", None)
        out.append({
            "key": d.key, "fileName": b.fileName, "capacityInBytes": d.capacityInBytes or (d.capacityInKB or 0) * 1024,
            "changeId": getattr(b, "changeId", None) or "", "diskMode": getattr(b, "diskMode", ""),
            "thinProvisioned": bool(getattr(b, "thinProvisioned", False)), "uuid": getattr(b, "uuid", None) or "",
            "parents": parents,
        })
    return out


def count_snapshots(trees):
    return sum(1 + count_snapshots(t.childSnapshotList) for t in trees or [])


def wait_task(si, task, what):
    """Polls info.state as a plain client does (no WaitForUpdates), to completion."""
    deadline = time.time() + 120
    while time.time() < deadline:
        info = retrieve_one(si, task, ["info"])["info"]
        if info.state == vim.TaskInfo.State.success:
            return info.result
        if info.state == vim.TaskInfo.State.error:
            raise RuntimeError("%s: %s" % (what, info.error.msg or type(info.error).__name__))
        time.sleep(0.05)
    raise RuntimeError("%s: task did not finish" % what)


def changed_areas(vm, snap, disk, change_id):
    areas = []
    offset = 0
    while offset < disk["capacityInBytes"]:
        info = vm.QueryChangedDiskAreas(snapshot=snap, deviceKey=disk["key"], startOffset=offset, changeId=change_id)
        areas.extend({"start": a.start, "length": a.length} for a in info.changedArea or [])
        if info.length <= 0:
            raise RuntimeError("QueryChangedDiskAreas returned length %d at %d" % (info.length, offset))
        offset = info.startOffset + info.length
    return areas


def fault_of(call, fn):
    try:
        fn()
        return {"call": call, "fault": "none"}
    except vim.fault.NoPermission as e:
        return {"call": call, "fault": "NoPermission", "privilegeId": e.privilegeId, "object": e.object._moId}
    except vmodl.MethodFault as e:
        return {"call": call, "fault": type(e).__name__.split(".")[-1]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", default="backup")
    parser.add_argument("--thumbprint", required=True, help="SHA-1 or SHA-256, colon hex")
    parser.add_argument("--mode", default="backup", choices=["backup", "viewer"])
    args = parser.parse_args()
    password = os.environ.get("VSPHERE_PASSWORD", "")

    sha1, sha256 = thumbprint_of(args.host, args.port)
    if args.thumbprint.upper() not in (sha1, sha256):
        raise SystemExit("certificate thumbprint %s does not match the one expected" % sha1)
    # The certificate is self-signed: trusted by the thumbprint just checked, not by a CA.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    si = SmartConnect(host=args.host, port=args.port, user=args.user, pwd=password, sslContext=context)
    content = si.RetrieveContent()
    out = {"apiType": content.about.apiType, "apiVersion": content.about.apiVersion,
           "negotiatedVersion": si._stub.versionId if hasattr(si._stub, "versionId") else str(si._stub.version),
           "userName": content.sessionManager.currentSession.userName}

    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    vms = retrieve(si, view, vim.VirtualMachine, VM_PROPS)
    view.Destroy()
    out["vms"] = []
    for ref, p in vms:
        snap = p.get("snapshot")
        out["vms"].append({
            "moref": ref._moId, "name": p["name"], "uuid": p.get("config.uuid"),
            "instanceUuid": p.get("config.instanceUuid"), "powerState": p["runtime.powerState"],
            "host": p["runtime.host"]._moId if p.get("runtime.host") else "",
            "changeTrackingSupported": bool(p.get("capability.changeTrackingSupported")),
            "changeTrackingEnabled": bool(p.get("config.changeTrackingEnabled")),
            "disks": disks_of(p.get("config.hardware.device")),
            "snapshotCount": count_snapshots(snap.rootSnapshotList) if snap else 0,
            "layoutFiles": len(p["layoutEx"].file) if p.get("layoutEx") else 0,
        })

    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
    out["hosts"] = [{"moref": r._moId, "name": p["summary"].config.name,
                     "certificateBytes": len(p.get("config.certificate") or [])}
                    for r, p in retrieve(si, view, vim.HostSystem, ["summary", "config.certificate"])]
    view.Destroy()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.Datastore], True)
    out["datastores"] = [{"moref": r._moId, "name": p["summary"].name, "type": p["summary"].type,
                          "capacity": p["summary"].capacity}
                         for r, p in retrieve(si, view, vim.Datastore, ["summary"])]
    view.Destroy()

    candidates = [(len(v["disks"]), v) for v in out["vms"] if v["disks"]]
    target = max(candidates, key=lambda c: c[0])[1]
    vm = vim.VirtualMachine(target["moref"], si._stub)
    out["backedUp"] = target["moref"]

    if args.mode == "viewer":
        out["faults"] = [
            fault_of("CreateSnapshot_Task", lambda: vm.CreateSnapshot_Task("viewer", "", False, False)),
            fault_of("ReconfigVM_Task", lambda: vm.ReconfigVM_Task(vim.vm.ConfigSpec(changeTrackingEnabled=True))),
            fault_of("QueryChangedDiskAreas", lambda: vm.QueryChangedDiskAreas(
                deviceKey=target["disks"][0]["key"], startOffset=0, changeId="*")),
        ]
    else:
        wait_task(si, vm.ReconfigVM_Task(vim.vm.ConfigSpec(changeTrackingEnabled=True)), "enable CBT")
        snap = wait_task(si, vm.CreateSnapshot_Task("vixdisk-pyvmomi", "interop", False, False), "create snapshot")
        out["snapshot"] = snap._moId
        out["snapshotDisks"] = []
        for d in disks_of(retrieve_one(si, snap, ["config.hardware.device"])["config.hardware.device"]):
            d["changedAll"] = changed_areas(vm, snap, d, "*")
            out["snapshotDisks"].append(d)
        wait_task(si, snap.RemoveSnapshot_Task(removeChildren=False, consolidate=True), "remove snapshot")
        out["snapshotRemoved"] = True

    Disconnect(si)
    out["disconnected"] = True
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    try:
        main()
    except vmodl.MethodFault as e:
        sys.stderr.write("backup.py: %s: %s\n" % (type(e).__name__, " ".join((e.msg or "").split())))
        sys.exit(1)
    except Exception as e:  # one readable line, no traceback
        sys.stderr.write("backup.py: %s\n" % " ".join(str(e).split()))
        sys.exit(1)
