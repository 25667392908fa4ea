package wire_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedCodeIsCurrent regenerates the wire code from sdk/proto with
// the generators pinned in go.mod and fails when the committed files differ:
// the .proto files are the only source of the wire contract.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	if _, err := exec.LookPath("protoc"); err != nil {
		t.Fatal("protoc is not installed (Debian: apt-get install protobuf-compiler); it is needed to check the generated code")
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	build := exec.Command("go", "build", "-o", tmp+"/", "google.golang.org/protobuf/cmd/protoc-gen-go", "google.golang.org/grpc/cmd/protoc-gen-go-grpc")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build generators: %v\n%s", err, out)
	}
	protos, _ := filepath.Glob(filepath.Join(root, "sdk/proto/switchboard/plugin/v1/*.proto"))
	args := []string{"-I", filepath.Join(root, "sdk/proto"),
		"--plugin=protoc-gen-go=" + filepath.Join(tmp, "protoc-gen-go"), "--go_out=" + tmp,
		"--go_opt=module=github.com/switchboard-hub/switchboard",
		"--plugin=protoc-gen-go-grpc=" + filepath.Join(tmp, "protoc-gen-go-grpc"), "--go-grpc_out=" + tmp,
		"--go-grpc_opt=module=github.com/switchboard-hub/switchboard"}
	gen := exec.Command("protoc", append(args, protos...)...)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("protoc: %v\n%s", err, out)
	}
	fresh, _ := filepath.Glob(filepath.Join(tmp, "sdk/internal/wire/*.go"))
	committed, _ := filepath.Glob("*.pb.go")
	if len(fresh) != len(committed) {
		t.Fatalf("protoc generates %d files, %d are committed; run make proto", len(fresh), len(committed))
	}
	for _, f := range fresh {
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(filepath.Base(f))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is stale or missing; run make proto and commit the result", filepath.Base(f))
		}
	}
}
