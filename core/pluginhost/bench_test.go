package pluginhost

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/zclconf/go-cty/cty"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/switchboard-hub/switchboard/sdk"
)

// The benchmarks put the host↔plugin hop beside its floors, measured in the
// same run on the same machine:
//   - direct: a Go method call, no transport at all;
//   - inproc-grpc: the plugin served by go-plugin inside this process;
//   - bare-grpc: a plain gRPC service in a second process over a unix
//     socket with mutual TLS (P-521 certificates, as go-plugin's AutoMTLS
//     makes), no go-plugin and no supervision;
//   - plugin: a real plugin subprocess through pluginhost.
// Batches carry 100 messages of 600 bytes.

const (
	batchSize   = 100
	messageSize = 600
)

var text600 = strings.Repeat("x", messageSize)

func BenchmarkUnary(b *testing.B) {
	ctx := context.Background()
	req := sdk.LookupRequest{IdempotencyKey: "key-0123456789", Channel: "test", Thread: "thread-1"}
	b.Run("direct", func(b *testing.B) {
		var c sdk.Connector = benchConn{}
		for b.Loop() {
			if _, err := c.LookupSend(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("inproc-grpc", func(b *testing.B) {
		c := inProcess(b)
		for b.Loop() {
			if _, err := c.LookupSend(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bare-grpc", func(b *testing.B) {
		client := bareClient(b)
		in := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(req.IdempotencyKey + req.Thread)}}
		for b.Loop() {
			if _, err := client.UnaryCall(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("plugin", func(b *testing.B) {
		c := benchPlugin(b)
		for b.Loop() {
			if _, err := c.LookupSend(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkBatch(b *testing.B) {
	ctx := context.Background()
	items := make([]sdk.SendItem, batchSize)
	for i := range items {
		items[i] = sdk.SendItem{IdempotencyKey: fmt.Sprintf("key-%d", i), Message: sdk.OutboundMessage{Channel: "test", Thread: "t", Text: text600}}
	}
	send := func(b *testing.B, c sdk.Connector) {
		for b.Loop() {
			if _, err := c.Send(ctx, items); err != nil {
				b.Fatal(err)
			}
		}
		perSecond(b)
	}
	b.Run("send/direct", func(b *testing.B) { send(b, benchConn{}) })
	b.Run("send/inproc-grpc", func(b *testing.B) { send(b, inProcess(b)) })
	b.Run("send/plugin", func(b *testing.B) { send(b, benchPlugin(b)) })

	exec := make([]sdk.ExecuteItem, batchSize)
	for i := range exec {
		exec[i] = sdk.ExecuteItem{IdempotencyKey: fmt.Sprintf("key-%d", i),
			Arguments: cty.ObjectVal(map[string]cty.Value{"text": cty.StringVal(text600)})}
	}
	b.Run("execute/plugin", func(b *testing.B) {
		a := benchAction(b)
		for b.Loop() {
			if _, err := a.Execute(ctx, exec); err != nil {
				b.Fatal(err)
			}
		}
		perSecond(b)
	})
	// The hub calls a plugin from several workers at once; with two cores,
	// two batches in flight keep both processes busy.
	b.Run("send/plugin-2-in-flight", func(b *testing.B) {
		c := benchPlugin(b)
		b.SetParallelism(1)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Send(ctx, items); err != nil {
					b.Error(err)
					return
				}
			}
		})
		perSecond(b)
	})
	b.Run("execute/plugin-2-in-flight", func(b *testing.B) {
		a := benchAction(b)
		b.SetParallelism(1)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := a.Execute(ctx, exec); err != nil {
					b.Error(err)
					return
				}
			}
		})
		perSecond(b)
	})

	b.Run("bare-grpc-unary", func(b *testing.B) {
		client := bareClient(b)
		in := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: make([]byte, batchSize*messageSize)}}
		for b.Loop() {
			if _, err := client.UnaryCall(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
		perSecond(b)
	})
	b.Run("bare-grpc-stream", func(b *testing.B) {
		client := bareClient(b)
		stream, err := client.StreamingInputCall(ctx)
		if err != nil {
			b.Fatal(err)
		}
		msg := &testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: []byte(text600)}}
		for b.Loop() {
			for range batchSize {
				if err := stream.Send(msg); err != nil {
					b.Fatal(err)
				}
			}
		}
		if _, err := stream.CloseAndRecv(); err != nil {
			b.Fatal(err)
		}
		perSecond(b)
	})
}

func perSecond(b *testing.B) {
	b.ReportMetric(float64(b.N*batchSize)/b.Elapsed().Seconds(), "msgs/s")
}

// benchConn answers LookupSend and Send without doing anything.
type benchConn struct{}

func (benchConn) Schema(context.Context) (*sdk.Schema, error) {
	return &sdk.Schema{Kind: sdk.KindConnector, Name: "bench", Version: "0.0.1", Description: "Bench.",
		Channels: []sdk.Channel{{Name: "test", Capabilities: sdk.Capabilities{Send: true, UnverifiableSend: sdk.AtLeastOnce}}}}, nil
}
func (benchConn) Configure(context.Context, sdk.ConfigureRequest) (sdk.Diagnostics, error) {
	return nil, nil
}
func (benchConn) Poll(context.Context, sdk.PollRequest) (*sdk.PollResult, error) {
	return &sdk.PollResult{}, nil
}
func (benchConn) HandleWebhook(context.Context, *sdk.WebhookRequest) (*sdk.WebhookResponse, error) {
	return &sdk.WebhookResponse{Status: 200}, nil
}
func (benchConn) Send(_ context.Context, items []sdk.SendItem) ([]sdk.SendResult, error) {
	out := make([]sdk.SendResult, len(items))
	for i, it := range items {
		out[i].ExternalID = "sent-" + it.IdempotencyKey
	}
	return out, nil
}
func (benchConn) LookupSend(context.Context, sdk.LookupRequest) (*sdk.LookupResult, error) {
	return &sdk.LookupResult{}, nil
}
func (benchConn) Check(context.Context) (sdk.Diagnostics, error) { return nil, nil }

// inProcess serves benchConn with go-plugin inside this process.
func inProcess(b *testing.B) sdk.Connector {
	cfg, err := sdk.ServeConfig(sdk.ServeOpts{Connector: benchConn{}}, hclog.NewNullLogger())
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	cfg.Test = &plugin.ServeTestConfig{Context: ctx, ReattachConfigCh: reattach, CloseCh: closed}
	go plugin.Serve(cfg)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake(),
		Plugins:          sdk.HostPlugins()[sdk.ProtocolVersion],
		Reattach:         <-reattach,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		GRPCDialOptions:  sdk.GRPCDialOptions(),
		Logger:           hclog.NewNullLogger(),
	})
	b.Cleanup(func() {
		client.Kill()
		cancel()
		<-closed
	})
	rpc, err := client.Client()
	if err != nil {
		b.Fatal(err)
	}
	raw, err := rpc.Dispense(sdk.DispenseName(sdk.KindConnector))
	if err != nil {
		b.Fatal(err)
	}
	return raw.(sdk.Connector)
}

func benchAction(b *testing.B) *Action {
	a, err := StartAction(Spec{Name: "testaction", Path: testaction}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.Close)
	return a
}

func benchPlugin(b *testing.B) *Connector {
	c, err := StartConnector(Spec{Name: "testconn", Path: testconn}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return c
}

// bareClient starts the bare gRPC server in a child process (this test
// binary, see bareServer) and connects to it with mutual TLS.
func bareClient(b *testing.B) testpb.TestServiceClient {
	_, serverPEM := selfSigned(b)
	clientCert, clientPEM := selfSigned(b)
	sock := filepath.Join(b.TempDir(), "bare.sock")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PLUGINHOST_BENCH_BARE="+sock,
		"PLUGINHOST_BENCH_CERT="+string(serverPEM), "PLUGINHOST_BENCH_PEER="+string(clientPEM))
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		b.Fatalf("bare server: %q %v", line, err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(serverPEM.certOnly())
	creds := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{clientCert}, RootCAs: pool,
		ServerName: "localhost", MinVersion: tls.VersionTLS12})
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(creds))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return testpb.NewTestServiceClient(conn)
}

// bareServer is the child process of bareClient.
func bareServer(sock string) {
	cert, err := tls.X509KeyPair([]byte(os.Getenv("PLUGINHOST_BENCH_CERT")), []byte(os.Getenv("PLUGINHOST_BENCH_CERT")))
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(os.Getenv("PLUGINHOST_BENCH_PEER")))
	creds := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12})
	ln, err := net.Listen("unix", sock)
	if err != nil {
		panic(err)
	}
	s := grpc.NewServer(grpc.Creds(creds), grpc.MaxRecvMsgSize(sdk.MaxMessageBytes))
	testpb.RegisterTestServiceServer(s, bareService{})
	fmt.Println("ready")
	_ = s.Serve(ln)
}

type bareService struct {
	testpb.UnimplementedTestServiceServer
}

func (bareService) UnaryCall(_ context.Context, in *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	return &testpb.SimpleResponse{Payload: &testpb.Payload{Body: in.Payload.GetBody()[:min(len(in.Payload.GetBody()), 64)]}}, nil
}

func (bareService) StreamingInputCall(s grpc.ClientStreamingServer[testpb.StreamingInputCallRequest, testpb.StreamingInputCallResponse]) error {
	var n int32
	for {
		m, err := s.Recv()
		if err == io.EOF {
			return s.SendAndClose(&testpb.StreamingInputCallResponse{AggregatedPayloadSize: n})
		}
		if err != nil {
			return err
		}
		n += int32(len(m.Payload.GetBody()))
	}
}

// pemPair is a certificate and its key, PEM-encoded one after the other.
type pemPair []byte

func (p pemPair) certOnly() []byte {
	block, _ := pem.Decode(p)
	return pem.EncodeToMemory(block)
}

func selfSigned(b *testing.B) (tls.Certificate, pemPair) {
	key, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		b.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		b.Fatal(err)
	}
	p := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})...)
	cert, err := tls.X509KeyPair(p, p)
	if err != nil {
		b.Fatal(err)
	}
	return cert, p
}
