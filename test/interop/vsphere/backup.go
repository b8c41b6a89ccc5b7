// A backup client on govmomi, as a backup application drives a vSphere host: log in, list the VMs
// through a container view, read what a backup reads, enable change tracking, snapshot a VM, read
// the snapshot's disks and change ids, ask QueryChangedDiskAreas, remove the snapshot, log out.
// With -mode viewer it instead tries the calls a read-only user must be refused and reports the
// faults. It prints one JSON object; test/interop/govmomi.test.ts checks it.
//
// Build: GOPATH=/usr/share/gocode GO111MODULE=off go build -o backup backup.go
// The password comes from the environment (VSPHERE_PASSWORD), never from argv.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type diskOut struct {
	Key             int32    `json:"key"`
	FileName        string   `json:"fileName"`
	CapacityInBytes int64    `json:"capacityInBytes"`
	ChangeID        string   `json:"changeId"`
	DiskMode        string   `json:"diskMode"`
	Thin            bool     `json:"thinProvisioned"`
	UUID            string   `json:"uuid"`
	Parents         []string `json:"parents"`
}

type vmOut struct {
	Moref           string    `json:"moref"`
	Name            string    `json:"name"`
	UUID            string    `json:"uuid"`
	InstanceUUID    string    `json:"instanceUuid"`
	PowerState      string    `json:"powerState"`
	Host            string    `json:"host"`
	CbtSupported    bool      `json:"changeTrackingSupported"`
	CbtEnabled      bool      `json:"changeTrackingEnabled"`
	Disks           []diskOut `json:"disks"`
	SnapshotCount   int       `json:"snapshotCount"`
	CurrentSnapshot string    `json:"currentSnapshot"`
	LayoutFiles     int       `json:"layoutFiles"`
}

type areaOut struct {
	Start  int64 `json:"start"`
	Length int64 `json:"length"`
}

type snapshotDiskOut struct {
	diskOut
	ChangedAll   []areaOut `json:"changedAll"`
	ChangedSince []areaOut `json:"changedSince"`
}

type faultOut struct {
	Call        string `json:"call"`
	Fault       string `json:"fault"`
	PrivilegeID string `json:"privilegeId,omitempty"`
	Object      string `json:"object,omitempty"`
}

type result struct {
	APIType    string            `json:"apiType"`
	APIVersion string            `json:"apiVersion"`
	UserName   string            `json:"userName"`
	VMs        []vmOut           `json:"vms"`
	Hosts      []map[string]any  `json:"hosts"`
	Datastores []map[string]any  `json:"datastores"`
	BackedUp   string            `json:"backedUp,omitempty"`
	Snapshot   string            `json:"snapshot,omitempty"`
	Disks      []snapshotDiskOut `json:"snapshotDisks,omitempty"`
	Removed    bool              `json:"snapshotRemoved,omitempty"`
	Faults     []faultOut        `json:"faults,omitempty"`
	LoggedOut  bool              `json:"loggedOut"`
}

func main() {
	rawURL := flag.String("url", "", "SDK URL, https://host:port/sdk")
	user := flag.String("user", "backup", "user name")
	thumbprint := flag.String("thumbprint", "", "server certificate thumbprint (SHA-1 or SHA-256)")
	mode := flag.String("mode", "backup", "backup | viewer | bench")
	vmName := flag.String("vm", "", "VM to back up (default: the first with the most disks)")
	flag.Parse()
	if err := run(*rawURL, *user, os.Getenv("VSPHERE_PASSWORD"), *thumbprint, *mode, *vmName); err != nil {
		fmt.Fprintln(os.Stderr, "backup:", oneLine(err))
		os.Exit(1)
	}
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func run(rawURL, user, password, thumbprint, mode, vmName string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	if mode == "bench" {
		return bench(ctx, u, user, password, thumbprint, vmName)
	}
	sc := soap.NewClient(u, thumbprint == "")
	if thumbprint != "" {
		sc.SetThumbprint(u.Host, thumbprint)
	}
	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	sm := session.NewManager(c)
	if err := sm.Login(ctx, url.UserPassword(user, password)); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	out := result{APIType: c.ServiceContent.About.ApiType, APIVersion: c.ServiceContent.About.ApiVersion}
	if us, err := sm.UserSession(ctx); err == nil && us != nil {
		out.UserName = us.UserName
	}

	vms, err := inventory(ctx, c, &out)
	if err != nil {
		return err
	}
	target := pick(vms, vmName)
	if target == nil {
		return errors.New("no VM with a disk to back up")
	}
	vm := object.NewVirtualMachine(c, target.Self)

	if mode == "viewer" {
		out.Faults = refusals(ctx, c, vm, target)
	} else if err := backup(ctx, c, vm, target, &out); err != nil {
		return err
	}

	if err := sm.Logout(ctx); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	out.LoggedOut = true
	// After Logout the session is dead: a call must fail with NotAuthenticated.
	if _, err := methods.GetCurrentTime(ctx, c); err == nil {
		return errors.New("a call after Logout succeeded")
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

var vmProps = []string{
	"name", "config.hardware.device", "config.changeTrackingEnabled", "config.uuid", "config.instanceUuid",
	"capability.changeTrackingSupported", "runtime.powerState", "runtime.host", "snapshot", "layoutEx",
}

// inventory lists the VMs through a container view and reads hosts and datastores.
func inventory(ctx context.Context, c *vim25.Client, out *result) ([]mo.VirtualMachine, error) {
	m := view.NewManager(c)
	v, err := m.CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return nil, fmt.Errorf("container view: %w", err)
	}
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, vmProps, &vms); err != nil {
		return nil, fmt.Errorf("retrieve VMs: %w", err)
	}
	if err := v.Destroy(ctx); err != nil {
		return nil, fmt.Errorf("destroy view: %w", err)
	}
	for _, vm := range vms {
		o := vmOut{Moref: vm.Self.Value, Name: vm.Name, Disks: disks(vm.Config.Hardware.Device)}
		if vm.Config != nil {
			o.UUID, o.InstanceUUID = vm.Config.Uuid, vm.Config.InstanceUuid
			if vm.Config.ChangeTrackingEnabled != nil {
				o.CbtEnabled = *vm.Config.ChangeTrackingEnabled
			}
		}
		o.CbtSupported = vm.Capability.ChangeTrackingSupported != nil && *vm.Capability.ChangeTrackingSupported
		o.PowerState = string(vm.Runtime.PowerState)
		if vm.Runtime.Host != nil {
			o.Host = vm.Runtime.Host.Value
		}
		if vm.Snapshot != nil {
			o.SnapshotCount = countSnapshots(vm.Snapshot.RootSnapshotList)
			if vm.Snapshot.CurrentSnapshot != nil {
				o.CurrentSnapshot = vm.Snapshot.CurrentSnapshot.Value
			}
		}
		if vm.LayoutEx != nil {
			o.LayoutFiles = len(vm.LayoutEx.File)
		}
		out.VMs = append(out.VMs, o)
	}

	hv, err := m.CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"HostSystem", "Datastore"}, true)
	if err != nil {
		return nil, fmt.Errorf("container view: %w", err)
	}
	defer hv.Destroy(ctx)
	var hosts []mo.HostSystem
	if err := hv.Retrieve(ctx, []string{"HostSystem"}, []string{"name", "summary", "config.certificate"}, &hosts); err != nil {
		return nil, fmt.Errorf("retrieve hosts: %w", err)
	}
	for _, h := range hosts {
		entry := map[string]any{"moref": h.Self.Value, "name": h.Name, "connectionState": h.Summary.Runtime.ConnectionState}
		if h.Config != nil {
			entry["certificateBytes"] = len(h.Config.Certificate)
		}
		out.Hosts = append(out.Hosts, entry)
	}
	var dss []mo.Datastore
	if err := hv.Retrieve(ctx, []string{"Datastore"}, []string{"summary"}, &dss); err != nil {
		return nil, fmt.Errorf("retrieve datastores: %w", err)
	}
	for _, d := range dss {
		out.Datastores = append(out.Datastores, map[string]any{
			"moref": d.Self.Value, "name": d.Summary.Name, "type": d.Summary.Type,
			"capacity": d.Summary.Capacity, "freeSpace": d.Summary.FreeSpace, "url": d.Summary.Url,
		})
	}
	return vms, nil
}

func countSnapshots(list []types.VirtualMachineSnapshotTree) int {
	n := 0
	for _, s := range list {
		n += 1 + countSnapshots(s.ChildSnapshotList)
	}
	return n
}

func disks(devices []types.BaseVirtualDevice) []diskOut {
	out := []diskOut{}
	for _, d := range devices {
		disk, ok := d.(*types.VirtualDisk)
		if !ok {
			continue
		}
		o := diskOut{Key: disk.Key, CapacityInBytes: disk.CapacityInBytes, Parents: []string{}}
		switch b := disk.Backing.(type) {
		case *types.VirtualDiskFlatVer2BackingInfo:
			o.FileName, o.ChangeID, o.DiskMode, o.UUID = b.FileName, b.ChangeId, b.DiskMode, b.Uuid
			o.Thin = b.ThinProvisioned != nil && *b.ThinProvisioned
			for p := b.Parent; p != nil; p = p.Parent {
				o.Parents = append(o.Parents, p.FileName)
			}
		case *types.VirtualDiskSeSparseBackingInfo:
			o.FileName, o.ChangeID, o.DiskMode, o.UUID = b.FileName, b.ChangeId, b.DiskMode, b.Uuid
			for p := b.Parent; p != nil; p = p.Parent {
				o.Parents = append(o.Parents, p.FileName)
			}
		case *types.VirtualDiskSparseVer2BackingInfo:
			o.FileName, o.ChangeID, o.DiskMode, o.UUID = b.FileName, b.ChangeId, b.DiskMode, b.Uuid
			for p := b.Parent; p != nil; p = p.Parent {
				o.Parents = append(o.Parents, p.FileName)
			}
		}
		out = append(out, o)
	}
	return out
}

func pick(vms []mo.VirtualMachine, name string) *mo.VirtualMachine {
	var best *mo.VirtualMachine
	for i := range vms {
		vm := &vms[i]
		if name != "" {
			if vm.Name == name {
				return vm
			}
			continue
		}
		if n := len(disks(vm.Config.Hardware.Device)); n > 0 && (best == nil || n > len(disks(best.Config.Hardware.Device))) {
			best = vm
		}
	}
	return best
}

func wait(ctx context.Context, task *object.Task, what string) (types.AnyType, error) {
	info, err := task.WaitForResult(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return info.Result, nil
}

func snapshotDisks(ctx context.Context, c *vim25.Client, snap types.ManagedObjectReference) ([]diskOut, error) {
	var s mo.VirtualMachineSnapshot
	if err := property.DefaultCollector(c).RetrieveOne(ctx, snap, []string{"config.hardware.device"}, &s); err != nil {
		return nil, fmt.Errorf("snapshot disks: %w", err)
	}
	return disks(s.Config.Hardware.Device), nil
}

// changedAreas pages QueryChangedDiskAreas over the whole disk, as a backup does.
func changedAreas(ctx context.Context, c *vim25.Client, vm, snap types.ManagedObjectReference, d diskOut, changeID string) ([]areaOut, error) {
	areas := []areaOut{}
	for offset := int64(0); offset < d.CapacityInBytes; {
		res, err := methods.QueryChangedDiskAreas(ctx, c, &types.QueryChangedDiskAreas{
			This: vm, Snapshot: &snap, DeviceKey: d.Key, StartOffset: offset, ChangeId: changeID,
		})
		if err != nil {
			return nil, fmt.Errorf("QueryChangedDiskAreas(%q, %d): %w", changeID, offset, err)
		}
		info := res.Returnval
		for _, a := range info.ChangedArea {
			areas = append(areas, areaOut{a.Start, a.Length})
		}
		if info.Length <= 0 {
			return nil, fmt.Errorf("QueryChangedDiskAreas returned length %d at offset %d", info.Length, offset)
		}
		offset = info.StartOffset + info.Length
	}
	return areas, nil
}

func backup(ctx context.Context, c *vim25.Client, vm *object.VirtualMachine, target *mo.VirtualMachine, out *result) error {
	out.BackedUp = target.Self.Value
	enabled := true
	task, err := vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{ChangeTrackingEnabled: &enabled})
	if err != nil {
		return fmt.Errorf("enable CBT: %w", err)
	}
	if _, err := wait(ctx, task, "enable CBT"); err != nil {
		return err
	}

	// First snapshot: the full backup's base ("*": every allocated area).
	first, err := snapshot(ctx, vm, "vixdisk-backup-1")
	if err != nil {
		return err
	}
	firstDisks, err := snapshotDisks(ctx, c, first)
	if err != nil {
		return err
	}
	baseIDs := map[int32]string{}
	for _, d := range firstDisks {
		all, err := changedAreas(ctx, c, vm.Reference(), first, d, "*")
		if err != nil {
			return err
		}
		baseIDs[d.Key] = d.ChangeID
		out.Disks = append(out.Disks, snapshotDiskOut{diskOut: d, ChangedAll: all})
	}
	if err := removeSnapshot(ctx, c, first); err != nil {
		return err
	}

	// Second snapshot: the incremental, changes since the first snapshot's change ids.
	second, err := snapshot(ctx, vm, "vixdisk-backup-2")
	if err != nil {
		return err
	}
	out.Snapshot = second.Value
	secondDisks, err := snapshotDisks(ctx, c, second)
	if err != nil {
		return err
	}
	for i := range out.Disks {
		for _, d := range secondDisks {
			if d.Key != out.Disks[i].Key {
				continue
			}
			since, err := changedAreas(ctx, c, vm.Reference(), second, d, baseIDs[d.Key])
			if err != nil {
				return err
			}
			out.Disks[i].ChangedSince = since
			out.Disks[i].ChangeID = d.ChangeID
			out.Disks[i].FileName = d.FileName
			out.Disks[i].Parents = d.Parents
		}
	}
	if err := removeSnapshot(ctx, c, second); err != nil {
		return err
	}
	out.Removed = true
	return nil
}

func snapshot(ctx context.Context, vm *object.VirtualMachine, name string) (types.ManagedObjectReference, error) {
	task, err := vm.CreateSnapshot(ctx, name, "vixdisk interop", false, false)
	if err != nil {
		return types.ManagedObjectReference{}, fmt.Errorf("create snapshot: %w", err)
	}
	res, err := wait(ctx, task, "create snapshot")
	if err != nil {
		return types.ManagedObjectReference{}, err
	}
	ref, ok := res.(types.ManagedObjectReference)
	if !ok {
		return types.ManagedObjectReference{}, fmt.Errorf("create snapshot: result is %T, not a moref", res)
	}
	return ref, nil
}

func removeSnapshot(ctx context.Context, c *vim25.Client, snap types.ManagedObjectReference) error {
	consolidate := true
	res, err := methods.RemoveSnapshot_Task(ctx, c, &types.RemoveSnapshot_Task{This: snap, RemoveChildren: false, Consolidate: &consolidate})
	if err != nil {
		return fmt.Errorf("remove snapshot: %w", err)
	}
	_, err = wait(ctx, object.NewTask(c, res.Returnval), "remove snapshot")
	return err
}

// refusals tries what a read-only user must not do and reports each fault.
func refusals(ctx context.Context, c *vim25.Client, vm *object.VirtualMachine, target *mo.VirtualMachine) []faultOut {
	var out []faultOut
	record := func(call string, err error) {
		f := faultOut{Call: call, Fault: "none"}
		if err != nil {
			f.Fault = "error: " + oneLine(err)
			if soap.IsSoapFault(err) {
				detail := soap.ToSoapFault(err).VimFault()
				f.Fault = strings.TrimPrefix(fmt.Sprintf("%T", detail), "types.")
				if np, ok := detail.(types.NoPermission); ok {
					f.PrivilegeID = np.PrivilegeId
					f.Object = np.Object.Value
				}
			}
		}
		out = append(out, f)
	}
	_, err := vm.CreateSnapshot(ctx, "viewer-snapshot", "", false, false)
	record("CreateSnapshot_Task", err)
	enabled := true
	_, err = vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{ChangeTrackingEnabled: &enabled})
	record("ReconfigVM_Task", err)
	ds := disks(target.Config.Hardware.Device)
	_, err = methods.QueryChangedDiskAreas(ctx, c, &types.QueryChangedDiskAreas{
		This: vm.Reference(), DeviceKey: ds[0].Key, StartOffset: 0, ChangeId: "*",
	})
	record("QueryChangedDiskAreas", err)
	return out
}

// bench times what bench/host-soap.mjs compares between servers: login, the inventory of every VM
// through a container view (the properties a backup reads), one snapshot created and removed.
func bench(ctx context.Context, u *url.URL, user, password, thumbprint, vmName string) error {
	ms := func(since time.Time) float64 { return float64(time.Since(since).Microseconds()) / 1000 }
	start := time.Now()
	sc := soap.NewClient(u, thumbprint == "")
	if thumbprint != "" {
		sc.SetThumbprint(u.Host, thumbprint)
	}
	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	sm := session.NewManager(c)
	if err := sm.Login(ctx, url.UserPassword(user, password)); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	loginMs := ms(start)

	start = time.Now()
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return fmt.Errorf("container view: %w", err)
	}
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, vmProps, &vms); err != nil {
		return fmt.Errorf("retrieve VMs: %w", err)
	}
	if err := v.Destroy(ctx); err != nil {
		return fmt.Errorf("destroy view: %w", err)
	}
	inventoryMs := ms(start)

	target := pick(vms, vmName)
	if target == nil {
		return errors.New("no VM with a disk")
	}
	start = time.Now()
	vm := object.NewVirtualMachine(c, target.Self)
	snap, err := snapshot(ctx, vm, "bench")
	if err != nil {
		return err
	}
	if err := removeSnapshot(ctx, c, snap); err != nil {
		return err
	}
	snapshotMs := ms(start)
	if err := sm.Logout(ctx); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"vms": len(vms), "loginMs": loginMs, "inventoryMs": inventoryMs, "snapshotMs": snapshotMs,
	})
}
