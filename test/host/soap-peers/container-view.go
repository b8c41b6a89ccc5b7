// A govmomi client of the host's SOAP server: log in, read the current session, list the VMs
// through a container view (govmomi's view.ContainerView.Retrieve: a TraversalSpec over `view`),
// page through them with RetrievePropertiesEx maxObjects, log out, and report the fault a call
// gets after logout. Prints one JSON object; test/host/soap-peers.test.ts checks it.
//
// Build: GOPATH=/usr/share/gocode GO111MODULE=off go build container-view.go
// Environment: VSPHERE_URL, VSPHERE_USER, VSPHERE_PASSWORD, VSPHERE_THUMBPRINT (never argv).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"

	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type vmOut struct {
	Moref      string `json:"moref"`
	Name       string `json:"name"`
	PowerState string `json:"powerState"`
	Host       string `json:"host"`
}

type result struct {
	APIType        string  `json:"apiType"`
	SessionUser    string  `json:"sessionUser"`
	VMs            []vmOut `json:"vms"`
	Pages          int     `json:"pages"`
	PagedObjects   int     `json:"pagedObjects"`
	FaultAfterExit string  `json:"faultAfterLogout"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func main() {
	ctx := context.Background()
	u, err := soap.ParseURL(os.Getenv("VSPHERE_URL"))
	if err != nil {
		fail("url: %v", err)
	}
	u.User = url.UserPassword(os.Getenv("VSPHERE_USER"), os.Getenv("VSPHERE_PASSWORD"))
	sc := soap.NewClient(u, false)
	sc.SetThumbprint(u.Host, os.Getenv("VSPHERE_THUMBPRINT"))
	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		fail("connect: %v", err)
	}
	out := result{APIType: c.ServiceContent.About.ApiType}
	sm := session.NewManager(c)
	if err := sm.Login(ctx, u.User); err != nil {
		fail("login: %v", err)
	}
	us, err := sm.UserSession(ctx)
	if err != nil || us == nil {
		fail("current session: %v", err)
	}
	out.SessionUser = us.UserName

	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		fail("container view: %v", err)
	}
	var vms []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "runtime.powerState", "runtime.host"}, &vms); err != nil {
		fail("retrieve: %v", err)
	}
	for _, vm := range vms {
		host := ""
		if vm.Runtime.Host != nil {
			host = vm.Runtime.Host.Value
		}
		out.VMs = append(out.VMs, vmOut{vm.Self.Value, vm.Name, string(vm.Runtime.PowerState), host})
	}

	// Paging as a large inventory is read: maxObjects 2, then ContinueRetrievePropertiesEx until no token.
	spec := types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{
			Obj:  v.Reference(),
			Skip: types.NewBool(true),
			SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{
				Type: "ContainerView", Path: "view", Skip: types.NewBool(false),
			}},
		}},
		PropSet: []types.PropertySpec{{Type: "VirtualMachine", PathSet: []string{"name"}}},
	}
	res, err := methods.RetrievePropertiesEx(ctx, c, &types.RetrievePropertiesEx{
		This: c.ServiceContent.PropertyCollector, SpecSet: []types.PropertyFilterSpec{spec},
		Options: types.RetrieveOptions{MaxObjects: 2},
	})
	if err != nil {
		fail("paged retrieve: %v", err)
	}
	if res.Returnval != nil {
		out.Pages = 1
		out.PagedObjects = len(res.Returnval.Objects)
		token := res.Returnval.Token
		for token != "" {
			next, err := methods.ContinueRetrievePropertiesEx(ctx, c, &types.ContinueRetrievePropertiesEx{
				This: c.ServiceContent.PropertyCollector, Token: token,
			})
			if err != nil {
				fail("continue: %v", err)
			}
			out.Pages++
			out.PagedObjects += len(next.Returnval.Objects)
			token = next.Returnval.Token
		}
	}
	if err := v.Destroy(ctx); err != nil {
		fail("destroy view: %v", err)
	}
	if err := sm.Logout(ctx); err != nil {
		fail("logout: %v", err)
	}
	_, err = methods.GetCurrentTime(ctx, c)
	if soap.IsSoapFault(err) {
		out.FaultAfterExit = fmt.Sprintf("%T", soap.ToSoapFault(err).VimFault())
	} else {
		out.FaultAfterExit = fmt.Sprintf("no fault: %v", err)
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
