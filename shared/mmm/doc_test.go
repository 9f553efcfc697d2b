package mmm_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/cryptotest"
	"text/template"

	"github.com/meshpass/meshpass/shared/jws"
	"github.com/meshpass/meshpass/shared/mmm"
	"github.com/meshpass/meshpass/shared/profile"
)

var update = flag.Bool("update", false, "rewrite docs/protocol.md from the template and the real code")

const (
	docTemplate = "testdata/protocol.tmpl.md"
	docPath     = "../../docs/protocol.md"
)

// TestProtocolDoc renders docs/protocol.md: the template's prose with
// examples made by the real code, under a fixed random seed and clock so
// the output is the same on every run. The test fails when the committed
// document differs from what the code makes now; `make docs` rewrites it.
func TestProtocolDoc(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 2026)
	w := newWorld(t)
	payloads, err := w.payloads()
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := template.New("protocol.tmpl.md").Funcs(template.FuncMap{
		"example": func(name string) (string, error) {
			m, ok := w.messages[name]
			if !ok {
				return "", fmt.Errorf("no example message %q", name)
			}
			b, err := mmm.Encode(m)
			if err != nil {
				return "", err
			}
			return block(b)
		},
		"payload": func(name string) (string, error) {
			b, ok := payloads[name]
			if !ok {
				return "", fmt.Errorf("no example payload %q", name)
			}
			return block(b)
		},
		"const": func(name string) (any, error) {
			switch name {
			case "MaxBodySize":
				return mmm.MaxBodySize, nil
			case "MaxClockSkew":
				return mmm.MaxClockSkew.String(), nil
			case "MaxCheckIn":
				return mmm.MaxCheckIn, nil
			case "MaxCheckIns":
				return mmm.MaxCheckIns, nil
			case "Path":
				return mmm.Path, nil
			case "ProtocolVersion":
				return mmm.ProtocolVersion, nil
			case "Requests":
				return strings.Join(mmm.RequestTypes(), ", "), nil
			}
			return nil, fmt.Errorf("no constant %q", name)
		},
	}).ParseFiles(docTemplate)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, nil); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(docPath, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("%v (run make docs)", err)
	}
	if !bytes.Equal(have, out.Bytes()) {
		t.Errorf("docs/protocol.md is out of date with the code: run `make docs` and commit it")
	}
}

// payloads decodes the signed objects of the world to show what is inside.
func (w *world) payloads() (map[string][]byte, error) {
	out := map[string][]byte{}
	add := func(name string, s profile.Signed) error {
		b, err := s.SignedData.UnverifiedPayload()
		out[name] = b
		return err
	}
	p := w.person
	for name, s := range map[string]profile.Signed{
		"MasterProfile":          p.SignedMaster.Signed,
		"DeviceProfile":          w.newcomer.Signed.Signed,
		"PersonalProfile":        p.SignedPersonal.Signed,
		"PasswordProfile":        p.SignedPasswords.Signed,
		"ConnectionRequest":      w.messages["ConnectStartRequest"].(*mmm.ConnectStartRequest).SignedRequest.Signed,
		"ConnectionResult":       w.messages["ConnectStatusResponse"].(*mmm.ConnectStatusResponse).Result.Signed,
		"ConnectionContribution": w.messages["ConnectContributeRequest"].(*mmm.ConnectContributeRequest).Contribution.Signed,
		"ConnectionReveal":       w.messages["ConnectRevealRequest"].(*mmm.ConnectRevealRequest).Reveal.Signed,
		"RequestAuthentication":  {SignedData: w.messages["ConnectPendingRequest"].(*mmm.ConnectPendingRequest).Authentication},
		"DeviceCheckIn":          {SignedData: w.messages["CheckInRequest"].(*mmm.CheckInRequest).CheckIn},
	} {
		if err := add(name, s); err != nil {
			return nil, err
		}
	}
	var record jws.SignedData
	if err := json.Unmarshal(w.messages["AppendRecordsRequest"].(*mmm.AppendRecordsRequest).Records[0], &record); err != nil {
		return nil, err
	}
	rec, err := record.UnverifiedPayload()
	if err != nil {
		return nil, err
	}
	out["Record"] = rec
	var manifest jws.SignedData
	if err := json.Unmarshal(w.messages["PutSnapshotRequest"].(*mmm.PutSnapshotRequest).Snapshot, &manifest); err != nil {
		return nil, err
	}
	if out["SnapshotManifest"], err = manifest.UnverifiedPayload(); err != nil {
		return nil, err
	}
	pw, err := profile.MarshalTagged(profile.TagPasswordData, p.Passwords)
	if err != nil {
		return nil, err
	}
	out["PasswordData"] = pw
	hdr, err := json.Marshal(p.SignedPersonal.SignedData)
	if err != nil {
		return nil, err
	}
	out["SignedData"] = hdr
	enc, err := json.Marshal(p.PasswordProfile.EncryptedData)
	if err != nil {
		return nil, err
	}
	out["EncryptedData"] = enc
	for _, name := range []string{"SignedData", "EncryptedData"} {
		// Show the decoded protected header beside the object.
		var v struct {
			Protected string `json:"protected"`
		}
		json.Unmarshal(out[name], &v)
		h, err := b64decode(v.Protected)
		if err != nil {
			return nil, err
		}
		out[name+".protected"] = h
	}
	return out, nil
}

var longString = regexp.MustCompile(`"([A-Za-z0-9_-]{48})([A-Za-z0-9_-]{8,})"`)

// block indents JSON for people and shortens long base64 values.
func block(b []byte) (string, error) {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return "", err
	}
	s := longString.ReplaceAllStringFunc(out.String(), func(m string) string {
		sub := longString.FindStringSubmatch(m)
		return fmt.Sprintf(`"%s…(%d characters)"`, sub[1], len(sub[1])+len(sub[2]))
	})
	return "```json\n" + s + "\n```", nil
}
