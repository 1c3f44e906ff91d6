package netkey

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func secret(seed byte) []byte {
	b := make([]byte, MinSecretSize)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

func mustKey(t testing.TB, seed byte) *Key {
	t.Helper()
	k, err := New(secret(seed))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseFormats(t *testing.T) {
	s := secret(1)
	want := mustKey(t, 1).Fingerprint()
	for name, data := range map[string][]byte{
		"hex":               []byte(hex.EncodeToString(s) + "\n"),
		"hex upper, spaces": []byte("  " + strings.ToUpper(hex.EncodeToString(s)) + " \r\n"),
		"base64":            []byte(base64.StdEncoding.EncodeToString(s)),
		"base64 url":        []byte(base64.URLEncoding.EncodeToString(s) + "\n"),
		"raw bytes":         s,
	} {
		k, err := Parse(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if k.Fingerprint() != want {
			t.Errorf("%s: fingerprint %s, want %s", name, k.Fingerprint(), want)
		}
	}
	if mustKey(t, 2).Fingerprint() == want {
		t.Error("two keys have the same fingerprint")
	}
	if s := mustKey(t, 1).String(); strings.Contains(s, hex.EncodeToString(secret(1))) || !strings.Contains(s, want) {
		t.Errorf("String() = %q: want the fingerprint, never the secret", s)
	}
}

func TestParseRefusesWeakKeys(t *testing.T) {
	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"empty":        {[]byte(" \n"), "empty"},
		"short hex":    {[]byte(hex.EncodeToString(secret(1)[:31])), "31 bytes"},
		"short raw":    {[]byte{0x80, 0x81, 0x82}, "3 bytes"},
		"passphrase":   {[]byte("correct horse battery staple and more words\n"), "passphrase"},
		"zeros":        {make([]byte, 64), "distinct"},
		"zero hex":     {[]byte(strings.Repeat("00", 32)), "distinct"},
		"pattern":      {[]byte(strings.Repeat("0102", 32)), "distinct"},
		"huge":         {make([]byte, MaxFileSize+1), "too long"},
		"not hex text": {[]byte(strings.Repeat("zz!", 20)), "passphrase"},
		"short word":   {[]byte("password123\n"), "passphrase"},
		// Valid base64 of 9 bytes: the message says how the text was read.
		"base64 word": {[]byte("weakweakweak\n"), "the key has 9 bytes, at least 32 are needed (make one with p2pnode --gen-network-key FILE) (the file's 12 characters were read as base64)"},
		"short hex 2": {[]byte(hex.EncodeToString(secret(1)[:31])), "were read as hexadecimal"},
		"short raw 2": {[]byte{0x80, 0x81, 0x82}, "the file is not text, so its 3 bytes were read as the key itself"},
	} {
		_, err := Parse(tc.data)
		if !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want ErrBadKey mentioning %q", name, err, tc.want)
		}
	}
}

func TestGenerateIsRandomAndParses(t *testing.T) {
	a, b := Generate(), Generate()
	if string(a) == string(b) {
		t.Fatal("two generated keys are equal")
	}
	if len(a) != 2*MinSecretSize+1 || a[len(a)-1] != '\n' {
		t.Fatalf("generated %q: want %d hex digits and a newline", a, 2*MinSecretSize)
	}
	if _, err := Parse(a); err != nil {
		t.Fatal(err)
	}
}

func TestWriteNewAndLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mesh.key")
	k, err := WriteNew(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("new key file mode %v, want 0600", st.Mode().Perm())
	}
	got, warning, err := Load(path)
	if err != nil || warning != "" {
		t.Fatalf("Load: %v, warning %q", err, warning)
	}
	if got.Fingerprint() != k.Fingerprint() {
		t.Error("loaded key differs from the one written")
	}
	if _, err := WriteNew(path); err == nil || !strings.Contains(err.Error(), "not overwritten") {
		t.Errorf("WriteNew over an existing file: %v, want a refusal", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, warning, err := Load(path); err != nil || !strings.Contains(warning, "chmod 600") {
		t.Errorf("world-readable key: err %v, warning %q; want a warning", err, warning)
	}
	if _, _, err := Load(dir); !errors.Is(err, ErrBadKey) {
		t.Errorf("Load(directory): %v, want ErrBadKey", err)
	}
	if _, _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("Load(missing file) succeeded")
	}
	bad := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(bad, []byte("hunter2"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(bad); !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), bad) {
		t.Errorf("Load(weak key): %v, want ErrBadKey naming the file", err)
	}
}
