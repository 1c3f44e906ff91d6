package netkey

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// The key file holds a secret of at least MinSecretSize bytes, either as
// text — hexadecimal (what Generate writes) or padded base64 (openssl rand
// -base64 32) — or as the raw bytes themselves (head -c 32 /dev/urandom).
// Surrounding white space is ignored.
// Everything the mesh uses is derived from the secret, never the secret
// itself.

const (
	// MinSecretSize is the shortest secret a key file may hold: 256 bits.
	MinSecretSize = 32
	// MaxFileSize bounds a key file; anything longer is not a key.
	MaxFileSize = 4096
	// minDistinct is the fewest distinct byte values a secret must have:
	// 32 random bytes have about 30, a repeated pattern or a zeroed file
	// far fewer.
	minDistinct = 12
)

// ErrBadKey reports a key file that holds no usable key. The error text says
// what is wrong and how to make a good one.
var ErrBadKey = errors.New("netkey: unusable network key")

// hkdfSalt separates our derivations from any other use of the same secret.
const hkdfSalt = "p2pmesh network key v1"

// Key is a network key, ready for use: the keys derived from the secret of
// a key file. Its zero value is not a key; get one from Parse, Load or New.
// A Key is safe for concurrent use and may be shared by any number of
// nodes.
type Key struct {
	psk         [32]byte // Noise pre-shared key of links
	beacon      [32]byte // XChaCha20-Poly1305 key of beacons
	fingerprint string
}

// Fingerprint is a short name of the key, safe to print and to compare
// between hosts: equal keys have equal fingerprints. It reveals nothing
// useful about the key.
func (k *Key) Fingerprint() string { return k.fingerprint }

// String returns the fingerprint: a Key never prints its secret.
func (k *Key) String() string { return "network key " + k.fingerprint }

// New derives a Key from a secret of at least MinSecretSize bytes.
func New(secret []byte) (*Key, error) {
	if err := checkSecret(secret); err != nil {
		return nil, err
	}
	k := &Key{}
	derive := func(label string, dst []byte) {
		b, err := hkdf.Key(sha256.New, secret, []byte(hkdfSalt), label, len(dst))
		if err != nil {
			panic(err) // only for lengths above 255*32 bytes
		}
		copy(dst, b)
	}
	derive("noise psk", k.psk[:])
	derive("beacon seal", k.beacon[:])
	var fp [8]byte
	derive("fingerprint", fp[:])
	k.fingerprint = hex.EncodeToString(fp[:])
	return k, nil
}

// checkSecret refuses secrets too short or too regular to be random.
func checkSecret(secret []byte) error {
	if len(secret) < MinSecretSize {
		return fmt.Errorf("%w: the key has %d bytes, at least %d are needed (make one with p2pnode --gen-network-key FILE)", ErrBadKey, len(secret), MinSecretSize)
	}
	var seen [256]bool
	distinct := 0
	for _, b := range secret {
		if !seen[b] {
			seen[b] = true
			distinct++
		}
	}
	if distinct < minDistinct {
		return fmt.Errorf("%w: the key has only %d distinct byte values, so it is not random (make one with p2pnode --gen-network-key FILE)", ErrBadKey, distinct)
	}
	return nil
}

// Parse reads the contents of a key file: hexadecimal or base64 text of the
// secret, or the raw secret. Text that is neither hexadecimal nor base64 is
// refused as a passphrase: people choose guessable ones.
func Parse(data []byte) (*Key, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: %d bytes is too long for a key file (at most %d; a key file holds %d random bytes or their hex or base64 text)", ErrBadKey, len(data), MaxFileSize, MinSecretSize)
	}
	text := strings.TrimSpace(string(data))
	if text == "" {
		return nil, fmt.Errorf("%w: the key file is empty (make one with p2pnode --gen-network-key FILE)", ErrBadKey)
	}
	if secret, how, ok := decodeText(text); ok {
		k, err := New(secret)
		if err != nil {
			// Say how the text was read: "weakweakweak" is valid base64.
			return nil, fmt.Errorf("%w (the file's %d characters were read as %s)", err, len(text), how)
		}
		return k, nil
	}
	if isText(data) {
		return nil, fmt.Errorf("%w: the key file holds text that is neither hexadecimal nor base64, like a passphrase, which can be guessed; make a random key with p2pnode --gen-network-key FILE", ErrBadKey)
	}
	k, err := New(data)
	if err != nil {
		return nil, fmt.Errorf("%w (the file is not text, so its %d bytes were read as the key itself)", err, len(data))
	}
	return k, nil
}

// decodeText decodes hexadecimal or base64 text (padded, standard or URL
// alphabet: unpadded base64 would take many a passphrase for a key).
// It also says which of them the text was read as.
func decodeText(text string) ([]byte, string, bool) {
	if b, err := hex.DecodeString(text); err == nil {
		return b, "hexadecimal", true
	}
	for _, enc := range []struct {
		enc  *base64.Encoding
		name string
	}{{base64.StdEncoding, "base64"}, {base64.URLEncoding, "URL-safe base64"}} {
		if b, err := enc.enc.DecodeString(text); err == nil {
			return b, enc.name, true
		}
	}
	return nil, "", false
}

// isText reports whether data is printable ASCII and white space only.
func isText(data []byte) bool {
	for _, c := range data {
		if (c < 0x20 || c > 0x7e) && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}

// Load reads a key file. warning, when not empty, is something the user
// should fix although the key works: a file that other users may read.
func Load(path string) (k *Key, warning string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("netkey: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, "", fmt.Errorf("netkey: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, "", fmt.Errorf("%w: %s is not a regular file", ErrBadKey, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, "", fmt.Errorf("netkey: %s: %w", path, err)
	}
	k, err = Parse(data)
	clear(data)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		warning = fmt.Sprintf("the network key file %s can be read by other users (mode %v): whoever reads it can join the mesh; restrict it with chmod 600 %s", path, perm, path)
	}
	return k, warning, nil
}

// Generate returns the text of a new key file: MinSecretSize random bytes
// in hexadecimal and a newline.
func Generate() []byte {
	secret := make([]byte, MinSecretSize)
	_, _ = rand.Read(secret) // crypto/rand never fails (it panics instead)
	text := make([]byte, hex.EncodedLen(len(secret)), hex.EncodedLen(len(secret))+1)
	hex.Encode(text, secret)
	clear(secret)
	return append(text, '\n')
}

// WriteNew creates a new key file at path, readable by its owner only, and
// returns the key. It never overwrites a file: an existing key may be in use.
func WriteNew(path string) (*Key, error) {
	text := Generate()
	defer clear(text)
	k, err := Parse(text)
	if err != nil {
		return nil, err // cannot happen: the text is a good key
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("netkey: %s exists already; not overwritten (a key in use would be lost): remove it first or choose another name", path)
	}
	if err != nil {
		return nil, fmt.Errorf("netkey: %w", err)
	}
	if _, err := f.Write(text); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("netkey: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("netkey: %w", err)
	}
	return k, nil
}
