package cxf

import (
	"encoding/json"
	"testing"
)

// TestCredential: a credential made of members carries its type, reads
// back as a struct, and keeps members it does not know.
func TestCredential(t *testing.T) {
	c, err := NewCredential("basic-auth", map[string]EditableField{"password": Field("pw", true), "username": Field("me", false)})
	if err != nil {
		t.Fatal(err)
	}
	if c.Type() != "basic-auth" {
		t.Errorf("type %q", c.Type())
	}
	var login struct {
		Username, Password EditableField
	}
	if err := c.Decode(&login); err != nil || login.Username.Value != "me" || !login.Password.Concealed() || login.Username.Concealed() {
		t.Errorf("decoded %+v, %v", login, err)
	}
	var back Credential
	j, _ := json.Marshal(c)
	if err := json.Unmarshal([]byte(`{"type":"future-kind","x":{"fieldType":"string","value":"v"}}`), &back); err != nil || back.Type() != "future-kind" || back["x"] == nil {
		t.Errorf("unknown type: %v %v", back, err)
	}
	if len(j) == 0 || (Credential{}).Type() != "" {
		t.Error("an empty credential has a type")
	}
}
